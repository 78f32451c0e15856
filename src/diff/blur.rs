//! Stage 2a: Gaussian blur of both images before they are compared. GPU: `shaders/blur.wgsl`.

use crate::gpu::{Gpu, Kernel};
use crate::pixels::{pack, unpack, Grid};

const KERNEL: Kernel = Kernel { source: include_str!("../../shaders/blur.wgsl"), entry: "main" };

/// Taps on each side of the centre: three standard deviations.
fn radius(sigma: f32) -> u32 {
    (3.0 * sigma).ceil() as u32
}

fn pass(src: &[u32], grid: Grid, sigma: f32, vertical: bool) -> Vec<u32> {
    let r = radius(sigma) as i32;
    let weights: Vec<f32> = (-r..=r).map(|k| (-((k * k) as f32) / (2.0 * sigma * sigma)).exp()).collect();
    let total: f32 = weights.iter().sum();
    let (w, h) = (grid.w as i32, grid.h as i32);
    let mut out = Vec::with_capacity(grid.len());
    for y in 0..h {
        for x in 0..w {
            let mut acc = [0.0f32; 4];
            for (k, wk) in (-r..=r).zip(&weights) {
                let (sx, sy) = if vertical { (x, (y + k).clamp(0, h - 1)) } else { ((x + k).clamp(0, w - 1), y) };
                let v = unpack(src[(sy * w + sx) as usize]);
                for c in 0..4 {
                    acc[c] += wk * v[c];
                }
            }
            out.push(pack(acc.map(|a| a / total)));
        }
    }
    out
}

pub fn cpu(src: &[u32], grid: Grid, sigma: f32) -> Vec<u32> {
    let horizontal = pass(src, grid, sigma, false);
    pass(&horizontal, grid, sigma, true)
}

pub fn gpu(g: &Gpu, src: &wgpu::Buffer, grid: Grid, sigma: f32) -> wgpu::Buffer {
    let tmp = g.zeroed(grid.len());
    let dst = g.zeroed(grid.len());
    for (vertical, from, to) in [(0, src, &tmp), (1, &tmp, &dst)] {
        let params = [grid.w, grid.h, radius(sigma), sigma.to_bits(), vertical];
        g.run_items(KERNEL, &params, &[from, to], grid.len());
    }
    dst
}
