//! Evaluation of predictions on RefCOCO-format data: one PNG per sentence (`{sent_id}.png`), a
//! mask (255 = object) or, with edits, any editor's edited image, which goes through the diff and
//! cleanup stages first. Missing predictions count as empty masks and are listed.

use crate::error::{Error, Result};
use crate::metrics::{overlap, Summary, Tally, PRECISION_AT};
use crate::refcoco::Dataset;
use crate::{imageio, Differ, Options};
use image::GrayImage;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

#[derive(serde::Serialize)]
pub struct Report {
    pub overall: Summary,
    pub splits: BTreeMap<String, Summary>,
    /// Sentence ids with no prediction file.
    pub missing: Vec<u64>,
    /// Sentence ids whose edit differs from the original over most of the picture (the editor
    /// redrew it, not only painted the object: see `pipeline::REDRAWN`); scored all the same.
    pub redrawn: Vec<u64>,
    /// Sentence ids whose edit's frame did not show all of the original (the editor cropped it):
    /// the pixels it did not show are outside the mask in the official figures.
    pub cropped: Vec<u64>,
    /// Beside the official figures, the same over the pixels each edit's frame showed (only when
    /// some edit did not show them all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seen_pixels: Option<Figures>,
    /// What `--keep-going` left out, and why.
    pub skipped: Vec<Skipped>,
    /// When EditSeg asked the editor itself (`eval --editor`): who, how it went, and the
    /// figures over the sentences it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub editor: Option<EditorRun>,
    /// Every scored sentence, by id: what the summaries are made of (and what `--compare`
    /// reads back).
    pub samples: Vec<Sample>,
}

/// One scored sentence: its intersection and union with the truth, in pixels.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sample {
    pub sent_id: u64,
    pub ref_id: u64,
    pub split: String,
    pub sentence: String,
    pub intersection: u64,
    pub union: u64,
    /// No prediction file: counted as an empty mask.
    pub missing: bool,
    /// For an edit, the share of the picture that changed clearly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_share: Option<f64>,
    /// For an edit whose frame did not show all of the original: the share it showed, and the
    /// intersection and union over those pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen: Option<Seen>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Seen {
    pub share: f64,
    pub intersection: u64,
    pub union: u64,
}

/// An editor run as `eval --editor` reports it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct EditorRun {
    pub adapter: String,
    /// Scheme and host only.
    pub endpoint: Option<String>,
    pub model: Option<String>,
    pub template: String,
    pub color: String,
    pub seed: Option<u64>,
    /// Sentences asked about (the sample, when `--limit` drew one).
    pub sentences: usize,
    /// Requests sent by this run, retries included, and the retries among them.
    pub requests: usize,
    pub retries: usize,
    /// Edits saved by earlier runs into the same folder.
    pub reused: usize,
    pub failed: Vec<crate::editor::dataset::Failed>,
    /// Over every saved edit's answer, in milliseconds.
    pub latency_ms: Option<Latency>,
    #[serde(skip)]
    pub latencies: Vec<f64>,
    /// The figures over the sentences the editor answered (a failure counts as an empty mask
    /// in the official figures).
    pub answered: Figures,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Latency {
    pub count: usize,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

impl Latency {
    pub fn of(mut ms: Vec<f64>) -> Option<Latency> {
        if ms.is_empty() {
            return None;
        }
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| ms[((q * (ms.len() - 1) as f64).round() as usize).min(ms.len() - 1)];
        Some(Latency {
            count: ms.len(),
            p50: at(0.5),
            p90: at(0.9),
            p99: at(0.99),
            max: *ms.last().expect("not empty"),
        })
    }
}

/// Figures overall and per split.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Figures {
    pub overall: Summary,
    pub splits: BTreeMap<String, Summary>,
}

impl Sample {
    pub fn iou(&self) -> f64 {
        crate::metrics::iou(self.intersection, self.union)
    }
}

