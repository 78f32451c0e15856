//! Turning the working-grid results into images at the original's size for display.

use crate::pixels::{for_rows, Grid};
use image::{GrayImage, Rgba, RgbaImage};

/// For each pixel along one side of the original, the working-grid pixel it falls in (nearest).
fn nearest(full: u32, grid: u32) -> Vec<usize> {
    (0..full)
        .map(|x| (x as u64 * grid as u64 / full as u64) as usize)
        .collect()
}

/// The mask (non-zero inside) as an image of the same grid, 255 inside.
pub fn mask_image(mask: &[u32], grid: Grid) -> GrayImage {
    let mut bytes = vec![0u8; grid.len()];
    for_rows(&mut bytes, grid.w as usize, |y, row| {
        let words = &mask[y * grid.w as usize..][..grid.w as usize];
        for (b, &m) in row.iter_mut().zip(words) {
            *b = if m > 0 { 255 } else { 0 };
        }
    });
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
    let colours: Vec<[u8; 4]> = (0..256).map(|v| ramp(v).0).collect();
    let (columns, rows) = (nearest(full.w, grid.w), nearest(full.h, grid.h));
    let mut bytes = vec![0u8; 4 * full.len()];
    for_rows(&mut bytes, 4 * full.w as usize, |y, row| {
        let line = &score[rows[y] * grid.w as usize..][..grid.w as usize];
        for (o, &x) in row.chunks_exact_mut(4).zip(&columns) {
            o.copy_from_slice(&colours[line[x].min(255) as usize]);
        }
    });
    RgbaImage::from_raw(full.w, full.h, bytes).expect("four bytes a pixel")
}

/// The original, dimmed outside the mask and tinted inside it.
pub fn overlay(original: &RgbaImage, mask: &GrayImage) -> RgbaImage {
    const TINT: [f32; 3] = [255.0, 0.0, 140.0];
    // Every channel value's result, inside and outside, by table.
    let inside: [[u8; 256]; 3] =
        std::array::from_fn(|k| std::array::from_fn(|v| (v as f32 * 0.45 + TINT[k] * 0.55) as u8));
    let outside: [u8; 256] = std::array::from_fn(|v| (v as f32 * 0.6) as u8);
    let w = original.width() as usize;
    let (pixels, marks) = (original.as_raw(), mask.as_raw());
    let mut bytes = vec![0u8; pixels.len()];
    for_rows(&mut bytes, 4 * w, |y, row| {
        let source = pixels[4 * w * y..][..4 * w].chunks_exact(4);
        for ((o, p), &m) in row
            .chunks_exact_mut(4)
            .zip(source)
            .zip(&marks[w * y..][..w])
        {
            *o.first_chunk_mut().expect("four bytes") = if m > 0 {
                [
                    inside[0][p[0] as usize],
                    inside[1][p[1] as usize],
                    inside[2][p[2] as usize],
                    255,
                ]
            } else {
                [
                    outside[p[0] as usize],
                    outside[p[1] as usize],
                    outside[p[2] as usize],
                    255,
                ]
            };
        }
    });
    RgbaImage::from_raw(original.width(), original.height(), bytes).expect("four bytes a pixel")
}
