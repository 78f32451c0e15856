//! From a change score to a clean mask: threshold, open/close, components, holes.

pub mod components;
pub mod morphology;
pub mod threshold;
pub mod upsample;
