//! What a run returns: the mask, heat map and overlay, and the stats of what it found and did.

use super::Diff;
use crate::diff::register::Method;
use image::{GrayImage, RgbaImage};

/// What the pipeline found and did, for display and logs (as JSON, with camelCase names).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub backend: String,
    pub width: u32,
    pub height: u32,
    pub edited_width: u32,
    pub edited_height: u32,
    /// The edit had another aspect ratio and was stretched back onto the original.
    pub stretched: bool,
    /// The grid the stages ran on (smaller than the original for very large images).
    pub working_width: u32,
    pub working_height: u32,
    /// The grid the painted region was found on (smaller than the working grid for large
    /// pictures; the outline is placed on the working grid).
    pub detection_width: u32,
    pub detection_height: u32,
    // Sent to JavaScript as a plain number (pictures have far fewer than 2^53 pixels).
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number"))]
    pub area: u64,
    pub area_fraction: f64,
    pub threshold: u8,
    pub threshold_auto: bool,
    pub gain: [f32; 3],
    pub offset: [f32; 3],
    pub lighting: f32,
    /// The paint the diff looked for ("#rrggbb"), or none when it ran colour-blind.
    pub paint: Option<String>,
    /// The share of the picture that changed clearly (a CIELAB distance of 10 or more on the
    /// detection grid), painted or not: near the object's share for an edit that only painted
    /// it, most of the picture for one the editor redrew.
    pub changed_share: f64,
    /// How much the picture looks like a RefScenes scene to the built-in painter (its requests
    /// only).
    pub scene_likeness: Option<f32>,
    /// Edited pixel = original pixel + shift, in working-grid pixels (after the registration).
    pub shift: (i32, i32),
    /// How the edit's frame was brought onto the original's.
    pub registration: Registration,
    /// The share of the original's pixels the edit's frame shows (1 unless the editor cropped).
    pub visible_share: f64,
    /// The diff that found the region.
    pub diff: Diff,
    /// Kernel dispatches and GPU-to-host readbacks this request made (GPU path only).
    pub dispatches: Option<u32>,
    pub readbacks: Option<u32>,
    /// How long the run took, from both decoded pictures to the mask, heat map and overlay.
    pub milliseconds: f64,
    pub notes: Vec<String>,
}

/// The fitted frame: the method used; how much larger the edit's content is than a plain stretch
/// would make it, per axis; its turn in degrees; how far the original's centre moved, in the
/// original's pixels; the largest smooth drift on top, in the original's pixels; and what is left
/// between the two pictures' structure after the fit, in grey levels.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    pub method: Method,
    pub scale: [f32; 2],
    pub rotation: f32,
    pub offset: [f32; 2],
    pub largest_drift: f32,
    pub residual: f32,
}

pub struct Outcome {
    /// 255 inside the object, 0 outside, the original's size.
    pub mask: GrayImage,
    /// The change score as a colour map.
    pub heat: RgbaImage,
    /// The original with the mask painted over it.
    pub overlay: RgbaImage,
    /// The pixels the edit's frame shows (255) and does not (0), when it does not show them all.
    pub visible: Option<GrayImage>,
    pub stats: Stats,
}
