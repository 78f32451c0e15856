//! Scoring a painter on RefScenes: its edits become masks (painted and overlay targets through
//! the diff and cleanup stages, the mask target by thresholding its grey level), scored with the
//! field's metrics against the exact masks, plus how well the edit leaves everything else alone.

use super::perceive::dense;
use super::segment::mask_of;
use super::{paint_from_maps, Painter, Target, RES};
use crate::error::Result;
use crate::metrics::{overlap, Summary, Tally};
use crate::scenes::{Meaning, Sample, Split};
use crate::Segmenter;
use image::{GrayImage, RgbaImage};

/// The kinds of expression scored separately.
pub const KINDS: [&str; 4] = ["attribute", "position", "ordinal", "relation"];

/// Which of [`KINDS`] a meaning is: plain names (category, colour, size), positions (extremes
/// and corners), ordinals, relations.
pub fn kind(meaning: &Meaning) -> usize {
    match meaning {
        Meaning::Plain(_) => 0,
        Meaning::Extreme(..) | Meaning::Corner(..) => 1,
        Meaning::Ordinal(..) => 2,
        Meaning::Related(..) => 3,
    }
}

#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub summary: Summary,
    /// PSNR (dB) of the edit against the original over the pixels the target does not touch.
    pub psnr_outside: f64,
    /// Share of samples where the object the mask overlaps most is the named one.
    pub selection: f64,
    /// The masks' figures over the samples where the right object was selected.
    pub when_selected: Summary,
    /// The figures per kind of expression ([`KINDS`]), as JSON an object by kind name.
    #[serde(serialize_with = "by_kind")]
    pub kinds: Vec<Summary>,
    /// Every sample's score, in order.
    pub samples: Vec<Scored>,
}

/// One sample's score: its intersection and union with the truth, in pixels.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Scored {
    /// The sample's number in its split (with the seed, it draws the same scene again).
    pub index: u64,
    pub expression: String,
    pub kind: &'static str,
    pub intersection: u64,
    pub union: u64,
    /// The object the mask overlaps most is the named one.
    pub selected: bool,
}

impl Scored {
    pub fn iou(&self) -> f64 {
        crate::metrics::iou(self.intersection, self.union)
    }
}

/// A sample as scored: its picture, the painter's edit, the mask made from it and the truth.
pub struct Replayed {
    pub picture: RgbaImage,
    pub edit: RgbaImage,
    pub mask: GrayImage,
    pub truth: GrayImage,
}

/// The painter's edits of `samples` (or the program's on perfect perception maps).
fn paint(
    painter: Option<&Painter>,
    target: Target,
    samples: &[Sample],
    targets: &[crate::scenes::Targets],
) -> Result<Vec<RgbaImage>> {
    let images: Vec<&RgbaImage> = targets.iter().map(|t| &t.image).collect();
    let expressions: Vec<&str> = samples.iter().map(|s| s.expression.as_str()).collect();
    let paints: Vec<[u8; 3]> = targets.iter().map(|t| t.paint).collect();
    Ok(match painter {
        Some(painter) => {
            pollster::block_on(painter.paint_as(&images, &expressions, &paints, target))?
        }
        // Perfect perception: what the program alone reaches.
        None => samples
            .iter()
            .zip(&images)
            .zip(&paints)
            .map(|((s, image), paint)| {
                let maps = dense(s, RES).as_maps();
                paint_from_maps(image, &maps, &s.meaning, *paint, target)
            })
            .collect(),
    })
}

/// Sample `index` of `split` painted and masked again, as [`evaluate`] scored it.
pub fn replay(
    painter: Option<&Painter>,
    target: Target,
    split: Split,
    index: u64,
    seed: u64,
) -> Result<Replayed> {
    let segmenter = pollster::block_on(Segmenter::new(crate::BackendChoice::Cpu))?;
    let sample = Sample::generate(split, index, seed);
    let t = sample.targets(RES, RES);
    let edit = paint(
        painter,
        target,
        std::slice::from_ref(&sample),
        std::slice::from_ref(&t),
    )?
    .remove(0);
    let mask = pollster::block_on(mask_of(target, &t.image, &edit, t.paint, &segmenter))?;
    Ok(Replayed {
        picture: t.image,
        edit,
        mask,
        truth: t.mask,
    })
}

fn by_kind<S: serde::Serializer>(kinds: &[Summary], s: S) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(kinds.len()))?;
    for (k, summary) in KINDS.iter().zip(kinds) {
        map.serialize_entry(k, summary)?;
    }
    map.end()
}

/// The object of the scene the mask overlaps most (in pixels), if it overlaps any.
fn selected(sample: &Sample, mask: &image::GrayImage) -> Option<usize> {
    let (w, h) = mask.dimensions();
    (0..sample.scene.objects.len())
        .map(|k| (k, overlap(mask, &sample.object_mask(k, w, h)).0))
        .filter(|&(_, i)| i > 0)
        .max_by_key(|&(_, i)| i)
        .map(|(k, _)| k)
}

/// Paint `count` samples of `split` (batches of 16) and score the masks. Without a painter, the
/// object recipe's program runs on perfect perception maps (the ceiling of that recipe).
pub fn evaluate(
    painter: Option<&Painter>,
    target: Target,
    split: Split,
    count: u64,
    seed: u64,
    progress: &dyn Fn(usize, usize),
) -> Result<Report> {
    let segmenter = pollster::block_on(Segmenter::new(crate::BackendChoice::Cpu))?;
    let mut tally = Tally::default();
    let mut chosen = Tally::default();
    let mut kinds = vec![Tally::default(); KINDS.len()];
    let mut right = 0u64;
    let (mut squared, mut outside) = (0f64, 0u64);
    let mut scored = Vec::new();
    let indices: Vec<u64> = (0..count).collect();
    for chunk in indices.chunks(16) {
        let samples: Vec<Sample> = chunk
            .iter()
            .map(|&i| Sample::generate(split, i, seed))
            .collect();
        let targets: Vec<_> = samples.iter().map(|s| s.targets(RES, RES)).collect();
        let edits = paint(painter, target, &samples, &targets)?;
        for (((&index, s), t), edit) in chunk.iter().zip(&samples).zip(&targets).zip(&edits) {
            let mask = pollster::block_on(mask_of(target, &t.image, edit, t.paint, &segmenter))?;
            let (i, u) = overlap(&mask, &t.mask);
            tally.add(i, u);
            kinds[kind(&s.meaning)].add(i, u);
            let right_one = selected(s, &mask) == Some(s.target);
            if right_one {
                right += 1;
                chosen.add(i, u);
            }
            scored.push(Scored {
                index,
                expression: s.expression.clone(),
                kind: KINDS[kind(&s.meaning)],
                intersection: i,
                union: u,
                selected: right_one,
            });
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
        selection: right as f64 / count.max(1) as f64,
        when_selected: chosen.summary(),
        kinds: kinds.iter().map(Tally::summary).collect(),
        samples: scored,
    })
}
