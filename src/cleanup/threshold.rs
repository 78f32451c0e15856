//! Stage 4: pick the score above which a pixel counts as painted, and binarise. The histogram is
//! counted on the host, where the score comes back once for the heat map anyway (256 counters
//! that every invocation adds to serialise on a GPU, and most of all on a CPU emulating one); the
//! binarisation runs on the GPU: `shaders/threshold.wgsl`, 32 pixels to a word (`bits`).
//!
//! Otsu alone splits the histogram at its widest gap, which inside a painted object with dark and
//! bright parts can fall between "changed a little" and "changed a lot". So the automatic
//! threshold is the lower of Otsu's and a noise bound read off the unchanged bulk (median plus a
//! multiple of the median absolute deviation), and never under a floor.

use crate::cleanup::bits;
use crate::gpu::{Gpu, Kernel};
use crate::pixels::{for_rows, Grid};

const SOURCE: &str = include_str!("../../shaders/threshold.wgsl");
const BINARIZE: Kernel = Kernel::new(SOURCE, "binarize");

/// The lowest automatic threshold: a CIELAB change of 3, which blur-smoothed noise and JPEG
/// artefacts stay under.
pub const FLOOR: u8 = 12;

pub type Histogram = [u32; 256];

/// Spreads of the bulk above its median that still count as noise.
const NOISE_SPREADS: u32 = 8;

/// A score that stands for a clear change (a CIELAB distance of 10), whatever the threshold.
pub const CHANGED: usize = 40;

/// The share of the scored pixels that changed clearly ([`CHANGED`]).
pub fn changed_share(hist: &Histogram) -> f64 {
    let all: u64 = hist.iter().map(|&c| c as u64).sum();
    let changed: u64 = hist[CHANGED..].iter().map(|&c| c as u64).sum();
    changed as f64 / all.max(1) as f64
}

/// The automatic threshold (pixels above it are foreground).
pub fn auto(hist: &Histogram) -> u8 {
    otsu(hist).min(noise_bound(hist)).max(FLOOR)
}

/// The `q`-quantile bin of a histogram.
fn quantile(hist: &[u32], q: f64) -> u32 {
    let total: u64 = hist.iter().map(|&c| c as u64).sum();
    let target = (q * total as f64).ceil().max(1.0) as u64;
    let mut seen = 0u64;
    for (i, &c) in hist.iter().enumerate() {
        seen += c as u64;
        if seen >= target {
            return i as u32;
        }
    }
    hist.len() as u32 - 1
}

/// Median plus `NOISE_SPREADS` median absolute deviations (at least one bin each).
fn noise_bound(hist: &Histogram) -> u8 {
    let median = quantile(hist, 0.5);
    let mut deviations = [0u32; 256];
    for (i, &c) in hist.iter().enumerate() {
        deviations[(i as u32).abs_diff(median) as usize] += c;
    }
    let mad = quantile(&deviations, 0.5).max(1);
    (median + NOISE_SPREADS * mad).min(255) as u8
}

/// Otsu's threshold: the bin that best splits the histogram into two classes.
fn otsu(hist: &Histogram) -> u8 {
    let total: f64 = hist.iter().map(|&c| c as f64).sum();
    let sum_all: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &c)| i as f64 * c as f64)
        .sum();
    let (mut weight_low, mut sum_low) = (0.0, 0.0);
    let (mut best, mut best_var) = (0usize, -1.0f64);
    for (t, &count) in hist.iter().enumerate() {
        weight_low += count as f64;
        sum_low += t as f64 * count as f64;
        let weight_high = total - weight_low;
        if weight_low == 0.0 || weight_high == 0.0 {
            continue;
        }
        let mean_low = sum_low / weight_low;
        let mean_high = (sum_all - sum_low) / weight_high;
        let between = weight_low * weight_high * (mean_low - mean_high).powi(2);
        if between > best_var {
            best_var = between;
            best = t;
        }
    }
    best as u8
}

pub fn histogram_cpu(score: &[u32]) -> Histogram {
    let count = |part: &[u32]| {
        let mut hist = [0u32; 256];
        for &s in part {
            hist[s.min(255) as usize] += 1;
        }
        hist
    };
    // Natively, parts counted on all cores, then added.
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        score.par_chunks(1 << 15).map(count).reduce(
            || [0; 256],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
                a
            },
        )
    }
    #[cfg(target_arch = "wasm32")]
    count(score)
}

/// The pixels scoring above `threshold`, as packed bits (`bits`).
pub fn binarize_cpu(score: &[u32], grid: Grid, threshold: u8) -> Vec<u32> {
    let (w, rw) = (grid.w as usize, bits::row_words(grid.w));
    let mut mask = vec![0u32; bits::len(grid)];
    for_rows(&mut mask, rw, |y, out| {
        bits::pack_row(&score[y * w..][..w], out, |s| s > threshold as u32);
    });
    mask
}

pub fn binarize_gpu(g: &Gpu, score: &wgpu::Buffer, grid: Grid, threshold: u8) -> wgpu::Buffer {
    let n = bits::len(grid);
    let mask = g.zeroed(n);
    g.run_items(
        BINARIZE,
        &[grid.w, grid.h, threshold as u32],
        &[score, &mask],
        n,
    );
    mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_weakly_changed_part_of_the_object_stays_above_the_threshold() {
        // Noise around 4, half the object changed by 60, the other half by 200.
        let mut hist = [0u32; 256];
        for (bin, count) in [
            (2, 3000),
            (4, 5000),
            (6, 3000),
            (60, 800),
            (64, 800),
            (200, 900),
            (210, 700),
        ] {
            hist[bin] = count;
        }
        let t = auto(&hist);
        assert!((FLOOR..60).contains(&t), "{t}");
    }

    #[test]
    fn an_object_covering_most_of_the_image_falls_back_to_otsu() {
        let mut hist = [0u32; 256];
        for (bin, count) in [(3, 2000), (5, 1000), (150, 6000), (170, 5000)] {
            hist[bin] = count;
        }
        let t = auto(&hist);
        assert!((5..150).contains(&t), "{t}");
    }
}