/// The summaries, overall and per split, of these samples.
pub fn summarise(samples: &[Sample]) -> (Summary, BTreeMap<String, Summary>) {
    let (mut overall, mut splits) = (Tally::default(), BTreeMap::<String, Tally>::new());
    for s in samples {
        overall.add(s.intersection, s.union);
        splits
            .entry(s.split.clone())
            .or_default()
            .add(s.intersection, s.union);
    }
    (
        overall.summary(),
        splits.into_iter().map(|(k, t)| (k, t.summary())).collect(),
    )
}

/// A sample (or a prediction file) left out of the scores, and why.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Skipped {
    /// The sentence id, or the name of a prediction file no sentence has.
    pub what: String,
    pub reason: String,
}

/// What the prediction files are.
pub enum Predictions<'a> {
    Masks,
    /// Edited images, segmented with this differ and these options, and for the sentences
    /// listed, the colour each edit was asked for.
    Edits(&'a Differ, &'a Options, Option<&'a HashMap<u64, [u8; 3]>>),
}

impl Predictions<'_> {
    /// The diff's options for one sentence's edit.
    pub fn options_for(&self, sent_id: u64) -> Options {
        match self {
            Predictions::Masks => Options::default(),
            Predictions::Edits(_, options, colours) => Options {
                color: colours
                    .and_then(|c| c.get(&sent_id).copied())
                    .or(options.color),
                ..(*options).clone()
            },
        }
    }
}

/// One sentence's outcome.
enum Scored {
    Counted(Sample),
    Skipped(Skipped),
}

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

/// A prediction file as a mask, with (for an edit) the share of the picture that changed and the
/// pixels its frame showed when it did not show them all.
type Predicted = (GrayImage, Option<f64>, Option<GrayImage>);

/// Score one ref's sentences; `predict` turns a prediction file into a mask. With `keep_going`
/// a sentence that fails is skipped with its reason instead of ending the run.
fn score_ref(
    data: &Dataset,
    r: &crate::refcoco::Ref,
    pred: &Path,
    predict: &dyn Fn(&Path, &GrayImage) -> Result<Predicted>,
    keep_going: bool,
) -> Result<Vec<Scored>> {
    let truth = data.mask(r);
    let area = truth.pixels().filter(|p| p.0[0] > 0).count() as u64;
    r.sentences
        .iter()
        .map(|s| {
            let sample = |intersection, union, missing, changed_share, seen| Sample {
                sent_id: s.sent_id,
                ref_id: r.ref_id,
                split: r.split.clone(),
                sentence: s.sent.clone(),
                intersection,
                union,
                missing,
                changed_share,
                seen,
            };
            let scored = (|| {
                if area == 0 {
                    return Err(Error::BadData {
                        what: data.dir.join("instances.json").display().to_string(),
                        reason: format!(
                            "annotation {} (ref {}, sentence {}) has an empty segmentation",
                            r.ann_id, r.ref_id, s.sent_id
                        ),
                    });
                }
                let path = pred.join(format!("{}.png", s.sent_id));
                if !path.exists() {
                    return Ok(Scored::Counted(sample(0, area, true, None, None)));
                }
                let (mask, changed_share, visible) = predict(&path, &truth)?;
                let (i, u) = overlap(&mask, &truth);
                let seen = visible.map(|v| {
                    let within = |m: &GrayImage| {
                        let mut m = m.clone();
                        for (p, v) in m.iter_mut().zip(v.iter()) {
                            *p = (*p).min(*v);
                        }
                        m
                    };
                    let (si, su) = overlap(&within(&mask), &within(&truth));
                    let shown = v.iter().filter(|&&p| p > 0).count();
                    Seen {
                        share: shown as f64 / v.len().max(1) as f64,
                        intersection: si,
                        union: su,
                    }
                });
                Ok(Scored::Counted(sample(i, u, false, changed_share, seen)))
            })();
            match scored {
                Err(e) if keep_going => Ok(Scored::Skipped(Skipped {
                    what: format!("sentence {}", s.sent_id),
                    reason: e.to_string(),
                })),
                other => other,
            }
        })
        .collect()
}

