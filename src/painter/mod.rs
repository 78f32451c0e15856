//! The painter: given a picture, a referring expression and a paint colour, it paints the object
//! the expression names. Its edit then goes through the same diff and cleanup stages as any
//! editor's, which turn it into a mask.
//!
//! The shipped painter: image -> [`perceive::SceneNet`] (burn: per-pixel category, colour, size
//! and centre) -> [`program::detect`] (the objects) -> [`program::pick`] (the expression's parsed
//! meaning carried out over them) -> the object recoloured in the paint -> diff -> cleanup -> mask.
//! The end-to-end alternative, [`model::PainterNet`], reads the words and draws the edit itself;
//! it is kept for the paint / overlay / mask comparison. Trained on RefScenes by [`train`];
//! weights are stored in f16.

#[cfg(not(target_arch = "wasm32"))]
pub mod evaluate;
pub mod model;
pub mod perceive;
pub mod program;
pub mod segment;
#[cfg(not(target_arch = "wasm32"))]
pub mod train;

use crate::error::{Error, Result};
use crate::scenes::language;
use burn::prelude::*;
use burn::store::{BurnpackStore, HalfPrecisionAdapter, ModuleSnapshot};
use burn::tensor::Bytes;
use image::RgbaImage;
use model::{PainterNet, MAX_TOKENS};
use perceive::{SceneNet, CHANNELS};

/// The side of the square the painter works at.
pub const RES: u32 = 64;

/// What the painter is trained to produce for the named object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The object recoloured, its shading kept.
    Paint,
    /// The paint at half opacity over the object.
    Overlay,
    /// A white object on black: the target the article reports failing.
    Mask,
}

