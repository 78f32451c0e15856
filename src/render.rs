//! Turning the working-grid results into images at the original's size for display.

use crate::pixels::Grid;
use image::{GrayImage, Rgba, RgbaImage};

/// Nearest-neighbour lookup from the original's grid into the working grid.
fn lookup(values: &[u32], grid: Grid, full: Grid, x: u32, y: u32) -> u32 {
    let wx = (x as u64 * grid.w as u64 / full.w as u64) as usize;
    let wy = (y as u64 * grid.h as u64 / full.h as u64) as usize;
    values[wy * grid.w as usize + wx]
}

/// The mask (non-zero inside) as an image of the same grid, 255 inside.
pub fn mask_image(mask: &[u32], grid: Grid) -> GrayImage {
    let bytes = mask.iter().map(|&m| if m > 0 { 255 } else { 0 }).collect();
    GrayImage::from_raw(grid.w, grid.h, bytes).expect("one byte a pixel")
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
    let colours: Vec<Rgba<u8>> = (0..256).map(ramp).collect();
    RgbaImage::from_fn(full.w, full.h, |x, y| {
        colours[lookup(score, grid, full, x, y).min(255) as usize]
    })
}

/// The original, dimmed outside the mask and tinted inside it.
pub fn overlay(original: &RgbaImage, mask: &GrayImage) -> RgbaImage {
    const TINT: [f32; 3] = [255.0, 0.0, 140.0];
    // Every channel value's result, inside and outside, by table.
    let inside: [[u8; 256]; 3] =
        std::array::from_fn(|k| std::array::from_fn(|v| (v as f32 * 0.45 + TINT[k] * 0.55) as u8));
    let outside: [u8; 256] = std::array::from_fn(|v| (v as f32 * 0.6) as u8);
    let mut out = RgbaImage::new(original.width(), original.height());
    for ((o, p), m) in out.pixels_mut().zip(original.pixels()).zip(mask.pixels()) {
        let p = p.0;
        *o = if m.0[0] > 0 {
            Rgba([
                inside[0][p[0] as usize],
                inside[1][p[1] as usize],
                inside[2][p[2] as usize],
                255,
            ])
        } else {
            Rgba([
                outside[p[0] as usize],
                outside[p[1] as usize],
                outside[p[2] as usize],
                255,
            ])
        };
    }
    out
}