/// Prediction files named for no sentence of the data (`{sent_id}.png` with an id not in the
/// refs): a sign of predictions for another split or dataset.
fn strangers(data: &Dataset, pred: &Path) -> Result<Vec<String>> {
    let known: std::collections::HashSet<u64> = data
        .refs
        .iter()
        .flat_map(|r| r.sentences.iter().map(|s| s.sent_id))
        .collect();
    let entries = std::fs::read_dir(pred).map_err(|e| crate::files::error(pred, "list", e))?;
    let mut out: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| {
            name.strip_suffix(".png")
                .and_then(|id| id.parse::<u64>().ok())
                .is_some_and(|id| !known.contains(&id))
        })
        .collect();
    out.sort();
    Ok(out)
}

/// Score every sentence of every ref; `progress(done, total)` is called as samples finish.
/// Without `keep_going` the first bad file or annotation ends the run with an error naming it.
pub fn evaluate(
    data: &Dataset,
    pred: &Path,
    predictions: &Predictions,
    keep_going: bool,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Report> {
    if !pred.is_dir() {
        return Err(Error::FileMissing(pred.display().to_string()));
    }
    let mut skipped = Vec::new();
    for name in strangers(data, pred)? {
        let reason = "no sentence of the data has this id".to_string();
        if !keep_going {
            return Err(Error::BadData {
                what: pred.join(&name).display().to_string(),
                reason,
            });
        }
        skipped.push(Skipped { what: name, reason });
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
    let score = |r: &crate::refcoco::Ref| -> Result<Vec<Scored>> {
        let scored = match predictions {
            Predictions::Masks => score_ref(
                data,
                r,
                pred,
                &|path, truth| Ok((read_mask(path, truth)?, None, None)),
                keep_going,
            ),
            Predictions::Edits(differ, ..) => {
                // The ref's picture is read once for all its sentences, when the first needs it;
                // a failure to read it is each sentence's error.
                let original = std::cell::OnceCell::new();
                let segment = |path: &Path, _: &GrayImage| -> Result<Predicted> {
                    let id = path
                        .file_stem()
                        .and_then(|s| s.to_str()?.parse::<u64>().ok())
                        .unwrap_or(0);
                    let options = predictions.options_for(id);
                    let original = original
                        .get_or_init(|| imageio::read(&data.image_path(r)?))
                        .as_ref()
                        .map_err(Error::clone)?;
                    let edited = imageio::read(path)?;
                    let out =
                        pollster::block_on(differ.mask_from_edit(original, &edited, &options))?;
                    Ok((out.mask, Some(out.stats.changed_share), out.visible))
                };
                score_ref(data, r, pred, &segment, keep_going)
            }
        }?;
        tick(scored.len());
        Ok(scored)
    };
    let scored: Vec<Vec<Scored>> = data.refs.par_iter().map(score).collect::<Result<_>>()?;
    let mut samples = Vec::new();
    for s in scored.into_iter().flatten() {
        match s {
            Scored::Counted(sample) => samples.push(sample),
            Scored::Skipped(s) => skipped.push(s),
        }
    }
    samples.sort_by_key(|s| s.sent_id);
    let (overall, splits) = summarise(&samples);
    Ok(Report {
        overall,
        splits,
        missing: samples
            .iter()
            .filter(|s| s.missing)
            .map(|s| s.sent_id)
            .collect(),
        redrawn: samples
            .iter()
            .filter(|s| {
                s.changed_share
                    .is_some_and(|c| c >= crate::pipeline::REDRAWN)
            })
            .map(|s| s.sent_id)
            .collect(),
        cropped: samples
            .iter()
            .filter(|s| s.seen.is_some())
            .map(|s| s.sent_id)
            .collect(),
        seen_pixels: samples.iter().any(|s| s.seen.is_some()).then(|| {
            let within: Vec<Sample> = samples
                .iter()
                .map(|s| match &s.seen {
                    Some(seen) => Sample {
                        intersection: seen.intersection,
                        union: seen.union,
                        ..s.clone()
                    },
                    None => s.clone(),
                })
                .collect();
            let (overall, splits) = summarise(&within);
            Figures { overall, splits }
        }),
        skipped,
        editor: None,
        samples,
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