impl Target {
    pub fn parse(text: &str) -> Result<Target> {
        match text {
            "paint" => Ok(Target::Paint),
            "overlay" => Ok(Target::Overlay),
            "mask" => Ok(Target::Mask),
            _ => Err(Error::BadOption(format!(
                "unknown target {text:?}: use paint, overlay or mask"
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Target::Paint => "paint",
            Target::Overlay => "overlay",
            Target::Mask => "mask",
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
    /// The RefScenes grammar's words.
    pub fn builtin() -> Vocabulary {
        Vocabulary {
            words: [PAD.to_string(), UNKNOWN.to_string()]
                .into_iter()
                .chain(language::vocabulary())
                .collect(),
        }
    }

    /// One word a line, as [`Vocabulary::to_text`] writes it.
    pub fn parse(text: &str) -> Result<Vocabulary> {
        let words: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        if words.len() < 3 || words[0] != PAD || words[1] != UNKNOWN {
            return Err(Error::Weights(format!(
                "the vocabulary must list {PAD} and {UNKNOWN} first, then words"
            )));
        }
        Ok(Vocabulary { words })
    }

    pub fn to_text(&self) -> String {
        self.words.join("\n") + "\n"
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

/// Pictures (all `RES` x `RES`) as one [B, 3, RES, RES] tensor in [0, 1].
pub fn pictures(images: &[&RgbaImage], device: &Device) -> Tensor<4> {
    let n = (RES * RES) as usize;
    let mut data = vec![0f32; images.len() * 3 * n];
    for (b, img) in images.iter().enumerate() {
        for (i, p) in img.pixels().enumerate() {
            for c in 0..3 {
                data[(b * 3 + c) * n + i] = p.0[c] as f32 / 255.0;
            }
        }
    }
    Tensor::from_data(
        TensorData::new(data, [images.len(), 3, RES as usize, RES as usize]),
        device,
    )
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
        .map_err(|e| Error::Gpu(format!("reading the painter's output: {e:?}")))?;
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

/// The edit of `image` with `cover` painted in `paint` as `target` says.
fn compose(image: &RgbaImage, cover: &[f32], paint: [u8; 3], target: Target) -> RgbaImage {
    use crate::synth::{paint as draw, Style};
    match target {
        Target::Paint => draw(image, cover, paint, Style::Paint),
        Target::Overlay => draw(image, cover, paint, Style::Overlay),
        Target::Mask => RgbaImage::from_fn(image.width(), image.height(), |x, y| {
            let v = (cover[(y * image.width() + x) as usize] * 255.0).round() as u8;
            image::Rgba([v, v, v, 255])
        }),
    }
}

/// What an expression means, or an error that says the painter cannot read it.
pub fn meaning_of(expression: &str) -> Result<crate::scenes::Meaning> {
    language::understand(expression).ok_or_else(|| {
        Error::Prompt(format!(
            "{expression:?} is not an expression the painter can read: name an object (\"the blue star\"), \
             with a position (\"in the top left\", \"second from the left\") or a relation (\"left of the red box\")"
        ))
    })
}

/// The object recipe after perception: find the objects in `maps` (laid out as
/// [`SceneNet::perceive`] gives them for one `RES` x `RES` picture), pick the one `meaning`
/// names, and paint it.
pub fn paint_from_maps(
    image: &RgbaImage,
    maps: &[f32],
    meaning: &crate::scenes::Meaning,
    paint: [u8; 3],
    target: Target,
) -> RgbaImage {
    let found = program::detect(&program::Maps {
        values: maps,
        side: RES as usize,
    });
    let mut cover = vec![0f32; (RES * RES) as usize];
    if let Some(k) = program::pick(&found, meaning) {
        for &i in &found[k].pixels {
            cover[i] = 1.0;
        }
    }
    compose(image, &cover, paint, target)
}

/// The network inside a painter.
#[derive(Debug)]
pub enum Net {
    /// Perception maps, then the expression's meaning carried out over the objects found.
    Objects(SceneNet),
    /// Words in, edited picture out.
    EndToEnd(PainterNet),
}

/// A trained painter on a device.
pub struct Painter {
    pub net: Net,
    pub vocabulary: Vocabulary,
    pub device: Device,
    /// The last single painting and what it was asked for: moving a cleanup slider asks for
    /// the same painting again, and only the cheap stages after it need to run.
    last: std::sync::Mutex<Option<Remembered>>,
}

struct Remembered {
    picture: RgbaImage,
    expression: String,
    paint: [u8; 3],
    target: Target,
    edit: RgbaImage,
}

/// Load f16 burnpack `weights` into `net`; the reason they do not fit, if they do not.
fn load_into<M: Module>(net: &mut M, weights: &[u8]) -> std::result::Result<(), String> {
    let mut store = BurnpackStore::from_bytes(Some(Bytes::from_bytes_vec(weights.to_vec())))
        .with_from_adapter(HalfPrecisionAdapter::new());
    let result = net.load_from(&mut store).map_err(|e| format!("{e}"))?;
    if !result.errors.is_empty() || !result.missing.is_empty() || !result.unused.is_empty() {
        let first = result
            .errors
            .first()
            .map(|e| format!("{e:?}"))
            .or_else(|| result.missing.first().map(|m| format!("missing {}", m.0)))
            .or_else(|| result.unused.first().map(|u| format!("unexpected {u}")));
        return Err(first.unwrap_or_default());
    }
    Ok(())
}

/// Save a module as f16 burnpack bytes.
pub fn f16_bytes<M: Module>(net: &M) -> Result<Vec<u8>> {
    let io = |e: String| Error::Io {
        what: "painter weights".into(),
        reason: e,
    };
    let mut store = BurnpackStore::from_bytes(None).with_to_adapter(HalfPrecisionAdapter::new());
    net.save_into(&mut store).map_err(|e| io(format!("{e}")))?;
    let bytes = store.get_bytes().map_err(|e| io(format!("{e}")))?;
    Ok(bytes.to_vec())
}

impl Painter {
    /// Load f16 weights (burnpack bytes) written by [`Painter::weights`] for `vocabulary`: either
    /// network's.
    pub fn load(weights: &[u8], vocabulary: Vocabulary, device: Device) -> Result<Painter> {
        crate::run_static_constructors();
        let mut objects = SceneNet::new(&device);
        let net = match load_into(&mut objects, weights) {
            Ok(()) => Net::Objects(objects),
            Err(objects_reason) => {
                let mut end_to_end = PainterNet::new(vocabulary.len(), &device);
                load_into(&mut end_to_end, weights).map_err(|reason| {
                    Error::Weights(format!(
                        "they cannot be read or do not fit either painter network and this vocabulary: \
                         object net: {objects_reason}; end-to-end net: {reason}"
                    ))
                })?;
                Net::EndToEnd(end_to_end)
            }
        };
        Ok(Painter::new(net, vocabulary, device))
    }

    pub fn new(net: Net, vocabulary: Vocabulary, device: Device) -> Painter {
        crate::run_static_constructors();
        Painter {
            net,
            vocabulary,
            device,
            last: Default::default(),
        }
    }

    /// Paint one picture (at `RES` x `RES`) as [`Painter::paint_as`]; the same request as the
    /// last one is answered from memory. Returns the edit and whether it was remembered.
    pub async fn paint_one(
        &self,
        picture: &RgbaImage,
        expression: &str,
        paint: [u8; 3],
        target: Target,
    ) -> Result<(RgbaImage, bool)> {
        let same = |r: &Remembered| {
            r.picture == *picture
                && r.expression == expression
                && r.paint == paint
                && r.target == target
        };
        if let Some(r) = self
            .last
            .lock()
            .expect("not poisoned")
            .as_ref()
            .filter(|r| same(r))
        {
            return Ok((r.edit.clone(), true));
        }
        let edit = self
            .paint_as(&[picture], &[expression], &[paint], target)
            .await?
            .remove(0);
        *self.last.lock().expect("not poisoned") = Some(Remembered {
            picture: picture.clone(),
            expression: expression.into(),
            paint,
            target,
            edit: edit.clone(),
        });
        Ok((edit, false))
    }

    /// The weights as f16 burnpack bytes.
    pub fn weights(&self) -> Result<Vec<u8>> {
        match &self.net {
            Net::Objects(net) => f16_bytes(net),
            Net::EndToEnd(net) => f16_bytes(net),
        }
    }

    /// Learnt parameters.
    pub fn parameters(&self) -> usize {
        match &self.net {
            Net::Objects(net) => net.num_params(),
            Net::EndToEnd(net) => net.num_params(),
        }
    }

    /// Paint the object `expression` names in `paint`, on pictures already at `RES` x `RES`.
    pub async fn paint(
        &self,
        images: &[&RgbaImage],
        expressions: &[&str],
        paints: &[[u8; 3]],
    ) -> Result<Vec<RgbaImage>> {
        self.paint_as(images, expressions, paints, Target::Paint)
            .await
    }

    /// [`Painter::paint`], with the object recipe drawing the kind of edit `target` names: the
    /// object recoloured, the paint over it at half opacity, or a white object on black. (The
    /// end-to-end network draws what it was trained to draw.)
    pub async fn paint_as(
        &self,
        images: &[&RgbaImage],
        expressions: &[&str],
        paints: &[[u8; 3]],
        target: Target,
    ) -> Result<Vec<RgbaImage>> {
        match &self.net {
            Net::Objects(net) => {
                let meanings = expressions
                    .iter()
                    .map(|e| meaning_of(e))
                    .collect::<Result<Vec<_>>>()?;
                let maps = net
                    .perceive(pictures(images, &self.device))
                    .into_data_async()
                    .await
                    .map_err(|e| Error::Gpu(format!("{e:?}")))?;
                let values: Vec<f32> = maps
                    .try_to_vec::<f32>()
                    .map_err(|e| Error::Gpu(format!("reading the painter's maps: {e:?}")))?;
                let n = (RES * RES) as usize;
                Ok(images
                    .iter()
                    .zip(values.chunks(CHANNELS * n))
                    .zip(meanings.iter().zip(paints))
                    .map(|((image, maps), (meaning, paint))| {
                        paint_from_maps(image, maps, meaning, *paint, target)
                    })
                    .collect())
            }
            Net::EndToEnd(net) => {
                let encoded: Vec<Encoded> = expressions
                    .iter()
                    .map(|e| self.vocabulary.encode(e))
                    .collect();
                let inputs = Inputs::new(images, &encoded, paints, &self.device);
                let out = net.forward(inputs.image, inputs.tokens, inputs.keep, inputs.paint);
                let data = out
                    .into_data_async()
                    .await
                    .map_err(|e| Error::Gpu(format!("{e:?}")))?;
                to_images(data)
            }
        }
    }
}
