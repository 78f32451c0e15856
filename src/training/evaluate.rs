//! Scoring anything that paints RefScenes samples (the shipped painter, the end-to-end
//! generator, or the painter's program on perfect perception maps): its edits become masks
//! (painted and overlay drawings through the diff and cleanup stages, the mask drawing by
//! thresholding its grey level), scored with the field's metrics against the exact masks, plus
//! how well the edit leaves everything else alone. On the no-target split it is scored on
//! saying that the object is not there (N-acc).

use super::perception::dense;
use crate::error::Result;
use crate::generator::Generator;
use crate::metrics::{overlap, Summary, Tally};
use crate::painter::segment::mask_of;
use crate::painter::{draw, find_in_maps, meaning_of, Drawing, Painter, RES};
use crate::pipeline::Diff;
use crate::scenes::{Meaning, NoTarget, Sample, Split};
use crate::Differ;
use image::{GrayImage, RgbaImage};

/// Something that edits RefScenes pictures as instructed.
pub trait Paints {
    /// The edits of `images` (at `RES`) for `samples`' expressions in `paints`, drawn as
    /// `drawing` where the painter has a choice; `None` where it says the object is not there.
    fn paint_samples(
        &self,
        samples: &[Sample],
        images: &[&RgbaImage],
        paints: &[[u8; 3]],
        drawing: Drawing,
    ) -> Result<Vec<Option<RgbaImage>>>;

    /// For a no-target picture: whether it says the object is not there.
    fn says_absent(&self, image: &RgbaImage, sample: &NoTarget) -> Result<bool>;
}

impl Paints for Painter {
    fn paint_samples(
        &self,
        samples: &[Sample],
        images: &[&RgbaImage],
        paints: &[[u8; 3]],
        drawing: Drawing,
    ) -> Result<Vec<Option<RgbaImage>>> {
        let maps = pollster::block_on(self.perceive(images))?;
        Ok(samples
            .iter()
            .zip(images.iter().zip(paints))
            .zip(&maps)
            .map(|((s, (image, paint)), maps)| {
                find_in_maps(maps, &s.meaning)
                    .ok()
                    .map(|cover| draw(image, &cover, *paint, drawing))
            })
            .collect())
    }

    fn says_absent(&self, image: &RgbaImage, sample: &NoTarget) -> Result<bool> {
        let maps = pollster::block_on(self.perceive(&[image]))?;
        Ok(find_in_maps(&maps[0], &meaning_of(&sample.expression)?).is_err())
    }
}

impl Paints for Generator {
    /// It draws what it was trained to draw, whatever `drawing` says.
    fn paint_samples(
        &self,
        samples: &[Sample],
        images: &[&RgbaImage],
        paints: &[[u8; 3]],
        _drawing: Drawing,
    ) -> Result<Vec<Option<RgbaImage>>> {
        let instructions: Vec<&str> = samples.iter().map(|s| s.instruction.as_str()).collect();
        Ok(self
            .edit(images, &instructions, paints)?
            .into_iter()
            .map(Some)
            .collect())
    }

    /// It has no way to say so: an edit that changes nothing counts as saying it.
    fn says_absent(&self, image: &RgbaImage, sample: &NoTarget) -> Result<bool> {
        let edit = self
            .edit(&[image], &[sample.instruction.as_str()], &[NoTarget::PAINT])?
            .remove(0);
        let differ = pollster::block_on(Differ::new(crate::BackendChoice::Cpu))?;
        let mask = pollster::block_on(mask_of(
            self.trained.drawing(),
            image,
            &edit,
            NoTarget::PAINT,
            Diff::EditSeg,
            &differ,
        ))?;
        Ok(mask.pixels().all(|p| p.0[0] == 0))
    }
}

/// The painter's program on perfect perception maps: the ceiling of the object recipe.
pub struct Oracle;

impl Paints for Oracle {
    fn paint_samples(
        &self,
        samples: &[Sample],
        images: &[&RgbaImage],
        paints: &[[u8; 3]],
        drawing: Drawing,
    ) -> Result<Vec<Option<RgbaImage>>> {
        Ok(samples
            .iter()
            .zip(images.iter().zip(paints))
            .map(|(s, (image, paint))| {
                let maps = dense(&s.scene, RES).as_maps();
                find_in_maps(&maps, &s.meaning)
                    .ok()
                    .map(|cover| draw(image, &cover, *paint, drawing))
            })
            .collect())
    }

