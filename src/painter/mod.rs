//! The painter: given a picture, a referring expression and a paint colour, it paints the object
//! the expression names, or says that nothing in the picture fits it. Its edit then goes through
//! the same diff and cleanup stages as any editor's, which turn it into a mask.
//!
//! image -> [`perceive::SceneNet`] (burn: per-pixel category, colour, size and centre) ->
//! [`program::detect`] (the objects) -> [`program::pick`] (the expression's parsed meaning
//! carried out over them) -> the object recoloured in the paint -> diff -> cleanup -> mask.
//! Trained on RefScenes (`editseg train --net perception`); weights are stored in f16 with their
//! [`schema`].

pub mod perceive;
pub mod program;
pub mod schema;
pub mod segment;

use crate::error::{Error, Result};
use crate::scenes::language;
use burn::prelude::*;
use burn::store::{BurnpackStore, HalfPrecisionAdapter, ModuleSnapshot};
use burn::tensor::Bytes;
use image::RgbaImage;
use perceive::{SceneNet, CHANNELS};
use program::Absence;
use schema::Schema;

/// The side of the square the painter works at.
pub const RES: u32 = 64;

/// How a painter shows the object it chose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drawing {
    /// The object recoloured, its shading kept.
    Paint,
    /// The paint at half opacity over the object.
    Overlay,
    /// A white object on black: the drawing the article reports failing.
    Mask,
}

