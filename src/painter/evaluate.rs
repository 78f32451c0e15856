//! Scoring a painter on RefScenes: its edits become masks (painted and overlay targets through
//! the diff and cleanup stages, the mask target by thresholding its grey level), scored with the
//! field's metrics against the exact masks, plus how well the edit leaves everything else alone.

use super::segment::mask_of;
use super::{Painter, Target, RES};
use crate::error::Result;
use crate::metrics::{overlap, Summary, Tally};
use crate::scenes::{Sample, Split};
use crate::Segmenter;
use image::RgbaImage;

#[derive(Clone, Debug)]
pub struct Report {
    pub summary: Summary,
    /// PSNR (dB) of the edit against the original over the pixels the target does not touch.
    pub psnr_outside: f64,
}

impl Report {
    /// The summary's JSON with `"psnr_outside"` added.
    pub fn to_json(&self) -> String {
        let summary = self.summary.to_json();
        format!(
            "{}, \"psnr_outside\": {:.3}}}",
            summary.trim_end().trim_end_matches('}'),
            self.psnr_outside
        )
    }
}

/// Paint `count` samples of `split` (batches of 16) and score the masks.
pub fn evaluate(
    painter: &Painter,
    target: Target,
    split: Split,
    count: u64,
    seed: u64,
    progress: &dyn Fn(usize, usize),
) -> Result<Report> {
    let segmenter = pollster::block_on(Segmenter::new(crate::BackendChoice::Cpu))?;
    let mut tally = Tally::default();
    let (mut squared, mut outside) = (0f64, 0u64);
    let indices: Vec<u64> = (0..count).collect();
    for chunk in indices.chunks(16) {
        let samples: Vec<Sample> = chunk
            .iter()
            .map(|&i| Sample::generate(split, i, seed))
            .collect();
        let targets: Vec<_> = samples.iter().map(|s| s.targets(RES, RES)).collect();
        let images: Vec<&RgbaImage> = targets.iter().map(|t| &t.image).collect();
        let expressions: Vec<&str> = samples.iter().map(|s| s.expression.as_str()).collect();
        let paints: Vec<[u8; 3]> = targets.iter().map(|t| t.paint).collect();
        let edits = pollster::block_on(painter.paint(&images, &expressions, &paints))?;
        for ((s, t), edit) in samples.iter().zip(&targets).zip(&edits) {
            let mask = pollster::block_on(mask_of(target, &t.image, edit, t.paint, &segmenter))?;
            let (i, u) = overlap(&mask, &t.mask);
            tally.add(i, u);
            for (c, (a, b)) in s
                .cover(RES, RES)
                .iter()
                .zip(t.image.pixels().zip(edit.pixels()))
            {
                if *c == 0.0 {
                    squared += (0..3)
                        .map(|k| (a.0[k] as f64 - b.0[k] as f64).powi(2))
                        .sum::<f64>()
                        / 3.0;
                    outside += 1;
                }
            }
        }
        progress(tally.summary().count, count as usize);
    }
    let mse = squared / outside.max(1) as f64;
    let psnr_outside = if mse == 0.0 {
        99.0
    } else {
        (10.0 * (255.0f64 * 255.0 / mse).log10()).min(99.0)
    };
    Ok(Report {
        summary: tally.summary(),
        psnr_outside,
    })
}
