//! RefCOCO-format data as the `refer` toolkit lays it out: `refs(unc).p` (a Python pickle of refs,
//! each with sentences) beside `instances.json` (COCO images, annotations with polygon or RLE
//! segmentations, categories), and the images under `images/`.

pub mod mask;
#[cfg(not(target_arch = "wasm32"))]
pub mod write;

use crate::error::{Error, Result};
use crate::files;
use image::GrayImage;
use serde_json::Value as Json;
use serde_pickle::{HashableValue, Value as Pickle};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq)]
pub struct Sentence {
    pub sent_id: u64,
    pub sent: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ref {
    pub ref_id: u64,
    pub ann_id: u64,
    pub image_id: u64,
    pub category_id: u64,
    pub split: String,
    pub sentences: Vec<Sentence>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ImageInfo {
    pub file_name: String,
    pub width: u32,
    pub height: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Segmentation {
    /// One or more polygons, each x0, y0, x1, y1, ...
    Polygons(Vec<Vec<f64>>),
    Rle(mask::Rle),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Annotation {
    pub image_id: u64,
    pub category_id: u64,
    pub segmentation: Segmentation,
}

#[derive(Clone)]
pub struct Dataset {
    pub dir: PathBuf,
    pub refs: Vec<Ref>,
    pub images: HashMap<u64, ImageInfo>,
    pub annotations: HashMap<u64, Annotation>,
    pub categories: HashMap<u64, String>,
}

fn bad(path: &Path, why: impl std::fmt::Display) -> Error {
    Error::BadData {
        what: path.display().to_string(),
        reason: why.to_string(),
    }
}

/// The refs file in `dir`: `refs(unc).p` where there is one, else the only `refs(*).p`.
fn refs_file(dir: &Path) -> Result<PathBuf> {
    let unc = dir.join("refs(unc).p");
    if unc.exists() {
        return Ok(unc);
    }
    let found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| crate::files::error(dir, "list", e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("refs(") && n.ends_with(").p"))
        })
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Error::FileMissing(unc.display().to_string())),
        _ => Err(Error::BadOption(format!(
            "{}: several refs(*).p files; keep one",
            dir.display()
        ))),
    }
}

fn key<'a>(dict: &'a BTreeMap<HashableValue, Pickle>, name: &str) -> Option<&'a Pickle> {
    dict.get(&HashableValue::String(name.into()))
        .or_else(|| dict.get(&HashableValue::Bytes(name.as_bytes().to_vec())))
}

fn pickle_uint(v: Option<&Pickle>) -> Option<u64> {
    match v? {
        Pickle::I64(i) => u64::try_from(*i).ok(),
        Pickle::F64(f) if *f >= 0.0 && f.fract() == 0.0 => Some(*f as u64),
        _ => None,
    }
}

fn pickle_text(v: Option<&Pickle>) -> Option<String> {
    match v? {
        Pickle::String(s) => Some(s.clone()),
        Pickle::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    }
}

fn parse_refs(path: &Path) -> Result<Vec<Ref>> {
    let value = serde_pickle::value_from_slice(
        &files::read(path)?,
        serde_pickle::DeOptions::new()
            .decode_strings()
            .replace_unresolved_globals(),
    )
    .map_err(|e| bad(path, format!("not a readable pickle: {e}")))?;
    let Pickle::List(items) = value else {
        return Err(bad(path, "expected a list of refs"));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let Pickle::Dict(d) = item else {
                return Err(bad(path, format!("ref {i} is not a dict")));
            };
            let field = |name: &str| {
                pickle_uint(key(d, name))
                    .ok_or_else(|| bad(path, format!("ref {i} has no whole-number {name}")))
            };
            let Some(Pickle::List(sents)) = key(d, "sentences") else {
                return Err(bad(path, format!("ref {i} has no sentences list")));
            };
            let sentences = sents
                .iter()
                .map(|s| match s {
                    Pickle::Dict(sd) => Some(Sentence {
                        sent_id: pickle_uint(key(sd, "sent_id"))?,
                        sent: pickle_text(key(sd, "sent"))?,
                    }),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    bad(
                        path,
                        format!("ref {i} has a sentence without sent_id or sent"),
                    )
                })?;
            Ok(Ref {
                ref_id: field("ref_id")?,
                ann_id: field("ann_id")?,
                image_id: field("image_id")?,
                category_id: field("category_id")?,
                split: pickle_text(key(d, "split"))
                    .ok_or_else(|| bad(path, format!("ref {i} has no split")))?,
                sentences,
            })
        })
        .collect()
}

fn json_uint(v: &Json, name: &str) -> Option<u64> {
    v.get(name)?.as_u64().or_else(|| {
        v.get(name)?
            .as_f64()
            .filter(|f| *f >= 0.0 && f.fract() == 0.0)
            .map(|f| f as u64)
    })
}

