//! One instruction on one picture: parse it, paint at the painter's size, difference the edit
//! against the picture it was given, and bring the mask back to the picture's size along its
//! edges.

use super::{Painter, Target, RES};
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::instruction::{self, Instruction};
use crate::scenes::language;
use crate::{Options, Outcome, Segmenter};
use image::imageops::{resize, FilterType};
use image::{GrayImage, Luma, RgbaImage};

/// The diff options for an edit painted in `paint`, on top of the caller's cleanup options. The
/// painter's edit is clean, hard-edged and small (`RES` pixels a side), so unless the caller asks
/// for them, no opening or closing (a one-pixel disk would cut a star's points off at this size)
/// and no hole filling (a ring's hole is not paint); and always the threshold's outline (there is
/// no fade to place, and a star's points are thinner than the outline stage's window).
fn painted_in(paint: [u8; 3], options: &Options) -> Options {
    let defaults = Options::default();
    Options {
        color: Some(paint),
        open_radius: options.open_radius.or(Some(0)),
        close_radius: options.close_radius.or(Some(0)),
        max_hole: if options.max_hole == defaults.max_hole {
            0.0
        } else {
            options.max_hole
        },
        outline: false,
        ..options.clone()
    }
}

/// The mask a painter's output stands for.
pub async fn mask_of(
    target: Target,
    original: &RgbaImage,
    edited: &RgbaImage,
    paint: [u8; 3],
    segmenter: &Segmenter,
) -> Result<GrayImage> {
    if target == Target::Mask {
        return Ok(GrayImage::from_fn(
            edited.width(),
            edited.height(),
            |x, y| {
                let p = edited.get_pixel(x, y).0;
                Luma([if (p[0] as u32 + p[1] as u32 + p[2] as u32) >= 3 * 128 {
                    255
                } else {
                    0
                }])
            },
        ));
    }
    let options = painted_in(paint, &Options::default());
    Ok(segmenter
        .mask_from_edit(original, edited, &options)
        .await?
        .mask)
}

/// Milliseconds spent in each part of [`segment`].
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Timings {
    pub painter: f64,
    /// Diff and cleanup at the painter's size.
    pub diff: f64,
    /// Edge-aware upsampling to the picture's size, heat map and overlay.
    pub upsample: f64,
}

/// An instruction painted at the painter's size.
#[derive(Clone)]
pub struct Painted {
    pub instruction: Instruction,
    /// The paint used: the caller's, the instruction's, or one that contrasts with the picture.
    pub paint: [u8; 3],
    /// The picture the painter saw and its edit, at `RES` x `RES`.
    pub small: RgbaImage,
    pub edit: RgbaImage,
    /// Milliseconds the network took (0 when the painting was remembered).
    pub ms: f64,
    /// The painter had painted the same picture, instruction and paint just before: its
    /// painting was reused.
    pub reused: bool,
}

pub struct Segmented {
    pub painted: Painted,
    /// Mask, heat map and overlay at the picture's size, as [`Segmenter::mask_from_edit`] gives
    /// them; the stats describe the diff at the painter's size, with the picture's size and the
    /// mask's area there.
    pub outcome: Outcome,
    pub timings: Timings,
}

/// Parse `instruction`; words the painter does not know are an error that lists them.
pub fn read_instruction(painter: &Painter, instruction: &str) -> Result<Instruction> {
    let parsed = instruction::parse(instruction)?;
    let grammar_unknown = language::unknown_words(&parsed.expression);
    let encoded = painter.vocabulary.encode(&parsed.expression);
    if !grammar_unknown.is_empty() || !encoded.unknown.is_empty() {
        let mut words = grammar_unknown.clone();
        words.extend(
            encoded
                .unknown
                .into_iter()
                .filter(|w| !grammar_unknown.contains(w)),
        );
        return Err(Error::Prompt(format!(
            "unknown words: {}. The painter knows the RefScenes words: categories (ball, box, star, heart, ...), colours, sizes, positions and relations",
            words.join(", ")
        )));
    }
    if !encoded.dropped.is_empty() {
        return Err(Error::Prompt(format!(
            "the expression is too long: the painter reads {} words",
            super::model::MAX_TOKENS
        )));
    }
    Ok(parsed)
}

/// Paint what `instruction` names on `picture`. The paint is `color`, else the instruction's
/// colour, else one that contrasts with the picture.
pub async fn paint(
    painter: &Painter,
    picture: &RgbaImage,
    instruction: &str,
    color: Option<[u8; 3]>,
) -> Result<Painted> {
    let instruction = read_instruction(painter, instruction)?;
    if picture.width() == 0 || picture.height() == 0 {
        return Err(Error::ZeroSize("picture".into()));
    }
    let paint = color
        .or(instruction.paint)
        .unwrap_or_else(|| crate::color::contrasting(picture));
    let small = resize(picture, RES, RES, FilterType::Triangle);
    let started = now_ms();
    let (edit, reused) = painter
        .paint_one(&small, &instruction.expression, paint, Target::Paint)
        .await?;
    Ok(Painted {
        instruction,
        paint,
        small,
        edit,
        ms: if reused { 0.0 } else { now_ms() - started },
        reused,
    })
}

/// The cheap stages after painting: diff and cleanup at the painter's size (steered by
/// `options` as in [`Segmenter::mask_from_edit`], except the colour, which is the paint's),
/// then the mask brought to `picture`'s size along its edges.
pub async fn mask_of_painted(
    segmenter: &Segmenter,
    picture: &RgbaImage,
    painted: Painted,
    options: &Options,
) -> Result<Segmented> {
    let started = now_ms();
    let small_outcome = segmenter
        .mask_from_edit(
            &painted.small,
            &painted.edit,
            &painted_in(painted.paint, options),
        )
        .await?;
    let diffed = now_ms();
    let mask = segmenter
        .upsample(&small_outcome.mask, &painted.small, picture)
        .await?;
    let area = mask.pixels().filter(|p| p.0[0] > 0).count() as u64;
    let stats = crate::Stats {
        width: picture.width(),
        height: picture.height(),
        area,
        area_fraction: area as f64 / (picture.width() as f64 * picture.height() as f64),
        ..small_outcome.stats
    };
    let outcome = Outcome {
        heat: resize(
            &small_outcome.heat,
            picture.width(),
            picture.height(),
            FilterType::Nearest,
        ),
        overlay: crate::render::overlay(picture, &mask),
        mask,
        stats,
    };
    let timings = Timings {
        painter: painted.ms,
        diff: diffed - started,
        upsample: now_ms() - diffed,
    };
    Ok(Segmented {
        painted,
        outcome,
        timings,
    })
}

/// [`paint`] then [`mask_of_painted`]: `options.color` chooses the paint.
pub async fn segment(
    painter: &Painter,
    segmenter: &Segmenter,
    picture: &RgbaImage,
    instruction: &str,
    options: &Options,
) -> Result<Segmented> {
    let painted = paint(painter, picture, instruction, options.color).await?;
    mask_of_painted(segmenter, picture, painted, options).await
}
