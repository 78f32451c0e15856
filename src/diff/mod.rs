//! From an original and an edited image to a per-pixel change score: register the edit's frame
//! and resample it, undo the editor's drift and shift, compare in CIELAB. Each stage has a WGSL kernel and a CPU twin.

pub mod align;
pub mod blur;
pub mod drift;
pub mod ming;
pub mod register;
pub mod resample;
pub mod score;
pub mod warp;
