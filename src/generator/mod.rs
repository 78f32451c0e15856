//! The end-to-end generator: words and a picture in, an edited picture out (no perception
//! maps, no program). It is what the article trains at scale, kept here for its experiment
//! (does drawing the paint beat drawing the mask once the generator has an image prior?) and
//! trained by `editseg train --net generator`; the shipped painter does not use it, and it is
//! not part of the browser module.

pub mod model;

use crate::error::{Error, Result};
use crate::painter::schema::Schema;
use crate::painter::{f16_bytes, load_into, pictures, Drawing, RES};
use crate::scenes::language;
use burn::prelude::*;
use image::RgbaImage;
pub use model::{GeneratorNet, MAX_TOKENS};

/// What a generator was trained to draw: one of the segmentation drawings, or the general
/// edits of its prior (any instruction, drawn as the instruction asks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trained {
    Segmentation(Drawing),
    Edits,
}

impl Trained {
    pub fn name(self) -> &'static str {
        match self {
            Trained::Segmentation(d) => d.name(),
            Trained::Edits => "edits",
        }
    }

    /// How its output is read as a mask: the drawing it learnt, or a painted object for the
    /// prior (its edits are pictures).
    pub fn drawing(self) -> Drawing {
        match self {
            Trained::Segmentation(d) => d,
            Trained::Edits => Drawing::Paint,
        }
    }

    pub fn parse(text: &str) -> Result<Trained> {
        match text {
            "edits" => Ok(Trained::Edits),
            _ => Drawing::parse(text).map(Trained::Segmentation),
        }
    }
}

const PAD: &str = "<pad>";
const UNKNOWN: &str = "<unk>";

/// Word ids: 0 pads, 1 stands for any word outside the vocabulary.
#[derive(Clone, Debug, PartialEq)]
pub struct Vocabulary {
    words: Vec<String>,
}

/// An expression as the network reads it.
pub struct Encoded {
    pub ids: Vec<i64>,
    pub keep: Vec<f32>,
    /// Words outside the vocabulary, and words past the length the network reads.
    pub unknown: Vec<String>,
    pub dropped: Vec<String>,
}

impl Vocabulary {
    /// The words of RefScenes' expressions, of the instructions around them, and of the
    /// general edits.
    pub fn builtin() -> Vocabulary {
        let mut words: Vec<String> = language::vocabulary();
        words.extend(
            crate::instruction::INSTRUCTIONS
                .iter()
                .flat_map(|t| crate::instruction::tokens(&t.replace("{e}", "").replace("{p}", ""))),
        );
        words.extend(crate::instruction::PAINTS.iter().map(|p| p.to_string()));
        words.extend(crate::scenes::edits::words());
        words.sort();
        words.dedup();
        Vocabulary {
            words: [PAD.to_string(), UNKNOWN.to_string()]
                .into_iter()
                .chain(words)
                .collect(),
        }
    }

    /// The word list stored with a generator's weights (ids in order).
    pub fn from_words(words: Vec<String>) -> Result<Vocabulary> {
        if words.len() < 3 || words[0] != PAD || words[1] != UNKNOWN {
            return Err(Error::Weights(format!(
                "the vocabulary must list {PAD} and {UNKNOWN} first, then words"
            )));
        }
        Ok(Vocabulary { words })
    }

