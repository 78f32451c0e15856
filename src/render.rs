//! Turning the working-grid results into images at the original's size for display.

use crate::pixels::{for_rows, nearest, runs, Grid};
use image::{GrayImage, Rgba, RgbaImage};

/// A mask of one word a pixel (non-zero inside) as bytes, 255 inside.
pub fn bytes(mask: &[u32]) -> Vec<u8> {
    mask.iter().map(|&m| if m > 0 { 255 } else { 0 }).collect()
}

/// The first `n` bytes of a mask packed four pixels a word (one copy, with no zeroing first).
pub fn unpacked(packed: &[u32], n: usize) -> Vec<u8> {
    bytemuck::cast_slice::<u32, u8>(packed)[..n].to_vec()
}

/// Pixels inside a mask of bytes.
pub fn area(bytes: &[u8]) -> u64 {
    // Counted in chunks of u8 sums, which vectorise (255 / 255 = 1 per pixel inside).
    bytes
        .chunks(255)
        .map(|c| c.iter().map(|&b| (b >> 7) as u32).sum::<u32>() as u64)
        .sum()
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
    let (columns, rows) = (runs(full.w, grid.w), nearest(full.h, grid.h));
    const BLOCK: usize = 16;
    let stride = 4 * full.w as usize;
    let mut bytes = vec![0u8; 4 * full.len()];
    for_rows(&mut bytes, stride * BLOCK, |block, block_rows| {
        for dy in 0..block_rows.len() / stride {
            let y = block * BLOCK + dy;
            let (above, row) = block_rows.split_at_mut(dy * stride);
            let row = &mut row[..stride];
            // A row that falls in the same score row as the one above is a copy of it.
            if dy > 0 && rows[y] == rows[y - 1] {
                row.copy_from_slice(&above[(dy - 1) * stride..]);
                continue;
            }
            let line = &score[rows[y] * grid.w as usize..][..grid.w as usize];
            // A run of one colour per score pixel.
            for (span, &v) in columns.iter().zip(line) {
                let colour = colours[v.min(255) as usize];
                for o in row[4 * span.start..4 * span.end].chunks_exact_mut(4) {
                    o.copy_from_slice(&colour);
                }
            }
        }
    });
    RgbaImage::from_raw(full.w, full.h, bytes).expect("four bytes a pixel")
}

/// `p`'s colour channels times `k / 256` (rounded), two channels at a time in 16-bit lanes of a
/// word, which vectorises; alpha becomes 0.
fn scaled(p: u32, k: u32) -> u32 {
    let red_blue = (((p & 0x00ff_00ff) * k + 0x0080_0080) >> 8) & 0x00ff_00ff;
    let green = (((p >> 8) & 0xff) * k + 0x80) & 0xff00;
    red_blue | green
}

/// The original, dimmed outside the mask and tinted inside it.
pub fn overlay(original: &RgbaImage, mask: &GrayImage) -> RgbaImage {
    overlay_onto(original, mask, vec![0u8; original.as_raw().len()])
}

/// `overlay` drawn into `bytes` (the original's size, any contents): a caller can have the
/// buffer made beforehand, off its critical path.
pub fn overlay_onto(original: &RgbaImage, mask: &GrayImage, mut bytes: Vec<u8>) -> RgbaImage {
    let w = original.width() as usize;
    let (pixels, marks) = (original.as_raw(), mask.as_raw());
    assert_eq!(
        bytes.len(),
        pixels.len(),
        "an overlay buffer of the original's size"
    );
    // Eight pixels at a time as words, which vectorises (WebAssembly included), then the rest.
    const LANES: usize = 8;
    for_rows(&mut bytes, 4 * w, |y, row| {
        let source = &pixels[4 * w * y..][..4 * w];
        let marks = &marks[w * y..][..w];
        let mut out = row.chunks_exact_mut(4 * LANES);
        let mut from = source.chunks_exact(4 * LANES);
        let mut inside = marks.chunks_exact(LANES);
        for ((o, p), m) in (&mut out).zip(&mut from).zip(&mut inside) {
            let p: [u32; LANES] = bytemuck::cast(<[u8; 4 * LANES]>::try_from(p).expect("a chunk"));
            let tinted: [u32; LANES] = std::array::from_fn(|k| tint(p[k], m[k]));
            o.copy_from_slice(&bytemuck::cast::<_, [u8; 4 * LANES]>(tinted));
        }
        let rest = out.into_remainder().chunks_exact_mut(4);
        for ((o, p), &m) in rest
            .zip(from.remainder().chunks_exact(4))
            .zip(inside.remainder())
        {
            let p = u32::from_le_bytes([p[0], p[1], p[2], p[3]]);
            o.copy_from_slice(&tint(p, m).to_le_bytes());
        }
    });
    RgbaImage::from_raw(original.width(), original.height(), bytes).expect("four bytes a pixel")
}

