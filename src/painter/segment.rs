//! One instruction on one picture: parse it, find the named object at the painter's size (or
//! say that it is not there), paint it, difference the edit against the picture it was given,
//! and bring the mask back to the picture's size along its edges.

use super::{draw, find_in_maps, meaning_of, scene_likeness, Drawing, Painter, RES};
use crate::clock::now_ms;
use crate::color;
use crate::error::{Error, Result};
use crate::instruction::{self, Instruction};
use crate::pipeline::Diff;
use crate::scenes::language;
use crate::{Differ, Options, Outcome};
use image::imageops::{resize, FilterType};
use image::{GrayImage, Luma, RgbaImage};

/// The diff options for an edit painted in `paint`, on top of the caller's cleanup options. The
/// painter's edit is clean, hard-edged and small (`RES` pixels a side), so unless the caller asks
/// for them, no opening or closing (a one-pixel disk would cut a star's points off at this size)
/// and no hole filling (a ring's hole is not paint); and always the threshold's outline (there is
/// no fade to place, and a star's points are thinner than the outline stage's window).
fn painted_in(paint: [u8; 3], options: &Options) -> Options {
    Options {
        color: Some(paint),
        open_radius: options.open_radius.or(Some(0)),
        close_radius: options.close_radius.or(Some(0)),
        max_hole: options.max_hole.or(Some(0.0)),
        outline: Some(false),
        ..options.clone()
    }
}

/// The mask a painter's output stands for.
pub async fn mask_of(
    drawing: Drawing,
    original: &RgbaImage,
    edited: &RgbaImage,
    paint: [u8; 3],
    diff: Diff,
    differ: &Differ,
) -> Result<GrayImage> {
    if drawing == Drawing::Mask {
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
    let options = painted_in(
        paint,
        &Options {
            diff,
            ..Options::default()
        },
    );
    Ok(differ
        .mask_from_edit(original, edited, &options)
        .await?
        .mask)
}

/// Milliseconds spent in each part of [`segment`].
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct Timings {
    pub painter: f64,
    /// Diff and cleanup at the painter's size.
    pub diff: f64,
    /// Edge-aware upsampling to the picture's size, heat map and overlay.
    pub upsample: f64,
}

/// Why a request has no mask although nothing went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Nothing in the picture fits the expression.
    Absent,
    /// The picture does not look like a RefScenes scene, the only pictures the painter knows.
    NotAScene,
}

/// A request that was understood but has no object to mask.
#[derive(Clone, Debug, serde::Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct NotFound {
    pub reason: Reason,
    /// In words: "no green star in this picture".
    pub note: String,
    /// How much the picture looks like a RefScenes scene (see [`super::scene_likeness`]).
    pub scene_likeness: f32,
}

/// Pictures that score below this are not RefScenes scenes to the painter: chosen on RefScenes
/// pictures of every background and a few photos (BENCHMARKS.md, "Scene or photo").
pub const SCENE_LIKENESS_MIN: f32 = 0.785;

/// What the painter says of a picture that is not a scene.
pub const NOT_A_SCENE: &str = "this picture does not look like a RefScenes scene; the built-in painter knows only those: use an image editor (--editor)";

/// An instruction painted at the painter's size.
#[derive(Clone)]
pub struct Painted {
    pub instruction: Instruction,
    /// The paint used: the caller's, the instruction's, or one that contrasts with the picture
    /// (or with the object, when it already has the paint asked for).
    pub paint: [u8; 3],
    /// Why the paint is not the one asked for, when it is not.
    pub paint_note: Option<String>,
    /// The picture the painter saw and its edit, at `RES` x `RES`.
    pub small: RgbaImage,
    pub edit: RgbaImage,
    /// Milliseconds the network took (0 when the picture's maps were remembered).
    pub ms: f64,
    /// The painter had perceived the same picture just before: its maps were reused.
    pub reused: bool,
    /// How much the picture looks like a RefScenes scene.
    pub scene_likeness: f32,
}

pub struct Segmented {
    pub painted: Painted,
    /// Mask, heat map and overlay at the picture's size, as [`Differ::mask_from_edit`] gives
    /// them; the stats describe the diff at the painter's size, with the picture's size and the
    /// mask's area there.
    pub outcome: Outcome,
    pub timings: Timings,
}

/// What a request comes to: a mask, or why there is none.
pub enum Answer {
    Found(Box<Segmented>),
    NotFound {
        /// The expression as the instruction gives it (the whole instruction where it cannot be
        /// read: a picture that is not a scene is said to be so before the words are read).
        expression: String,
        not_found: NotFound,
        /// Milliseconds the painter took to decide.
        ms: f64,
    },
}

/// What the painter is asked besides the picture and the words.
#[derive(Clone, Copy, Debug, Default)]
pub struct Asked {
    /// The paint, overriding the instruction's.
    pub color: Option<[u8; 3]>,
    /// Paint even on a picture that does not look like a scene.
    pub force: bool,
}

/// Parse `instruction`; words the painter does not know are an error that lists them.
pub fn read_instruction(instruction: &str) -> Result<Instruction> {
    let parsed = instruction::parse(instruction)?;
    let unknown = language::unknown_words(&parsed.expression);
    if !unknown.is_empty() {
        return Err(Error::Prompt(format!(
            "unknown words: {}. The painter knows the RefScenes words: categories (ball, box, star, heart, ...), colours, sizes, positions and relations",
            unknown.join(", ")
        )));
    }
    Ok(parsed)
}

