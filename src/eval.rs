//! Evaluation of predictions on RefCOCO-format data: one PNG per sentence (`{sent_id}.png`), a
//! mask (255 = object) or, with edits, any editor's edited image, which goes through the diff and
//! cleanup stages first. Missing predictions count as empty masks and are listed.

use crate::error::{Error, Result};
use crate::metrics::{overlap, Summary, Tally, PRECISION_AT};
use crate::refcoco::Dataset;
use crate::{imageio, Options, Segmenter};
use image::GrayImage;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(serde::Serialize)]
pub struct Report {
    pub overall: Summary,
    pub splits: BTreeMap<String, Summary>,
    /// Sentence ids with no prediction file.
    pub missing: Vec<u64>,
}

/// What the prediction files are.
pub enum Predictions<'a> {
    Masks,
    /// Edited images, segmented with this segmenter and these options.
    Edits(&'a Segmenter, &'a Options),
}

/// One sentence's outcome: its split, intersection and union, and whether its file was missing.
type Scored = (String, u64, u64, Option<u64>);

fn read_mask(path: &Path, truth: &GrayImage) -> Result<GrayImage> {
    let what = path.display().to_string();
    let mask = imageio::read(path)?;
    if mask.dimensions() != truth.dimensions() {
        return Err(Error::SizeMismatch(format!(
            "{what} is {}x{}, its image is {}x{}",
            mask.width(),
            mask.height(),
            truth.width(),
            truth.height()
        )));
    }
    Ok(image::DynamicImage::ImageRgba8(mask).to_luma8())
}

/// Score one ref's sentences; `predict` turns a prediction file into a mask.
fn score_ref(
    r: &crate::refcoco::Ref,
    truth: &GrayImage,
    pred: &Path,
    predict: &dyn Fn(&Path) -> Result<GrayImage>,
) -> Result<Vec<Scored>> {
    r.sentences
        .iter()
        .map(|s| {
            let path = pred.join(format!("{}.png", s.sent_id));
            if !path.exists() {
                let empty = truth.pixels().filter(|p| p.0[0] > 0).count() as u64;
                return Ok((r.split.clone(), 0, empty, Some(s.sent_id)));
            }
            let (i, u) = overlap(&predict(&path)?, truth);
            Ok((r.split.clone(), i, u, None))
        })
        .collect()
}

/// Score every sentence of every ref; `progress(done, total)` is called as samples finish.
pub fn evaluate(
    data: &Dataset,
    pred: &Path,
    predictions: &Predictions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Report> {
    if !pred.is_dir() {
        return Err(Error::FileMissing(pred.display().to_string()));
    }
    let total: usize = data.refs.iter().map(|r| r.sentences.len()).sum();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let tick = |n: usize| {
        progress(
            done.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n,
            total,
        )
    };
    // Masks are scored on all cores, and edits are segmented on all cores, as `mask --batch` does.
    let scored: Vec<Vec<Scored>> = match predictions {
        Predictions::Masks => data
            .refs
            .par_iter()
            .map(|r| {
                let truth = data.mask(r);
                let scored = score_ref(r, &truth, pred, &|path| read_mask(path, &truth))?;
                tick(scored.len());
                Ok(scored)
            })
            .collect::<Result<_>>()?,
        Predictions::Edits(segmenter, options) => data
            .refs
            .par_iter()
            .map(|r| {
                let truth = data.mask(r);
                let original = imageio::read(&data.image_path(r)?)?;
                let segment = |path: &Path| -> Result<GrayImage> {
                    let edited = imageio::read(path)?;
                    Ok(
                        pollster::block_on(segmenter.mask_from_edit(&original, &edited, options))?
                            .mask,
                    )
                };
                let scored = score_ref(r, &truth, pred, &segment)?;
                tick(scored.len());
                Ok(scored)
            })
            .collect::<Result<_>>()?,
    };
    let (mut overall, mut splits, mut missing) = (
        Tally::default(),
        BTreeMap::<String, Tally>::new(),
        Vec::new(),
    );
    for (split, i, u, miss) in scored.into_iter().flatten() {
        overall.add(i, u);
        splits.entry(split).or_default().add(i, u);
        missing.extend(miss);
    }
    missing.sort_unstable();
    Ok(Report {
        overall: overall.summary(),
        splits: splits.into_iter().map(|(k, t)| (k, t.summary())).collect(),
        missing,
    })
}

impl Report {
    /// A markdown table in percent: one row per split, then overall.
    pub fn table(&self) -> String {
        let heads: Vec<String> = PRECISION_AT.iter().map(|t| format!("P@{t:.1} %")).collect();
        let mut out = format!(
            "| split | count | cIoU % | gIoU % | mIoU % | {} |\n|---|---|---|---|---|{}\n",
            heads.join(" | "),
            "---|".repeat(heads.len())
        );
        let row = |name: &str, s: &Summary| {
            let prec: Vec<String> = s.prec.iter().map(|p| format!("{:.2}", 100.0 * p)).collect();
            format!(
                "| {name} | {} | {:.2} | {:.2} | {:.2} | {} |\n",
                s.count,
                100.0 * s.ciou,
                100.0 * s.giou,
                100.0 * s.miou,
                prec.join(" | ")
            )
        };
        for (name, s) in &self.splits {
            out += &row(name, s);
        }
        out += &row("overall", &self.overall);
        out
    }
}
