//! Stage 1: bring the edit onto the original's grid (editors answer at their own resolution and,
//! for a fixed-size editor, squeezed to its aspect). GPU: `shaders/resample.wgsl`.

use crate::gpu::{Gpu, Kernel};
use crate::pixels::{for_rows, pack, unpack, Grid};

const KERNEL: Kernel = Kernel {
    source: include_str!("../../shaders/resample.wgsl"),
    entry: "main",
};

/// Samples per output pixel along one axis: one when enlarging, enough to cover the footprint
/// when shrinking.
fn taps(src: u32, dst: u32) -> u32 {
    src.div_ceil(dst).max(1)
}

fn params(src: Grid, dst: Grid) -> [u32; 6] {
    [
        src.w,
        src.h,
        dst.w,
        dst.h,
        taps(src.w, dst.w),
        taps(src.h, dst.h),
    ]
}

/// Per output position along one axis, the source positions and weights its taps' linear
/// samples add up to (each tap splits 1 / taps between two neighbours, clamped at the border).
fn weights(src: u32, dst: u32, taps: u32) -> Vec<Vec<(usize, f32)>> {
    let scale = src as f32 / dst as f32;
    (0..dst)
        .map(|d| {
            let mut w: Vec<(usize, f32)> = Vec::new();
            for t in 0..taps {
                let f = (d as f32 + (t as f32 + 0.5) / taps as f32) * scale - 0.5;
                let i0 = f.floor();
                let frac = f - i0;
                for (i, k) in [(i0 as i32, 1.0 - frac), (i0 as i32 + 1, frac)] {
                    let i = i.clamp(0, src as i32 - 1) as usize;
                    match w.iter_mut().find(|(j, _)| *j == i) {
                        Some((_, v)) => *v += k / taps as f32,
                        None => w.push((i, k / taps as f32)),
                    }
                }
            }
            w
        })
        .collect()
}

/// The average of bilinear taps is separable: rows are filtered across, then the columns down.
pub fn cpu(src: &[u32], from: Grid, to: Grid) -> Vec<u32> {
    let [_, _, _, _, taps_x, taps_y] = params(from, to);
    let across = weights(from.w, to.w, taps_x);
    let down = weights(from.h, to.h, taps_y);
    let (fw, tw) = (from.w as usize, to.w as usize);
    // Rows filtered across: from.h rows of to.w pixels, four channels each.
    let mut rows = vec![[0.0f32; 4]; from.h as usize * tw];
    for_rows(&mut rows, tw, |y, row| {
        let line = &src[y * fw..][..fw];
        for (o, w) in row.iter_mut().zip(&across) {
            for &(i, k) in w {
                let p = unpack(line[i]);
                for c in 0..4 {
                    o[c] += k * p[c];
                }
            }
        }
    });
    let mut out = vec![0u32; to.len()];
    for_rows(&mut out, tw, |y, row| {
        for (x, o) in row.iter_mut().enumerate() {
            let mut acc = [0.0f32; 4];
            for &(i, k) in &down[y] {
                let p = rows[i * tw + x];
                for c in 0..4 {
                    acc[c] += k * p[c];
                }
            }
            *o = pack(acc);
        }
    });
    out
}

pub fn gpu(g: &Gpu, src: &wgpu::Buffer, from: Grid, to: Grid) -> wgpu::Buffer {
    let dst = g.zeroed(to.len());
    g.run_items(KERNEL, &params(from, to), &[src, &dst], to.len());
    dst
}