    pub fn words(&self) -> &[String] {
        &self.words
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    pub fn encode(&self, expression: &str) -> Encoded {
        let tokens = crate::instruction::tokens(expression);
        let (mut ids, mut keep, mut unknown) =
            (vec![0i64; MAX_TOKENS], vec![0f32; MAX_TOKENS], Vec::new());
        for (i, word) in tokens.iter().take(MAX_TOKENS).enumerate() {
            ids[i] = match self.words.iter().position(|w| w == word) {
                Some(id) => id as i64,
                None => {
                    unknown.push(word.clone());
                    1
                }
            };
            keep[i] = 1.0;
        }
        Encoded {
            ids,
            keep,
            unknown,
            dropped: tokens.into_iter().skip(MAX_TOKENS).collect(),
        }
    }
}

/// Network inputs for a batch: pictures at `RES`, word ids, padding weights and paint colours.
pub struct Inputs {
    pub image: Tensor<4>,
    pub tokens: Tensor<2, Int>,
    pub keep: Tensor<2>,
    pub paint: Tensor<2>,
}

impl Inputs {
    pub fn new(
        images: &[&RgbaImage],
        expressions: &[Encoded],
        paints: &[[u8; 3]],
        device: &Device,
    ) -> Inputs {
        let b = images.len();
        Inputs {
            image: pictures(images, device),
            tokens: Tensor::from_data(
                TensorData::new(
                    expressions
                        .iter()
                        .flat_map(|e| e.ids.clone())
                        .collect::<Vec<i64>>(),
                    [b, MAX_TOKENS],
                ),
                device,
            ),
            keep: Tensor::from_data(
                TensorData::new(
                    expressions
                        .iter()
                        .flat_map(|e| e.keep.clone())
                        .collect::<Vec<f32>>(),
                    [b, MAX_TOKENS],
                ),
                device,
            ),
            paint: Tensor::from_data(
                TensorData::new(
                    paints
                        .iter()
                        .flat_map(|p| p.map(|c| c as f32 / 255.0))
                        .collect::<Vec<f32>>(),
                    [b, 3],
                ),
                device,
            ),
        }
    }
}

/// [B, 3, RES, RES] in [0, 1] back to pictures.
pub fn to_images(data: TensorData) -> Result<Vec<RgbaImage>> {
    let values: Vec<f32> = data
        .try_to_vec::<f32>()
        .map_err(|e| Error::Gpu(format!("reading the generator's output: {e:?}")))?;
    let n = (RES * RES) as usize;
    Ok(values
        .chunks(3 * n)
        .map(|v| {
            RgbaImage::from_fn(RES, RES, |x, y| {
                let i = (y * RES + x) as usize;
                let c = |k: usize| (v[k * n + i].clamp(0.0, 1.0) * 255.0).round() as u8;
                image::Rgba([c(0), c(1), c(2), 255])
            })
        })
        .collect())
}

/// A trained generator on a device, with its words and what it draws.
pub struct Generator {
    pub net: GeneratorNet,
    pub vocabulary: Vocabulary,
    pub trained: Trained,
    pub device: Device,
}

impl Generator {
    /// Load f16 weights written by [`Generator::weights`], checking their schema.
    pub fn load(weights: &[u8], device: Device) -> Result<Generator> {
        let stored = Schema::read(weights)?;
        let trained = Trained::parse(stored.drawing.as_deref().unwrap_or("")).map_err(|_| {
            Error::Weights(format!(
                "a generator's schema must say what it draws, not {:?}",
                stored.drawing
            ))
        })?;
        Schema::generator(stored.vocabulary.clone(), trained.name()).check(&stored)?;
        let vocabulary = Vocabulary::from_words(stored.vocabulary)?;
        let mut net = GeneratorNet::new(vocabulary.len(), &device);
        load_into(&mut net, weights)?;
        Ok(Generator {
            net,
            vocabulary,
            trained,
            device,
        })
    }

    /// The weights as f16 burnpack bytes with their schema.
    pub fn weights(&self) -> Result<Vec<u8>> {
        f16_bytes(
            &self.net,
            &Schema::generator(self.vocabulary.words().to_vec(), self.trained.name()),
        )
    }

    /// The generator's edits of pictures at `RES` x `RES` for `instructions` in `paints`.
    pub fn edit(
        &self,
        images: &[&RgbaImage],
        instructions: &[&str],
        paints: &[[u8; 3]],
    ) -> Result<Vec<RgbaImage>> {
        let encoded: Vec<Encoded> = instructions
            .iter()
            .map(|e| self.vocabulary.encode(e))
            .collect();
        let inputs = Inputs::new(images, &encoded, paints, &self.device);
        let out = self
            .net
            .forward(inputs.image, inputs.tokens, inputs.keep, inputs.paint);
        to_images(out.into_data())
    }
}

/// The kind of a stored network, read from its schema: "perception" or "generator".
pub fn kind_of(weights: &[u8]) -> Result<String> {
    Ok(Schema::read(weights)?.net)
}
