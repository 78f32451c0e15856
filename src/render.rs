//! Turning the working-grid results into images at the original's size for display.

use crate::pixels::Grid;
use image::{GrayImage, Luma, Rgba, RgbaImage};

/// Nearest-neighbour lookup from the original's grid into the working grid.
fn lookup(values: &[u32], grid: Grid, full: Grid, x: u32, y: u32) -> u32 {
    let wx = (x as u64 * grid.w as u64 / full.w as u64) as usize;
    let wy = (y as u64 * grid.h as u64 / full.h as u64) as usize;
    values[wy * grid.w as usize + wx]
}

pub fn mask_image(mask: &[u32], grid: Grid, full: Grid) -> GrayImage {
    GrayImage::from_fn(full.w, full.h, |x, y| {
        Luma([if lookup(mask, grid, full, x, y) > 0 {
            255
        } else {
            0
        }])
    })
}

/// A black -> purple -> orange -> yellow ramp, so faint changes are visible next to strong ones.
fn ramp(v: u32) -> Rgba<u8> {
    const STOPS: [[f32; 3]; 4] = [
        [0.0, 0.0, 4.0],
        [120.0, 28.0, 109.0],
        [237.0, 105.0, 37.0],
        [252.0, 255.0, 164.0],
    ];
    let t = v.min(255) as f32 / 255.0 * 3.0;
    let i = (t as usize).min(2);
    let f = t - i as f32;
    let c: [f32; 3] = std::array::from_fn(|k| STOPS[i][k] + (STOPS[i + 1][k] - STOPS[i][k]) * f);
    Rgba([c[0] as u8, c[1] as u8, c[2] as u8, 255])
}

pub fn heat_image(score: &[u32], grid: Grid, full: Grid) -> RgbaImage {
    RgbaImage::from_fn(full.w, full.h, |x, y| ramp(lookup(score, grid, full, x, y)))
}

/// The original, dimmed outside the mask and tinted inside it.
pub fn overlay(original: &RgbaImage, mask: &GrayImage) -> RgbaImage {
    const TINT: [f32; 3] = [255.0, 0.0, 140.0];
    RgbaImage::from_fn(original.width(), original.height(), |x, y| {
        let p = original.get_pixel(x, y).0;
        let inside = mask.get_pixel(x, y).0[0] > 0;
        let c: [u8; 3] = std::array::from_fn(|k| {
            if inside {
                (p[k] as f32 * 0.45 + TINT[k] * 0.55) as u8
            } else {
                (p[k] as f32 * 0.6) as u8
            }
        });
        Rgba([c[0], c[1], c[2], 255])
    })
}