/// A paint stands out from the object when all but its nearest 5% of pixels are at least this
/// far from it (CIELAB): closer, the diff cannot tell the paint from the object's own colour.
const OBJECT_CONTRAST: f32 = 25.0;

/// The paint to use on `cover` of `small`: `asked` unless the object already has that colour,
/// then the default paint that stands out most from it, with a note that says so.
fn paint_for(
    small: &RgbaImage,
    cover: &[f32],
    asked: [u8; 3],
    expression: &str,
) -> ([u8; 3], Option<String>) {
    let object: Vec<[f32; 3]> = small
        .pixels()
        .zip(cover)
        .filter(|(_, c)| **c > 0.0)
        .map(|(p, _)| color::lab_u8([p.0[0], p.0[1], p.0[2]]))
        .collect();
    if color::contrast(asked, &object) >= OBJECT_CONTRAST {
        return (asked, None);
    }
    let instead = color::most_contrasting(&object);
    let say = |c: [u8; 3]| color::name_of(c).map_or_else(|| color::hex(c), String::from);
    let note = format!(
        "{expression} already looks {}: painted it {} instead, so that the change shows",
        say(asked),
        say(instead)
    );
    (instead, Some(note))
}

/// Find what `instruction` names on `picture` and paint it. The paint is `asked.color`, else
/// the instruction's colour, else one that contrasts with the picture. A picture that does not
/// look like a scene (unless `asked.force`) or an expression that names nothing in it comes back
/// as the reason there is no painting.
pub async fn paint(
    painter: &Painter,
    picture: &RgbaImage,
    instruction: &str,
    asked: Asked,
) -> Result<std::result::Result<Painted, (String, NotFound, f64)>> {
    if picture.width() == 0 || picture.height() == 0 {
        return Err(Error::ZeroSize("picture".into()));
    }
    let small = resize(picture, RES, RES, FilterType::Triangle);
    let started = now_ms();
    let (maps, reused) = painter.perceive_one(&small).await?;
    let ms = if reused { 0.0 } else { now_ms() - started };
    let likeness = scene_likeness(&small, &maps);
    if likeness < SCENE_LIKENESS_MIN && !asked.force {
        let expression =
            instruction::parse(instruction).map_or(instruction.into(), |i| i.expression);
        let not_found = NotFound {
            reason: Reason::NotAScene,
            note: NOT_A_SCENE.into(),
            scene_likeness: likeness,
        };
        return Ok(Err((expression, not_found, ms)));
    }
    let instruction = read_instruction(instruction)?;
    let meaning = meaning_of(&instruction.expression)?;
    let cover = match find_in_maps(&maps, &meaning) {
        Ok(cover) => cover,
        Err(absence) => {
            let not_found = NotFound {
                reason: Reason::Absent,
                note: absence.note(&instruction.expression),
                scene_likeness: likeness,
            };
            return Ok(Err((instruction.expression, not_found, ms)));
        }
    };
    let wanted = asked
        .color
        .or(instruction.paint)
        .unwrap_or_else(|| color::contrasting(picture));
    let (paint, paint_note) = paint_for(&small, &cover, wanted, &instruction.expression);
    let edit = draw(&small, &cover, paint, Drawing::Paint);
    Ok(Ok(Painted {
        instruction,
        paint,
        paint_note,
        small,
        edit,
        ms,
        reused,
        scene_likeness: likeness,
    }))
}

/// The cheap stages after painting: diff and cleanup at the painter's size (steered by
/// `options` as in [`Differ::mask_from_edit`], except the colour, which is the paint's),
/// then the mask brought to `picture`'s size along its edges.
pub async fn mask_of_painted(
    differ: &Differ,
    picture: &RgbaImage,
    painted: Painted,
    options: &Options,
) -> Result<Segmented> {
    let started = now_ms();
    let small_outcome = differ
        .mask_from_edit(
            &painted.small,
            &painted.edit,
            &painted_in(painted.paint, options),
        )
        .await?;
    let diffed = now_ms();
    let mask = differ
        .upsample(&small_outcome.mask, &painted.small, picture)
        .await?;
    let area = mask.pixels().filter(|p| p.0[0] > 0).count() as u64;
    let mut notes = small_outcome.stats.notes.clone();
    notes.extend(painted.paint_note.clone());
    let stats = crate::Stats {
        scene_likeness: Some(painted.scene_likeness),
        width: picture.width(),
        height: picture.height(),
        area,
        area_fraction: area as f64 / (picture.width() as f64 * picture.height() as f64),
        notes,
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
        // The painter draws in the picture's own frame.
        visible: None,
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

/// [`paint`] then [`mask_of_painted`]: `options.color` chooses the paint; `force` paints even
/// on a picture that does not look like a scene.
pub async fn segment(
    painter: &Painter,
    differ: &Differ,
    picture: &RgbaImage,
    instruction: &str,
    options: &Options,
    force: bool,
) -> Result<Answer> {
    let asked = Asked {
        color: options.color,
        force,
    };
    match paint(painter, picture, instruction, asked).await? {
        Ok(painted) => Ok(Answer::Found(Box::new(
            mask_of_painted(differ, picture, painted, options).await?,
        ))),
        Err((expression, not_found, ms)) => Ok(Answer::NotFound {
            expression,
            not_found,
            ms,
        }),
    }
}
