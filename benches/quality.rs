//! Quality benchmark: editor-like edits of real photos with known masks, segmented by EditSeg and
//! by the classic OpenCV recipe (scripts/opencv_recipe.py) in the same run.
//!
//!   cargo bench --bench quality [-- --backend cpu|gpu] [--out DIR]
//!
//! Prints a markdown table of cIoU and the worst case per damage level.

use editseg::synth::{self, Style};
use editseg::{imageio, BackendChoice, Options, Segmenter};
use image::GrayImage;
use std::collections::BTreeMap;
use std::path::PathBuf;

const PHOTOS: &[&str] = &["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"];
const SEEDS: std::ops::RangeInclusive<u64> = 1..=3;
const LEVELS: u32 = 4;

/// The metrics' tally, plus which case was worst.
#[derive(Default)]
struct Tally {
    all: editseg::metrics::Tally,
    worst: Option<(f64, String)>,
}

impl Tally {
    fn add(&mut self, name: &str, (i, u): (u64, u64)) {
        self.all.add(i, u);
        let iou = if u == 0 { 1.0 } else { i as f64 / u as f64 };
        if self.worst.as_ref().is_none_or(|(w, _)| iou < *w) {
            self.worst = Some((iou, name.into()));
        }
    }
    fn cell(&self) -> String {
        let (w, name) = self.worst.clone().unwrap_or((1.0, "-".into()));
        format!("{:.4} | {:.3} ({name})", self.all.summary().ciou, w)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .map(|i| args[i + 1].clone())
    };
    let backend: BackendChoice = flag("--backend")
        .unwrap_or("cpu".into())
        .parse()
        .expect("--backend cpu|gpu|auto");
    let out = PathBuf::from(flag("--out").unwrap_or("target/quality".into()));
    let photos = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/photos");
    std::fs::create_dir_all(&out).unwrap();
    let segmenter = pollster::block_on(Segmenter::new(backend)).expect("backend");
    eprintln!("backend: {}", segmenter.backend());

    let mut cases = Vec::new();
    for photo in PHOTOS {
        let original = imageio::read(&photos.join(photo)).expect("photo");
        let stem = photo.split('.').next().unwrap();
        for seed in SEEDS {
            for style in [Style::Paint, Style::Overlay] {
                for level in 0..LEVELS {
                    let case =
                        synth::case(stem, &original, seed * 100 + level as u64, style, level);
                    let dir = out.join(&case.name);
                    std::fs::create_dir_all(&dir).unwrap();
                    case.original.save(dir.join("original.png")).unwrap();
                    case.edited.save(dir.join("edited.png")).unwrap();
                    case.truth.save(dir.join("truth.png")).unwrap();
                    cases.push(case);
                }
            }
        }
    }
    let status = std::process::Command::new("python3")
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/opencv_recipe.py"))
        .arg(&out)
        .status()
        .expect("python3 with opencv-python-headless");
    assert!(status.success(), "the OpenCV recipe failed");

    // Per level: ours with the paint colour, ours without it, OpenCV.
    let mut tallies: BTreeMap<u32, [Tally; 3]> = BTreeMap::new();
    let mut all: [Tally; 3] = Default::default();
    let started = std::time::Instant::now();
    for case in &cases {
        let dir = out.join(&case.name);
        let mut with_color = Options::default();
        with_color.set("color", &case.color).unwrap();
        let known =
            pollster::block_on(segmenter.mask_from_edit(&case.original, &case.edited, &with_color))
                .expect("segment");
        let unknown = pollster::block_on(segmenter.mask_from_edit(
            &case.original,
            &case.edited,
            &Options::default(),
        ))
        .expect("segment");
        known.mask.save(dir.join("editseg.png")).unwrap();
        let opencv: GrayImage = image::open(dir.join("opencv.png")).unwrap().to_luma8();
        let t = tallies.entry(case.level).or_default();
        for (k, mask) in [&known.mask, &unknown.mask, &opencv]
            .into_iter()
            .enumerate()
        {
            let o = editseg::metrics::overlap(mask, &case.truth);
            t[k].add(&case.name, o);
            all[k].add(&case.name, o);
        }
    }
    eprintln!(
        "{} cases x 2 runs in {:.1} s",
        cases.len(),
        started.elapsed().as_secs_f64()
    );
    println!("| damage level | cases | EditSeg, colour known: cIoU | worst | EditSeg, colour unknown: cIoU | worst | OpenCV recipe: cIoU | worst |");
    println!("|---|---|---|---|---|---|---|---|");
    let per_level = cases.len() / LEVELS as usize;
    for (level, t) in &tallies {
        println!(
            "| {level} | {per_level} | {} | {} | {} |",
            t[0].cell(),
            t[1].cell(),
            t[2].cell()
        );
    }
    println!(
        "| all | {} | {} | {} | {} |",
        cases.len(),
        all[0].cell(),
        all[1].cell(),
        all[2].cell()
    );
}
