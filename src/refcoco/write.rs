//! Writing samples as a RefCOCO-format dataset that the `refer` toolkit (and every evaluation
//! script built on it) reads unchanged: `refs(unc).p` (pickle protocol 2, readable by Python 2
//! and 3), `instances.json` with a polygon segmentation for every object, and `images/*.png`.

use super::mask::polygon_from_mask;
use crate::error::Result;
use crate::files;
use crate::scenes::{draw, Category, Sample};
use serde_json::json;
use serde_pickle::{HashableValue, Value as Pickle};
use std::collections::BTreeMap;
use std::path::Path;

/// A pickled dict with string keys, as the `refer` toolkit's refs are.
pub fn dict(entries: Vec<(&str, Pickle)>) -> Pickle {
    Pickle::Dict(
        entries
            .into_iter()
            .map(|(k, v)| (HashableValue::String(k.into()), v))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn category_id(c: Category) -> u64 {
    Category::ALL.iter().position(|&k| k == c).expect("listed") as u64 + 1
}

/// Write `samples` drawn at `size` x `size` into `dir`. Sample k gets image, ref and sentence id
/// k + 1; object j of it annotation id 10 (k + 1) + j.
pub fn export(
    samples: &[Sample],
    size: u32,
    dir: &Path,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<()> {
    use rayon::prelude::*;
    let images_dir = dir.join("images");
    files::create_dir(&images_dir)?;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let per_sample: Vec<Result<(serde_json::Value, Vec<serde_json::Value>, Pickle)>> = samples
        .par_iter()
        .enumerate()
        .map(|(k, s)| {
            let id = k as u64 + 1;
            let file_name = format!("refscenes_{}_{:06}.png", s.split.name(), s.index);
            let rgb = image::DynamicImage::ImageRgba8(s.image(size, size)).to_rgb8();
            let path = images_dir.join(&file_name);
            rgb.save(&path)
                .map_err(|e| files::error(&path, "write", e))?;
            let annotations = (0..s.scene.objects.len())
                .map(|j| {
                    let mask = crate::synth::truth(
                        &draw::visible_cover(&s.scene, j, size, size),
                        size,
                        size,
                    );
                    let on: Vec<(u32, u32)> = mask
                        .enumerate_pixels()
                        .filter(|p| p.2 .0[0] > 0)
                        .map(|(x, y, _)| (x, y))
                        .collect();
                    let (x0, y0) = (
                        on.iter().map(|p| p.0).min().unwrap_or(0),
                        on.iter().map(|p| p.1).min().unwrap_or(0),
                    );
                    let (x1, y1) = (
                        on.iter().map(|p| p.0 + 1).max().unwrap_or(0),
                        on.iter().map(|p| p.1 + 1).max().unwrap_or(0),
                    );
                    json!({
                        "id": id * 10 + j as u64,
                        "image_id": id,
                        "category_id": category_id(s.scene.objects[j].category),
                        "segmentation": [polygon_from_mask(&mask)],
                        "area": on.len(),
                        "bbox": [x0, y0, x1.saturating_sub(x0), y1.saturating_sub(y0)],
                        "iscrowd": 0,
                    })
                })
                .collect();
            let words = crate::instruction::tokens(&s.expression);
            let sentence = dict(vec![
                ("sent_id", Pickle::I64(id as i64)),
                ("sent", Pickle::String(words.join(" "))),
                ("raw", Pickle::String(s.expression.clone())),
                (
                    "tokens",
                    Pickle::List(words.into_iter().map(Pickle::String).collect()),
                ),
            ]);
            let reference = dict(vec![
                ("ref_id", Pickle::I64(id as i64)),
                ("ann_id", Pickle::I64((id * 10 + s.target as u64) as i64)),
                ("image_id", Pickle::I64(id as i64)),
                (
                    "category_id",
                    Pickle::I64(category_id(s.scene.objects[s.target].category) as i64),
                ),
                ("split", Pickle::String(s.split.name().into())),
                ("file_name", Pickle::String(file_name.clone())),
                ("sent_ids", Pickle::List(vec![Pickle::I64(id as i64)])),
                ("sentences", Pickle::List(vec![sentence])),
            ]);
            progress(
                done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
                samples.len(),
            );
            Ok((
                json!({"id": id, "file_name": file_name, "width": size, "height": size}),
                annotations,
                reference,
            ))
        })
        .collect();
    let (mut images, mut annotations, mut refs) = (Vec::new(), Vec::new(), Vec::new());
    for item in per_sample {
        let (image, anns, reference) = item?;
        images.push(image);
        annotations.extend(anns);
        refs.push(reference);
    }
    let categories: Vec<serde_json::Value> = Category::ALL
        .iter()
        .map(|&c| json!({"id": category_id(c), "name": c.name(), "supercategory": "shape"}))
        .collect();
    let instances = json!({
        "info": {"description": "RefScenes: procedural referring-expression scenes (EditSeg)"},
        "images": images,
        "annotations": annotations,
        "categories": categories,
    });
    let path = dir.join("instances.json");
    files::write(
        &path,
        serde_json::to_vec(&instances).expect("JSON of plain values"),
    )?;
    let path = dir.join("refs(unc).p");
    let pickle = serde_pickle::value_to_vec(
        &Pickle::List(refs),
        serde_pickle::SerOptions::new().proto_v2(),
    )
    .map_err(|e| files::error(&path, "write", e))?;
    files::write(&path, pickle)
}