/// Grey diagonal hatching over the pixels `visible` marks 0: the part of the original the edit's
/// frame did not show, which the mask cannot speak for.
pub fn hatch(mut overlay: RgbaImage, visible: &GrayImage) -> RgbaImage {
    let w = overlay.width() as usize;
    let seen = visible.as_raw();
    crate::pixels::for_rows(&mut overlay, 4 * w, |y, row| {
        let seen = &seen[y * w..][..w];
        // Only the runs that can hold unseen pixels (none in most rows).
        for run in crate::pixels::marked_runs(w, |x| seen[x] == 0) {
            let pixels = row[4 * run.start..4 * run.end].chunks_exact_mut(4);
            // Every pixel of the run blended, the seen ones kept: without branches, so that it
            // vectorises.
            for ((x, p), &v) in run.clone().zip(pixels).zip(&seen[run]) {
                // Lines 8 px apart, 2 px wide, whatever the picture's size.
                let line = (x + y) % 8 < 2;
                let (grey, k) = (if line { 40 } else { 170 }, if line { 170 } else { 110 });
                let keep = v != 0;
                for c in &mut p[..3] {
                    let hatched = ((*c as u32 * (255 - k) + grey * k) / 255) as u8;
                    *c = if keep { *c } else { hatched };
                }
            }
        }
    });
    overlay
}

/// One overlay pixel: outside the mask 60% of the colour, inside 45% of it plus 55% of the tint
/// (255, 0, 140); opaque.
#[inline(always)]
fn tint(p: u32, mark: u8) -> u32 {
    const OUTSIDE: u32 = 154;
    const INSIDE: u32 = 115;
    const TINT: u32 = 140 | 77 << 16;
    const OPAQUE: u32 = 0xff00_0000;
    // All ones inside, zero outside: a select without a branch.
    let inside = u32::from(mark > 0).wrapping_neg();
    ((scaled(p, INSIDE) + TINT) & inside | scaled(p, OUTSIDE) & !inside) | OPAQUE
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn the_overlay_is_within_one_level_of_the_exact_blend_inside_and_outside() {
        let mut rng = Rng::new(7);
        let (w, h) = (37, 5);
        let original =
            RgbaImage::from_fn(w, h, |_, _| Rgba([0; 4].map(|_: u8| rng.next_u64() as u8)));
        let mask = GrayImage::from_fn(w, h, |x, y| {
            image::Luma([if (x + y) % 3 == 0 { 255 } else { 0 }])
        });
        let out = overlay(&original, &mask);
        for (x, y, p) in out.enumerate_pixels() {
            let o = original.get_pixel(x, y).0;
            let inside = mask.get_pixel(x, y).0[0] == 255;
            let tint = [255.0, 0.0, 140.0];
            for c in 0..3 {
                let exact = if inside {
                    o[c] as f32 * 0.45 + tint[c] * 0.55
                } else {
                    o[c] as f32 * 0.6
                };
                assert!(
                    (p.0[c] as f32 - exact).abs() <= 1.0,
                    "({x}, {y}) {c}: {} vs {exact}",
                    p.0[c]
                );
            }
            assert_eq!(p.0[3], 255);
        }
    }

    #[test]
    fn hatching_greys_only_the_unseen_pixels_in_diagonal_lines() {
        let (w, h) = (29, 11);
        let overlay = RgbaImage::from_pixel(w, h, Rgba([200, 100, 0, 255]));
        // Unseen: the left five columns and the bottom row.
        let seen = GrayImage::from_fn(w, h, |x, y| {
            image::Luma([if x < 5 || y == h - 1 { 0 } else { 255 }])
        });
        let out = hatch(overlay.clone(), &seen);
        for (x, y, p) in out.enumerate_pixels() {
            if seen.get_pixel(x, y).0[0] != 0 {
                assert_eq!(p, overlay.get_pixel(x, y), "({x}, {y}) was seen");
                continue;
            }
            let (grey, k) = if (x + y) % 8 < 2 {
                (40, 170)
            } else {
                (170, 110)
            };
            for (c, &v) in [200u32, 100, 0].iter().enumerate() {
                assert_eq!(
                    p.0[c] as u32,
                    (v * (255 - k) + grey * k) / 255,
                    "({x}, {y}) {c}"
                );
            }
            assert_eq!(p.0[3], 255);
        }
    }

    #[test]
    fn the_heat_map_gives_each_pixel_the_colour_of_the_score_pixel_it_falls_in() {
        let (grid, full) = (Grid { w: 7, h: 3 }, Grid { w: 23, h: 10 });
        let score: Vec<u32> = (0..grid.len() as u32).map(|i| i * 37 % 300).collect();
        let heat = heat_image(&score, grid, full);
        for (x, y, p) in heat.enumerate_pixels() {
            let (gx, gy) = (x * grid.w / full.w, y * grid.h / full.h);
            assert_eq!(*p, ramp(score[(gy * grid.w + gx) as usize]), "({x}, {y})");
        }
    }

    #[test]
    fn a_packed_mask_unpacks_to_its_bytes_and_its_area_counts_the_inside() {
        let bytes: Vec<u8> = (0..1001).map(|i| if i % 7 < 3 { 255 } else { 0 }).collect();
        let mut packed = vec![0u32; bytes.len().div_ceil(4)];
        bytemuck::cast_slice_mut::<u32, u8>(&mut packed)[..bytes.len()].copy_from_slice(&bytes);
        assert_eq!(unpacked(&packed, bytes.len()), bytes);
        assert_eq!(
            area(&bytes),
            bytes.iter().filter(|&&b| b > 0).count() as u64
        );
        assert_eq!(super::bytes(&[0, 1, 5, 0]), vec![0, 255, 255, 0]);
    }
}
