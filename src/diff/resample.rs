//! Stage 1: bring the edit onto the original's grid (editors answer at their own resolution and,
//! for a fixed-size editor, squeezed to its aspect). GPU: `shaders/resample.wgsl`.

use crate::gpu::{Gpu, Kernel};
use crate::pixels::{for_rows, Grid};

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

/// Weights quantised to whole `1 / total` steps that add up to `total` exactly, so a flat area
/// stays flat.
fn quantised(weights: &[Vec<(usize, f32)>], total: u32) -> Vec<Vec<(usize, u32)>> {
    weights
        .iter()
        .map(|w| {
            let mut q: Vec<(usize, u32)> = w
                .iter()
                .map(|&(i, k)| (i, (k * total as f32).round() as u32))
                .collect();
            let sum: u32 = q.iter().map(|&(_, k)| k).sum();
            let largest = (0..q.len())
                .max_by_key(|&j| q[j].1)
                .expect("one tap at least");
            q[largest].1 = (q[largest].1 + total).saturating_sub(sum);
            q
        })
        .collect()
}

/// The average of bilinear taps is separable: per output row, its source rows are weighted and
/// added down (every byte of a row at once, which vectorises), then across. Integer weights
/// (1/32768 steps down, kept with 8 fractional bits, then 1/4096 steps across) keep every sum in
/// a `u32` and the result within one level of the shader's floats.
pub fn cpu(src: &[u32], from: Grid, to: Grid) -> Vec<u32> {
    let [_, _, _, _, taps_x, taps_y] = params(from, to);
    let across = quantised(&weights(from.w, to.w, taps_x), 1 << 12);
    // Weights down fit 16 bits, so the products are 16 x 16-bit multiplies, which vectorise.
    let down: Vec<Vec<(usize, u16)>> = quantised(&weights(from.h, to.h, taps_y), 1 << 15)
        .into_iter()
        .map(|w| w.into_iter().map(|(i, k)| (i, k as u16)).collect())
        .collect();
    let (fw, tw) = (from.w as usize, to.w as usize);
    let bytes: &[u8] = bytemuck::cast_slice(src);
    let mut out = vec![0u32; to.len()];
    for_rows(&mut out, tw, |y, row| {
        let mut acc = vec![1u32 << 6; 4 * fw];
        for &(i, k) in &down[y] {
            for (a, &v) in acc.iter_mut().zip(&bytes[4 * fw * i..][..4 * fw]) {
                *a += u32::from(k) * u32::from(v);
            }
        }
        let column: Vec<u16> = acc.iter().map(|&a| (a >> 7) as u16).collect();
        for (o, w) in row.iter_mut().zip(&across) {
            let mut sum = [1u32 << 19; 4];
            for &(i, k) in w {
                for (c, s) in sum.iter_mut().enumerate() {
                    *s += k * column[4 * i + c] as u32;
                }
            }
            *o = u32::from_le_bytes(sum.map(|v| (v >> 20).min(255) as u8));
        }
    });
    out
}

pub fn gpu(g: &Gpu, src: &wgpu::Buffer, from: Grid, to: Grid) -> wgpu::Buffer {
    let dst = g.zeroed(to.len());
    g.run_items(KERNEL, &params(from, to), &[src, &dst], to.len());
    dst
}
