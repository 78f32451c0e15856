//! Stage 2a: Gaussian blur of both images before they are compared, the original's drift
//! (stage 2b) applied as its blurred rows are written. GPU: `shaders/blur.wgsl`.

use crate::diff::drift::{self, Drift};
use crate::gpu::{Gpu, Kernel};
use crate::pixels::{both, for_rows_with, Grid};

const SOURCE: &str = include_str!("../../shaders/blur.wgsl");
/// Radius up to `NEAR`, both pictures, the taps written out; any radius, a loop over them.
const PAIR_KERNEL: Kernel = Kernel::new(SOURCE, "near_pair");
const KERNEL: Kernel = Kernel::new(SOURCE, "main");
const NEAR: usize = 4;
/// Pixels along the axis per invocation of `near_pair`.
const RUN: u32 = 4;

/// The most taps the shader's weights hold: sigma up to 3.
const MAX_TAPS: usize = 20;
/// Words of the shaders' `Params`: four header words, the weights, the drift's coefficients.
const PARAMS: usize = 4 + MAX_TAPS + 24;

/// Taps on each side of the centre: three standard deviations.
fn radius(sigma: f32) -> u32 {
    (3.0 * sigma).ceil() as u32
}

/// The kernel's weights in units of 1/256, adding up to 256 exactly (the centre takes the
/// rounding), so that a flat area stays flat and every weighted sum of bytes fits 16 bits: the
/// shaders sum two channels in each 32-bit word, the CPU twin sums bytes in 16-bit lanes, both
/// in integers, so they agree exactly.
fn fixed_weights(sigma: f32) -> Vec<u32> {
    let r = radius(sigma) as i32;
    let weights: Vec<f32> = (-r..=r)
        .map(|k| (-((k * k) as f32) / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f32 = weights.iter().sum();
    let mut fixed: Vec<u32> = weights
        .iter()
        .map(|w| (w / total * 256.0).round() as u32)
        .collect();
    let others: u32 = fixed.iter().sum::<u32>() - fixed[r as usize];
    fixed[r as usize] = 256 - others;
    fixed
}

/// Bytes summed at a time: their sums stay in registers across the taps.
const LANES: usize = 32;

/// out[i] = sum over taps k of weight[k] * taps[k][i], rounded, for every byte of a row.
fn weighted_sum(out: &mut [u32], weights: &[u32], taps: &[&[u8]]) {
    let bytes: &mut [u8] = bytemuck::cast_slice_mut(out);
    let mut chunks = bytes.chunks_exact_mut(LANES);
    let mut i = 0;
    for chunk in &mut chunks {
        let mut a = [128u16; LANES];
        for (&wk, tap) in weights.iter().zip(taps) {
            let tap: &[u8; LANES] = tap[i..i + LANES].try_into().expect("a whole chunk");
            for j in 0..LANES {
                a[j] += wk as u16 * tap[j] as u16;
            }
        }
        for j in 0..LANES {
            chunk[j] = (a[j] >> 8) as u8;
        }
        i += LANES;
    }
    for (j, b) in chunks.into_remainder().iter_mut().enumerate() {
        let a = weights
            .iter()
            .zip(taps)
            .fold(128u16, |a, (&wk, tap)| a + wk as u16 * tap[i + j] as u16);
        *b = (a >> 8) as u8;
    }
}

/// Output rows a thread blurs at a time: their source rows (and the radius above and below)
/// are blurred across into its scratch, which stays in cache, then down.
const BAND: usize = 32;

/// Per thread: a source row padded at its ends, a band blurred across.
#[derive(Default)]
struct Scratch {
    padded: Vec<u32>,
    across: Vec<u32>,
}

/// Separable Gaussian blur of bytes by `fixed_weights`, edges repeated.
pub fn cpu(src: &[u32], grid: Grid, sigma: f32) -> Vec<u32> {
    let weights = fixed_weights(sigma);
    let r = weights.len() / 2;
    let (w, h) = (grid.w as usize, grid.h as usize);
    let mut out = vec![0u32; grid.len()];
    for_rows_with(
        &mut out,
        w * BAND,
        Scratch::default,
        |scratch, band, rows| {
            let Scratch { padded, across } = scratch;
            let y0 = band * BAND;
            let (first, last) = (y0.saturating_sub(r), (y0 + rows.len() / w + r).min(h));
            // Across: each row padded with copies of its end pixels, so every tap is a plain offset.
            across.resize((last - first) * w, 0);
            for (sy, line) in (first..last).zip(across.chunks_exact_mut(w)) {
                let row = &src[sy * w..][..w];
                padded.clear();
                padded.extend(std::iter::repeat_n(row[0], r));
                padded.extend_from_slice(row);
                padded.extend(std::iter::repeat_n(row[w - 1], r));
                let bytes: &[u8] = bytemuck::cast_slice(padded);
                // (Entries past the kernel's taps are never read: clamped to stay in range.)
                let taps: [&[u8]; MAX_TAPS] = std::array::from_fn(|k| &bytes[4 * k.min(2 * r)..]);
                weighted_sum(line, &weights, &taps[..weights.len()]);
            }
            // Down: rows above and below, clamped at the edges.
            for (y, out) in (y0..).zip(rows.chunks_exact_mut(w)) {
                let taps: [&[u8]; MAX_TAPS] = std::array::from_fn(|k| {
                    let sy = (y + k.min(2 * r)).saturating_sub(r).min(h - 1);
                    bytemuck::cast_slice::<u32, u8>(&across[(sy - first) * w..][..w])
                });
                weighted_sum(out, &weights, &taps[..weights.len()]);
            }
        },
    );
    out
}

/// Stages 2a and 2b as `pair_gpu` runs them: both pictures blurred, the original's drift
/// applied to its blurred pixels.
pub fn pair_cpu(
    original: &[u32],
    edited: &[u32],
    grid: Grid,
    sigma: f32,
    drift: &Drift,
) -> (Vec<u32>, Vec<u32>) {
    let (_, o, e) = pair_estimated_cpu(original, edited, grid, sigma, || *drift);
    (o, e)
}

/// `pair_cpu` with the drift estimated beside both blurs (which need none): the estimate is
/// serial, so the blurs fill the other core, and the drift is then applied in a pass of its own.
pub fn pair_estimated_cpu(
    original: &[u32],
    edited: &[u32],
    grid: Grid,
    sigma: f32,
    estimate: impl FnOnce() -> Drift + Send,
) -> (Drift, Vec<u32>, Vec<u32>) {
    let (drift, (mut o, e)) = both(estimate, || {
        both(|| cpu(original, grid, sigma), || cpu(edited, grid, sigma))
    });
    drift::apply(&mut o, grid, &drift);
    (drift, o, e)
}

/// The weights as the shaders' uniform reads them, after the four header words.
fn weight_words(weights: &[u32]) -> Vec<u32> {
    let mut words = weights.to_vec();
    words.resize(MAX_TAPS, 0);
    words
}

/// One pass per axis, a pixel per invocation, any radius: `cpu`.
pub fn gpu(g: &Gpu, src: &wgpu::Buffer, grid: Grid, sigma: f32) -> wgpu::Buffer {
    let tmp = g.zeroed(grid.len());
    let dst = g.zeroed(grid.len());
    let weights = fixed_weights(sigma);
    assert!(
        weights.len() <= MAX_TAPS,
        "sigma {sigma} needs more than {MAX_TAPS} taps"
    );
    let r = weights.len() / 2;
    for (vertical, from, to) in [(0, src, &tmp), (1, &tmp, &dst)] {
        let mut params = vec![grid.w, grid.h, r as u32, vertical];
        params.extend(weight_words(&weights));
        params.resize(PARAMS, 0);
        g.run_items(KERNEL, &params, &[from, to], grid.len());
    }
    dst
}

/// `pair_cpu` on the GPU. Up to radius `NEAR` (every detection grid's), both pictures in one
/// pass per axis, each invocation four pixels along it with the nine taps written out, the drift
/// applied in the second pass: SwiftShader, the CPU emulation of a GPU in browsers without one,
/// runs this straight-line code several times faster than a loop over the taps, and each pixel
/// it loads serves up to four outputs.
pub fn pair_gpu(
    g: &Gpu,
    original: &wgpu::Buffer,
    edited: &wgpu::Buffer,
    grid: Grid,
    sigma: f32,
    drift: &Drift,
) -> (wgpu::Buffer, wgpu::Buffer) {
    let weights = fixed_weights(sigma);
    let r = weights.len() / 2;
    if r > NEAR {
        let o = gpu(g, original, grid, sigma);
        return (drift::gpu(g, &o, grid, drift), gpu(g, edited, grid, sigma));
    }
    // Centred in the nine taps, zero beyond the radius: the same sums.
    let mut nine = vec![0; NEAR - r];
    nine.extend(&weights);
    let (o_tmp, e_tmp) = (g.zeroed(grid.len()), g.zeroed(grid.len()));
    let (o_dst, e_dst) = (g.zeroed(grid.len()), g.zeroed(grid.len()));
    let runs = |n: u32| n.div_ceil(RUN) as usize;
    for (mode, o_from, e_from, o_to, e_to, items) in [
        (
            0,
            original,
            edited,
            &o_tmp,
            &e_tmp,
            runs(grid.w) * grid.h as usize,
        ),
        (
            2,
            &o_tmp,
            &e_tmp,
            &o_dst,
            &e_dst,
            grid.w as usize * runs(grid.h),
        ),
    ] {
        let mut params = vec![grid.w, grid.h, r as u32, mode];
        params.extend(weight_words(&nine));
        params.extend(drift.words());
        g.run_items(PAIR_KERNEL, &params, &[o_from, o_to, e_from, e_to], items);
    }
    (o_dst, e_dst)
}
