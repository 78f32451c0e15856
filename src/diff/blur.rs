//! Stage 2a: Gaussian blur of both images before they are compared. GPU: `shaders/blur.wgsl`.

use crate::gpu::{Gpu, Kernel};
use crate::pixels::{for_rows, Grid};

const SOURCE: &str = include_str!("../../shaders/blur.wgsl");
/// Radius up to `NEAR`, the taps unrolled; any radius, a loop over them.
const NEAR_KERNEL: Kernel = Kernel::new(SOURCE, "near");
const KERNEL: Kernel = Kernel::new(SOURCE, "main");
const NEAR: usize = 4;

/// The most taps the shader's weights hold: sigma up to 3.
const MAX_TAPS: usize = 20;

/// Taps on each side of the centre: three standard deviations.
fn radius(sigma: f32) -> u32 {
    (3.0 * sigma).ceil() as u32
}

/// The kernel's weights, normalised, in units of 1/65536. Both twins sum bytes times these in
/// integers (rows vectorise well here), so they agree exactly.
fn fixed_weights(sigma: f32) -> Vec<u32> {
    let r = radius(sigma) as i32;
    let weights: Vec<f32> = (-r..=r)
        .map(|k| (-((k * k) as f32) / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f32 = weights.iter().sum();
    weights
        .iter()
        .map(|w| (w / total * 65536.0).round() as u32)
        .collect()
}

/// out[i] = sum over taps k of weight[k] * tap(k)[i], rounded, for every byte of a row.
fn weighted_sum<'a>(out: &mut [u32], weights: &[u32], taps: impl Fn(usize) -> &'a [u8]) {
    let mut acc = vec![1u32 << 15; out.len() * 4];
    for (k, &wk) in weights.iter().enumerate() {
        for (a, &v) in acc.iter_mut().zip(taps(k)) {
            *a += wk * v as u32;
        }
    }
    let bytes: &mut [u8] = bytemuck::cast_slice_mut(out);
    for (b, a) in bytes.iter_mut().zip(&acc) {
        *b = (a >> 16).min(255) as u8;
    }
}

pub fn cpu(src: &[u32], grid: Grid, sigma: f32) -> Vec<u32> {
    let weights = fixed_weights(sigma);
    let r = weights.len() / 2;
    let (w, h) = (grid.w as usize, grid.h as usize);
    // Horizontal: each row padded with copies of its end pixels, so every tap is a plain offset.
    let mut horizontal = vec![0u32; grid.len()];
    for_rows(&mut horizontal, w, |y, out| {
        let row = &src[y * w..(y + 1) * w];
        let padded: Vec<u32> = (0..w + 2 * r)
            .map(|x| row[x.saturating_sub(r).min(w - 1)])
            .collect();
        let bytes: &[u8] = bytemuck::cast_slice(&padded);
        weighted_sum(out, &weights, |k| &bytes[4 * k..]);
    });
    // Vertical: rows above and below, clamped at the edges.
    let mut out = vec![0u32; grid.len()];
    for_rows(&mut out, w, |y, out| {
        let row = |k: usize| {
            let sy = (y + k).saturating_sub(r).min(h - 1);
            bytemuck::cast_slice::<u32, u8>(&horizontal[sy * w..(sy + 1) * w])
        };
        weighted_sum(out, &weights, row);
    });
    out
}

pub fn gpu(g: &Gpu, src: &wgpu::Buffer, grid: Grid, sigma: f32) -> wgpu::Buffer {
    let tmp = g.zeroed(grid.len());
    let dst = g.zeroed(grid.len());
    let weights = fixed_weights(sigma);
    assert!(
        weights.len() <= MAX_TAPS,
        "sigma {sigma} needs more than {MAX_TAPS} taps"
    );
    let r = weights.len() / 2;
    let (kernel, weights) = if r <= NEAR {
        // Centred in the nine taps, zero beyond the radius: the same sums.
        let mut nine = vec![0; NEAR - r];
        nine.extend(&weights);
        (NEAR_KERNEL, nine)
    } else {
        (KERNEL, weights)
    };
    for (vertical, from, to) in [(0, src, &tmp), (1, &tmp, &dst)] {
        let mut params = vec![grid.w, grid.h, r as u32, vertical];
        params.extend(&weights);
        params.resize(4 + MAX_TAPS, 0);
        g.run_items(kernel, &params, &[from, to], grid.len());
    }
    dst
}