impl Drawing {
    pub fn parse(text: &str) -> Result<Drawing> {
        match text {
            "paint" => Ok(Drawing::Paint),
            "overlay" => Ok(Drawing::Overlay),
            "mask" => Ok(Drawing::Mask),
            _ => Err(Error::BadOption(format!(
                "unknown drawing {text:?}: use paint, overlay or mask"
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Drawing::Paint => "paint",
            Drawing::Overlay => "overlay",
            Drawing::Mask => "mask",
        }
    }
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

/// `image` with `cover` (one weight a pixel) drawn in `paint` as `drawing` says.
pub fn draw(image: &RgbaImage, cover: &[f32], paint: [u8; 3], drawing: Drawing) -> RgbaImage {
    use crate::color::{recolour, Style};
    match drawing {
        Drawing::Paint => recolour(image, cover, paint, Style::Paint),
        Drawing::Overlay => recolour(image, cover, paint, Style::Overlay),
        Drawing::Mask => RgbaImage::from_fn(image.width(), image.height(), |x, y| {
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

/// The object `meaning` names in perception `maps` (laid out as [`SceneNet::perceive`] gives
/// them for one `RES` x `RES` picture), as a coverage map, or why there is none.
pub fn find_in_maps(
    maps: &[f32],
    meaning: &crate::scenes::Meaning,
) -> std::result::Result<Vec<f32>, Absence> {
    let found = program::detect(&program::Maps {
        values: maps,
        side: RES as usize,
    });
    let k = program::pick(&found, meaning)?;
    let mut cover = vec![0f32; (RES * RES) as usize];
    for &i in &found[k].pixels {
        cover[i] = 1.0;
    }
    Ok(cover)
}

/// A trained painter on a device.
pub struct Painter {
    pub net: SceneNet,
    pub device: Device,
    /// The last picture perceived and its maps: asking about another object of the same
    /// picture, or moving a cleanup slider, needs no second pass of the network.
    last: std::sync::Mutex<Option<(RgbaImage, std::sync::Arc<Vec<f32>>)>>,
}

/// Load f16 burnpack `weights` into `net`; the reason they do not fit, if they do not.
pub fn load_into<M: Module>(net: &mut M, weights: &[u8]) -> Result<()> {
    let mut store = BurnpackStore::from_bytes(Some(Bytes::from_bytes_vec(weights.to_vec())))
        .with_from_adapter(HalfPrecisionAdapter::new());
    let result = net
        .load_from(&mut store)
        .map_err(|e| Error::Weights(format!("{e}")))?;
    if !result.errors.is_empty() || !result.missing.is_empty() || !result.unused.is_empty() {
        let first = result
            .errors
            .first()
            .map(|e| format!("{e:?}"))
            .or_else(|| result.missing.first().map(|m| format!("missing {}", m.0)))
            .or_else(|| result.unused.first().map(|u| format!("unexpected {u}")));
        return Err(Error::Weights(first.unwrap_or_default()));
    }
    Ok(())
}

/// A module as f16 burnpack bytes, with its schema.
pub fn f16_bytes<M: Module>(net: &M, schema: &Schema) -> Result<Vec<u8>> {
    let io = |e: String| Error::Io {
        what: "painter weights".into(),
        reason: e,
    };
    let mut store = BurnpackStore::from_bytes(None)
        .with_to_adapter(HalfPrecisionAdapter::new())
        .metadata(schema::KEY, schema.to_json());
    net.save_into(&mut store).map_err(|e| io(format!("{e}")))?;
    let bytes = store.get_bytes().map_err(|e| io(format!("{e}")))?;
    Ok(bytes.to_vec())
}

impl Painter {
    /// Load f16 weights written by [`Painter::weights`], after checking that they were trained
    /// for this build's categories, colours, channels and grammar.
    pub fn load(weights: &[u8], device: Device) -> Result<Painter> {
        crate::run_static_constructors();
        Schema::perception().check(&Schema::read(weights)?)?;
        let mut net = SceneNet::new(&device);
        load_into(&mut net, weights)?;
        Ok(Painter::new(net, device))
    }

    pub fn new(net: SceneNet, device: Device) -> Painter {
        crate::run_static_constructors();
        Painter {
            net,
            device,
            last: Default::default(),
        }
    }

    /// The weights as f16 burnpack bytes with their schema.
    pub fn weights(&self) -> Result<Vec<u8>> {
        f16_bytes(&self.net, &Schema::perception())
    }

    /// Learnt parameters.
    pub fn parameters(&self) -> usize {
        self.net.num_params()
    }

    /// Perception maps of pictures at `RES` x `RES`, one [`CHANNELS`] x `RES` x `RES` vector each.
    pub async fn perceive(&self, images: &[&RgbaImage]) -> Result<Vec<Vec<f32>>> {
        let maps = self
            .net
            .perceive(pictures(images, &self.device))
            .into_data_async()
            .await
            .map_err(|e| Error::Gpu(format!("{e:?}")))?;
        let values: Vec<f32> = maps
            .try_to_vec::<f32>()
            .map_err(|e| Error::Gpu(format!("reading the painter's maps: {e:?}")))?;
        let n = (RES * RES) as usize;
        Ok(values.chunks(CHANNELS * n).map(<[f32]>::to_vec).collect())
    }

    /// The maps of one picture (at `RES` x `RES`); the same picture as the last one is answered
    /// from memory. Returns the maps and whether they were remembered.
    pub async fn perceive_one(
        &self,
        picture: &RgbaImage,
    ) -> Result<(std::sync::Arc<Vec<f32>>, bool)> {
        if let Some((_, maps)) = self
            .last
            .lock()
            .expect("not poisoned")
            .as_ref()
            .filter(|(p, _)| p == picture)
        {
            return Ok((maps.clone(), true));
        }
        let maps = std::sync::Arc::new(self.perceive(&[picture]).await?.remove(0));
        *self.last.lock().expect("not poisoned") = Some((picture.clone(), maps.clone()));
        Ok((maps, false))
    }
}

/// How much a picture (at `RES` x `RES`) looks like the RefScenes scenes the painter was trained
/// on, 0 to 1, from its perception maps (as [`Painter::perceive`] gives them) and its colours:
/// how sure the net is of the category and colour of the objects it finds, over their pixels
/// (a scene has a few objects it is sure of; a photo gives dozens of uncertain blobs, or none),
/// scaled down for a picture with less colour than any scene has (every RefScenes background is
/// tinted; a greyscale photo is not). Measured in `benches/scene_likeness.rs`.
pub fn scene_likeness(picture: &RgbaImage, maps: &[f32]) -> f32 {
    let n = (RES * RES) as usize;
    let found = program::detect(&program::Maps {
        values: maps,
        side: RES as usize,
    });
    if found.is_empty() || found.len() > MAX_OBJECTS {
        return 0.0;
    }
    let at = |channel: usize, i: usize| maps[channel * n + i];
    let (sure, pixels) = found
        .iter()
        .flat_map(|o| &o.pixels)
        .map(|&i| {
            let category = (1..perceive::CATEGORIES)
                .map(|c| at(c, i))
                .fold(0.0, f32::max);
            let colour = (0..perceive::COLOUR_CLASSES)
                .map(|k| at(perceive::CATEGORIES + k, i))
                .fold(0.0, f32::max);
            category * colour
        })
        .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    let chroma = crate::color::mean_chroma(picture);
    sure / pixels as f32 * (chroma / SCENE_CHROMA).min(1.0)
}

/// More objects than a RefScenes picture ever shows (seven, some split in two): a photo.
const MAX_OBJECTS: usize = 20;
/// Mean CIELAB chroma at and above which a picture has the colour of a scene (RefScenes: 3.5 and
/// up; greyscale photos 0, a deep-sky photo 1.7).
const SCENE_CHROMA: f32 = 2.5;
