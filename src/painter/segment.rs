//! One instruction on one picture: parse it, paint at the painter's size, difference the edit
//! against the picture it was given, and bring the mask back to the picture's size along its
//! edges.

use super::{Painter, Target, RES};
use crate::cleanup::upsample;
use crate::error::{Error, Result};
use crate::pixels::{to_words, Grid};
use crate::scenes::language::{parse_instruction, Instruction};
use crate::{Options, Segmenter};
use image::imageops::{resize, FilterType};
use image::{GrayImage, Luma, RgbaImage};

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
    let mut options = Options::default();
    options.set(
        "color",
        &format!("#{:02x}{:02x}{:02x}", paint[0], paint[1], paint[2]),
    )?;
    Ok(segmenter
        .mask_from_edit(original, edited, &options)
        .await?
        .mask)
}

pub struct Segmented {
    pub instruction: Instruction,
    /// The paint used: the instruction's, the caller's, or one that contrasts with the picture.
    pub paint: [u8; 3],
    /// The picture the painter saw and its edit, at `RES` x `RES`.
    pub small: RgbaImage,
    pub edit: RgbaImage,
    /// The mask at the painter's size and at the picture's.
    pub small_mask: GrayImage,
    pub mask: GrayImage,
}

/// Parse `instruction`; words the painter does not know are an error that lists them.
pub fn read_instruction(painter: &Painter, instruction: &str) -> Result<Instruction> {
    let parsed = parse_instruction(instruction)?;
    let encoded = painter.vocabulary.encode(&parsed.expression);
    if !parsed.unknown.is_empty() || !encoded.unknown.is_empty() {
        let mut words = parsed.unknown.clone();
        words.extend(
            encoded
                .unknown
                .into_iter()
                .filter(|w| !parsed.unknown.contains(w)),
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

pub async fn segment(
    painter: &Painter,
    segmenter: &Segmenter,
    picture: &RgbaImage,
    instruction: &str,
    paint: Option<[u8; 3]>,
) -> Result<Segmented> {
    let instruction = read_instruction(painter, instruction)?;
    if picture.width() == 0 || picture.height() == 0 {
        return Err(Error::ZeroSize("picture".into()));
    }
    let paint = paint
        .or(instruction.paint)
        .unwrap_or_else(|| crate::paint::contrasting(picture));
    let small = resize(picture, RES, RES, FilterType::Triangle);
    let edit = painter
        .paint(&[&small], &[instruction.expression.as_str()], &[paint])
        .await?
        .remove(0);
    let small_mask = mask_of(Target::Paint, &small, &edit, paint, segmenter).await?;
    let full = Grid {
        w: picture.width(),
        h: picture.height(),
    };
    let grid = Grid { w: RES, h: RES };
    let mask = upsample::cpu(
        small_mask.as_raw(),
        &to_words(&small),
        grid,
        &to_words(picture),
        full,
    );
    let mask = GrayImage::from_raw(full.w, full.h, mask).expect("one byte a pixel");
    Ok(Segmented {
        instruction,
        paint,
        small,
        edit,
        small_mask,
        mask,
    })
}
