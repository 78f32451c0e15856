//! From an original and an edited image to a per-pixel change score: resample, undo the
//! editor's drift and shift, compare in CIELAB. Each stage has a WGSL kernel and a CPU twin.

pub mod align;
pub mod blur;
pub mod drift;
pub mod resample;
pub mod score;