fn parse_segmentation(v: &Json, h: u32, w: u32) -> std::result::Result<Segmentation, String> {
    match v {
        Json::Array(polys) => polys
            .iter()
            .map(|p| {
                p.as_array()
                    .and_then(|xs| xs.iter().map(Json::as_f64).collect::<Option<Vec<f64>>>())
            })
            .collect::<Option<Vec<_>>>()
            .map(Segmentation::Polygons)
            .ok_or_else(|| "a polygon holds something other than numbers".into()),
        Json::Object(o) => {
            let size: Vec<u32> = o
                .get("size")
                .and_then(Json::as_array)
                .map(|s| {
                    s.iter()
                        .filter_map(|x| x.as_u64().map(|x| x as u32))
                        .collect()
                })
                .unwrap_or_default();
            let (rh, rw) = match size.as_slice() {
                [rh, rw] => (*rh, *rw),
                _ => (h, w),
            };
            if (rh, rw) != (h, w) {
                return Err(format!(
                    "RLE size {rh}x{rw} differs from the image's {h}x{w}"
                ));
            }
            let rle = match o.get("counts") {
                Some(Json::String(s)) => mask::Rle::from_compressed(s, h, w)?,
                Some(Json::Array(c)) => mask::Rle::new(
                    h,
                    w,
                    c.iter()
                        .map(|x| x.as_u64().map(|x| x as u32))
                        .collect::<Option<Vec<_>>>()
                        .ok_or("RLE counts are not whole numbers")?,
                )?,
                _ => return Err("RLE without counts".into()),
            };
            Ok(Segmentation::Rle(rle))
        }
        _ => Err("segmentation is neither polygons nor RLE".into()),
    }
}

impl Dataset {
    /// Read `dir/refs(unc).p` (or the one `refs(*).p`) and `dir/instances.json`.
    pub fn open(dir: &Path) -> Result<Dataset> {
        if !dir.is_dir() {
            return Err(Error::FileMissing(dir.display().to_string()));
        }
        let refs = parse_refs(&refs_file(dir)?)?;
        let path = dir.join("instances.json");
        let json: Json = serde_json::from_slice(&files::read(&path)?)
            .map_err(|e| bad(&path, format!("not valid JSON: {e}")))?;
        let list = |name: &str| {
            json.get(name)
                .and_then(Json::as_array)
                .ok_or_else(|| bad(&path, format!("no {name} list")))
        };
        let mut images = HashMap::new();
        for im in list("images")? {
            let (Some(id), Some(file_name), Some(width), Some(height)) = (
                json_uint(im, "id"),
                im.get("file_name").and_then(Json::as_str),
                json_uint(im, "width"),
                json_uint(im, "height"),
            ) else {
                return Err(bad(
                    &path,
                    format!("an image entry lacks id, file_name, width or height: {im}"),
                ));
            };
            if width == 0 || height == 0 || width * height > crate::imageio::MAX_PIXELS {
                return Err(bad(
                    &path,
                    format!(
                        "image {id} claims {width}x{height} pixels (at most {} megapixels, none empty)",
                        crate::imageio::MAX_PIXELS / 1_000_000
                    ),
                ));
            }
            images.insert(
                id,
                ImageInfo {
                    file_name: file_name.into(),
                    width: width as u32,
                    height: height as u32,
                },
            );
        }
        let mut annotations = HashMap::new();
        for a in list("annotations")? {
            let (Some(id), Some(image_id), Some(seg)) = (
                json_uint(a, "id"),
                json_uint(a, "image_id"),
                a.get("segmentation"),
            ) else {
                return Err(bad(
                    &path,
                    "an annotation lacks id, image_id or segmentation",
                ));
            };
            let info = images.get(&image_id).ok_or_else(|| {
                bad(
                    &path,
                    format!("annotation {id} points at image {image_id}, which is not listed"),
                )
            })?;
            let segmentation = parse_segmentation(seg, info.height, info.width)
                .map_err(|e| bad(&path, format!("annotation {id}: {e}")))?;
            annotations.insert(
                id,
                Annotation {
                    image_id,
                    category_id: json_uint(a, "category_id").unwrap_or(0),
                    segmentation,
                },
            );
        }
        let categories = list("categories")?
            .iter()
            .filter_map(|c| Some((json_uint(c, "id")?, c.get("name")?.as_str()?.to_string())))
            .collect();
        for r in &refs {
            if !annotations.contains_key(&r.ann_id) {
                return Err(bad(
                    &path,
                    format!(
                        "ref {} points at annotation {}, which is not listed",
                        r.ref_id, r.ann_id
                    ),
                ));
            }
        }
        Ok(Dataset {
            dir: dir.to_path_buf(),
            refs,
            images,
            annotations,
            categories,
        })
    }

    /// The ground-truth mask of a ref, at its image's size.
    pub fn mask(&self, r: &Ref) -> GrayImage {
        let ann = &self.annotations[&r.ann_id];
        let info = &self.images[&ann.image_id];
        let mut m = GrayImage::new(info.width, info.height);
        match &ann.segmentation {
            Segmentation::Polygons(polys) => {
                for p in polys {
                    mask::Rle::from_polygon(p, info.height, info.width).fill_into(&mut m);
                }
            }
            Segmentation::Rle(rle) => rle.fill_into(&mut m),
        }
        m
    }

    /// Where a ref's image is expected: `images/` beside the annotation files.
    pub fn image_path(&self, r: &Ref) -> Result<PathBuf> {
        let info = self.images.get(&r.image_id).ok_or_else(|| {
            bad(
                &self.dir.join("instances.json"),
                format!(
                    "ref {} points at image {}, which is not listed",
                    r.ref_id, r.image_id
                ),
            )
        })?;
        Ok(self.dir.join("images").join(&info.file_name))
    }
}
