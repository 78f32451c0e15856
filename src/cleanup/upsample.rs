//! Stage 7 (painter path): bring a mask from the painter's small grid to the picture's grid along
//! the picture's own edges. Joint bilateral upsampling: each full-resolution pixel takes the
//! mask values of the nearby small-grid pixels, weighted by distance and by how close their
//! colour (in the small picture the painter saw) is to its own colour, so a boundary follows the
//! sharp picture rather than the blocky grid. Plain bilinear upsampling is kept as the baseline
//! the benchmark compares with. GPU: `shaders/upsample.wgsl`.

use crate::color::LabTable;
use crate::gpu::{Gpu, Kernel};
use crate::pixels::{for_rows, Grid};

const KERNEL: Kernel = Kernel {
    source: include_str!("../../shaders/upsample.wgsl"),
    entry: "main",
};

/// Small-grid pixels each side of the sample point that contribute.
const REACH: i32 = 2;
/// Spatial fall-off, in small-grid pixels.
const SIGMA_SPACE: f32 = 1.0;
/// Colour fall-off, in CIELAB units.
const SIGMA_COLOUR: f32 = 10.0;

/// Where full-grid pixel `x` falls on a small grid, in small pixels (centres at i + 0.5).
fn source(x: u32, full: u32, small: u32) -> f32 {
    (x as f32 + 0.5) * small as f32 / full as f32 - 0.5
}

/// Plain bilinear upsampling of `mask` (0 or 255 per pixel), cut at half.
pub fn bilinear(mask: &[u8], small: Grid, full: Grid) -> Vec<u8> {
    let at = |x: i32, y: i32| {
        mask[(y.clamp(0, small.h as i32 - 1) * small.w as i32 + x.clamp(0, small.w as i32 - 1))
            as usize] as f32
    };
    let mut out = vec![0u8; full.len()];
    for_rows(&mut out, full.w as usize, |y, row| {
        let v = source(y as u32, full.h, small.h);
        let (y0, fy) = (v.floor() as i32, v - v.floor());
        for (x, o) in row.iter_mut().enumerate() {
            let u = source(x as u32, full.w, small.w);
            let (x0, fx) = (u.floor() as i32, u - u.floor());
            let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1, y0) * fx;
            let bottom = at(x0, y0 + 1) * (1.0 - fx) + at(x0 + 1, y0 + 1) * fx;
            *o = if top * (1.0 - fy) + bottom * fy >= 127.5 {
                255
            } else {
                0
            };
        }
    });
    out
}

/// Joint bilateral upsampling of `mask` (0 or 255) on `small`, guided by the picture at both
/// sizes (packed RGBA): `guide` on `small`, `picture` on `full`.
pub fn cpu(mask: &[u8], guide: &[u32], small: Grid, picture: &[u32], full: Grid) -> Vec<u8> {
    let lab = LabTable::new();
    let guide_lab: Vec<[f32; 3]> = guide.iter().map(|&p| lab.lab(p)).collect();
    let mut out = vec![0u8; full.len()];
    for_rows(&mut out, full.w as usize, |y, row| {
        let v = source(y as u32, full.h, small.h);
        for (x, o) in row.iter_mut().enumerate() {
            let u = source(x as u32, full.w, small.w);
            // Where every contributing small pixel agrees, the weighted mean is that value:
            // only pixels near the outline need the colour weights.
            let (i0, j0) = (u.floor() as i32 - REACH + 1, v.floor() as i32 - REACH + 1);
            let at = |i: i32, j: i32| {
                let (i, j) = (
                    i.clamp(0, small.w as i32 - 1),
                    j.clamp(0, small.h as i32 - 1),
                );
                mask[(j * small.w as i32 + i) as usize]
            };
            let first = at(i0.max(0), j0.max(0));
            if (j0..j0 + 2 * REACH).all(|j| (i0..i0 + 2 * REACH).all(|i| at(i, j) == first)) {
                *o = if first >= 128 { 255 } else { 0 };
                continue;
            }
            let me = lab.lab(picture[y * full.w as usize + x]);
            let (mut sum, mut weight) = (0f32, 0f32);
            for j in v.floor() as i32 - REACH + 1..=v.floor() as i32 + REACH {
                for i in u.floor() as i32 - REACH + 1..=u.floor() as i32 + REACH {
                    if i < 0 || j < 0 || i >= small.w as i32 || j >= small.h as i32 {
                        continue;
                    }
                    let k = (j * small.w as i32 + i) as usize;
                    let (du, dv) = (i as f32 - u, j as f32 - v);
                    let g = guide_lab[k];
                    let dc = (0..3).map(|c| (g[c] - me[c]).powi(2)).sum::<f32>();
                    // The small floor keeps a pixel unlike all its neighbours from weighing nothing.
                    let w = (-(du * du + dv * dv) / (2.0 * SIGMA_SPACE * SIGMA_SPACE)).exp()
                        * ((-dc / (2.0 * SIGMA_COLOUR * SIGMA_COLOUR)).exp() + 1e-4);
                    sum += w * mask[k] as f32;
                    weight += w;
                }
            }
            *o = if weight > 0.0 && sum / weight >= 127.5 {
                255
            } else {
                0
            };
        }
    });
    out
}

/// `cpu` on the GPU: `mask` holds one word (0 or 255) a small-grid pixel.
pub fn gpu(
    g: &Gpu,
    mask: &wgpu::Buffer,
    guide: &wgpu::Buffer,
    small: Grid,
    picture: &wgpu::Buffer,
    full: Grid,
) -> wgpu::Buffer {
    let out = g.zeroed(full.len());
    g.run_items(
        KERNEL,
        &[small.w, small.h, full.w, full.h],
        &[mask, guide, picture, &out],
        full.len(),
    );
    out
}
