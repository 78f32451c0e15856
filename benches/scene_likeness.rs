//! How the built-in painter tells a RefScenes picture from a photo: the scene-likeness score
//! (from its own perception maps) on RefScenes pictures of every background kind, on the photos
//! the threshold was chosen with, and on photos it was not (a folder given as the argument, e.g.
//! scikit-image's `skimage/data`), with the share refused and accepted.
//!
//!   cargo bench --bench scene_likeness -- [UNSEEN_DIR]

use burn::prelude::Device;
use editseg::painter::{Painter, RES};
use editseg::scenes::{Background, Sample, Split};
use image::imageops::{resize, FilterType};
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let painter = Painter::load(
        &std::fs::read(root.join("www/model/painter.bpk")).unwrap(),
        Device::flex(),
    )
    .unwrap();
    let look = |img: &image::RgbaImage| {
        let small = resize(img, RES, RES, FilterType::Triangle);
        let maps = pollster::block_on(painter.perceive(&[&small]))
            .unwrap()
            .remove(0);
        let score = editseg::painter::scene_likeness(&small, &maps);
        if std::env::var_os("EDITSEG_PARTS").is_some() {
            eprintln!(
                "chroma {:.2} score {score:.3}",
                editseg::color::mean_chroma(&small)
            );
        }
        score
    };
    let mut kinds: Vec<(&str, Vec<f32>)> = ["flat", "gradient", "noise", "photo texture"]
        .iter()
        .map(|k| (*k, Vec::new()))
        .collect();
    for split in [Split::Val, Split::TestA, Split::TestB] {
        for i in 0..800 {
            let s = Sample::generate(split, i, 11);
            let k = match s.scene.background {
                Background::Flat(_) => 0,
                Background::Gradient { .. } => 1,
                Background::Noise { .. } => 2,
                Background::Photo { .. } => 3,
            };
            let size = [64, 96, 160, 256][(i % 4) as usize];
            kinds[k].1.push(look(&s.image(size, size)));
        }
    }
    let min = editseg::painter::segment::SCENE_LIKENESS_MIN;
    println!("| RefScenes background | pictures | lowest score | 1st percentile | median | refused (< {min}) |");
    println!("|---|---|---|---|---|---|");
    for (k, v) in &mut kinds {
        v.sort_by(f32::total_cmp);
        let refused = v.iter().filter(|s| **s < min).count();
        println!(
            "| {k} | {} | {:.3} | {:.3} | {:.3} | {refused} |",
            v.len(),
            v[0],
            v[v.len() / 100],
            v[v.len() / 2]
        );
    }
    let photos = |dir: &Path| {
        let mut out = Vec::new();
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        names.sort();
        for p in names {
            if let Ok(img) = image::open(&p) {
                let img = img.to_rgba8();
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                // The centre half too: fewer, larger things in the frame.
                let (w, h) = img.dimensions();
                let crop = image::imageops::crop_imm(&img, w / 4, h / 4, w / 2, h / 2).to_image();
                out.push((format!("{name} (centre half)"), look(&crop)));
                out.push((name, look(&img)));
            }
        }
        out
    };
    println!("| picture | score | accepted |");
    println!("|---|---|---|");
    for (n, s) in photos(&root.join("tests/photos")) {
        println!(
            "| {n} (chosen with) | {s:.3} | {} |",
            if s >= min { "yes" } else { "no" }
        );
    }
    for t in ["brick", "grass", "gravel"] {
        let img = image::open(root.join(format!("src/scenes/textures/{t}.png")))
            .unwrap()
            .to_rgba8();
        let s = look(&img);
        println!(
            "| {t} texture (chosen with) | {s:.3} | {} |",
            if s >= min { "yes" } else { "no" }
        );
    }
    if let Some(dir) = std::env::args().skip(1).find(|a| !a.starts_with('-')) {
        for (n, s) in photos(Path::new(&dir)) {
            println!(
                "| {n} (unseen) | {s:.3} | {} |",
                if s >= min { "yes" } else { "no" }
            );
        }
    }
}