    fn says_absent(&self, _image: &RgbaImage, sample: &NoTarget) -> Result<bool> {
        let maps = dense(&sample.scene, RES).as_maps();
        Ok(find_in_maps(&maps, &sample.meaning).is_err())
    }
}

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

/// The edits of `samples`: a painter that says the object is not there leaves the picture as
/// it is (an empty mask).
fn edits_of(
    painter: &dyn Paints,
    drawing: Drawing,
    samples: &[Sample],
    targets: &[crate::scenes::Targets],
) -> Result<Vec<RgbaImage>> {
    let images: Vec<&RgbaImage> = targets.iter().map(|t| &t.image).collect();
    let paints: Vec<[u8; 3]> = targets.iter().map(|t| t.paint).collect();
    let edits = painter.paint_samples(samples, &images, &paints, drawing)?;
    Ok(edits
        .into_iter()
        .zip(&images)
        .map(|(edit, image)| {
            edit.unwrap_or_else(|| match drawing {
                Drawing::Mask => RgbaImage::from_pixel(RES, RES, image::Rgba([0, 0, 0, 255])),
                _ => (*image).clone(),
            })
        })
        .collect())
}

/// Sample `index` of `split` painted and masked again, as [`evaluate`] scored it.
pub fn replay(
    painter: &dyn Paints,
    drawing: Drawing,
    diff: Diff,
    split: Split,
    index: u64,
    seed: u64,
) -> Result<Replayed> {
    let differ = pollster::block_on(Differ::new(crate::BackendChoice::Cpu))?;
    let sample = Sample::generate(split, index, seed);
    let t = sample.targets(RES, RES);
    let edit = edits_of(
        painter,
        drawing,
        std::slice::from_ref(&sample),
        std::slice::from_ref(&t),
    )?
    .remove(0);
    let mask = pollster::block_on(mask_of(drawing, &t.image, &edit, t.paint, diff, &differ))?;
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

/// Paint `count` samples of `split` (batches of 16) and score the masks, found in paint and
/// overlay edits by `diff`.
pub fn evaluate(
    painter: &dyn Paints,
    drawing: Drawing,
    diff: Diff,
    split: Split,
    count: u64,
    seed: u64,
    progress: &dyn Fn(usize, usize),
) -> Result<Report> {
    let differ = pollster::block_on(Differ::new(crate::BackendChoice::Cpu))?;
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
        let edits = edits_of(painter, drawing, &samples, &targets)?;
        for (((&index, s), t), edit) in chunk.iter().zip(&samples).zip(&targets).zip(&edits) {
            let mask =
                pollster::block_on(mask_of(drawing, &t.image, edit, t.paint, diff, &differ))?;
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

/// How often a painter says that the object is not there, on the no-target split.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NoTargetReport {
    pub count: u64,
    /// The share of samples it said were absent (N-acc).
    pub n_acc: f64,
    /// The same per kind of missing thing, as JSON an object by kind name.
    pub kinds: std::collections::BTreeMap<&'static str, f64>,
}

/// Score `count` no-target samples: the share the painter says are absent, overall and by kind.
pub fn evaluate_no_target(painter: &dyn Paints, count: u64, seed: u64) -> Result<NoTargetReport> {
    let mut right = 0u64;
    let mut by_kind: std::collections::BTreeMap<&'static str, (u64, u64)> = Default::default();
    for index in 0..count {
        let sample = NoTarget::generate(index, seed);
        let said = painter.says_absent(&sample.image(RES, RES), &sample)?;
        right += said as u64;
        let e = by_kind.entry(sample.kind).or_default();
        *e = (e.0 + said as u64, e.1 + 1);
    }
    Ok(NoTargetReport {
        count,
        n_acc: right as f64 / count.max(1) as f64,
        kinds: by_kind
            .into_iter()
            .map(|(k, (r, n))| (k, r as f64 / n.max(1) as f64))
            .collect(),
    })
}
