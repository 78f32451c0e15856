//! From a change score to a clean mask: threshold, open/close, components, holes, and the
//! outline placed where the paint is at half strength.

pub mod bits;
pub mod components;
pub mod morphology;
pub mod outline;
pub mod threshold;
pub mod upsample;
