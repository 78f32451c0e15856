//! Stage 4: pick the score above which a pixel counts as painted (Otsu on the histogram, never
//! below a floor that plain noise reaches), and binarise. GPU: `shaders/threshold.wgsl`.

use crate::error::Result;
use crate::gpu::{Gpu, Kernel};

const SOURCE: &str = include_str!("../../shaders/threshold.wgsl");
const HISTOGRAM: Kernel = Kernel { source: SOURCE, entry: "histogram" };
const BINARIZE: Kernel = Kernel { source: SOURCE, entry: "binarize" };

/// The lowest automatic threshold: a CIELAB change of 3, which blur-smoothed noise and JPEG
/// artefacts stay under.
pub const FLOOR: u8 = 12;

pub type Histogram = [u32; 256];

/// Otsu's threshold: the bin that best splits the histogram into two classes (pixels above it
/// are foreground), raised to `FLOOR`.
pub fn otsu(hist: &Histogram) -> u8 {
    let total: f64 = hist.iter().map(|&c| c as f64).sum();
    let sum_all: f64 = hist.iter().enumerate().map(|(i, &c)| i as f64 * c as f64).sum();
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
    (best as u8).max(FLOOR)
}

pub fn histogram_cpu(score: &[u32]) -> Histogram {
    let mut hist = [0u32; 256];
    for &s in score {
        hist[s.min(255) as usize] += 1;
    }
    hist
}

pub fn binarize_cpu(score: &[u32], threshold: u8) -> Vec<u32> {
    score.iter().map(|&s| (s > threshold as u32) as u32).collect()
}

pub async fn histogram_gpu(g: &Gpu, score: &wgpu::Buffer, n: usize) -> Result<Histogram> {
    let hist = g.zeroed(256);
    g.run_items(HISTOGRAM, &[n as u32, 0], &[score, &hist], n);
    let words = g.read(&hist, 256).await?;
    Ok(words.try_into().expect("256 bins"))
}

pub fn binarize_gpu(g: &Gpu, score: &wgpu::Buffer, n: usize, threshold: u8) -> wgpu::Buffer {
    let mask = g.zeroed(n);
    g.run_items(BINARIZE, &[n as u32, threshold as u32], &[score, &mask], n);
    mask
}
