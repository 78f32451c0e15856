//! Speed benchmark: the CPU path and the GPU path per megapixel on 1 MP and 12 MP edits, and the
//! OpenCV recipe (scripts/opencv_recipe.py --time) on the same inputs in the same run.
//!
//!   cargo bench --bench speed [-- --out DIR]
//!
//! Prints a markdown table; decoding is excluded everywhere.

use editseg::synth::{self, Style};
use editseg::{imageio, BackendChoice, Options, Segmenter};
use image::imageops::{resize, FilterType};
use std::path::PathBuf;
use std::time::Instant;

/// (label, width, height, repeats)
const SIZES: &[(&str, u32, u32, usize)] = &[("1 MP", 1155, 866, 3), ("12 MP", 4000, 3000, 1)];

fn seconds_per_run(
    segmenter: &Segmenter,
    o: &image::RgbaImage,
    e: &image::RgbaImage,
    options: &Options,
    repeats: usize,
) -> f64 {
    // One warm-up run compiles the GPU pipelines and fills caches.
    pollster::block_on(segmenter.mask_from_edit(o, e, options)).expect("segment");
    let start = Instant::now();
    for _ in 0..repeats {
        pollster::block_on(segmenter.mask_from_edit(o, e, options)).expect("segment");
    }
    start.elapsed().as_secs_f64() / repeats as f64
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = PathBuf::from(
        args.iter()
            .position(|a| a == "--out")
            .map(|i| args[i + 1].clone())
            .unwrap_or("target/speed".into()),
    );
    let photo =
        imageio::read(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/photos/coffee.png"))
            .unwrap();
    let case = synth::case("coffee", &photo, 5, Style::Paint, 2);
    let mut options = Options::default();
    options.set("color", &case.color).unwrap();
    let cpu = pollster::block_on(Segmenter::new(BackendChoice::Cpu)).unwrap();
    let gpu = pollster::block_on(Segmenter::new(BackendChoice::Gpu)).ok();

    let mut rows = Vec::new();
    for &(label, w, h, repeats) in SIZES {
        let o = resize(&case.original, w, h, FilterType::Triangle);
        let e = resize(&case.edited, w, h, FilterType::Triangle);
        let dir = out.join(label.replace(' ', ""));
        std::fs::create_dir_all(&dir).unwrap();
        o.save(dir.join("original.png")).unwrap();
        e.save(dir.join("edited.png")).unwrap();
        let mp = (w * h) as f64 / 1e6;
        let cpu_s = seconds_per_run(&cpu, &o, &e, &options, repeats);
        let gpu_s = gpu
            .as_ref()
            .map(|g| seconds_per_run(g, &o, &e, &options, repeats));
        rows.push((label, dir, mp, cpu_s, gpu_s, repeats));
    }

    println!("| input | EditSeg CPU path, s/MP | EditSeg GPU path, s/MP | OpenCV recipe, s/MP (1 thread) | CPU path / OpenCV |");
    println!("|---|---|---|---|---|");
    for (label, dir, mp, cpu_s, gpu_s, repeats) in rows {
        let opencv = std::process::Command::new("python3")
            .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/opencv_recipe.py"))
            .arg(dir.parent().unwrap())
            .args([
                "--time",
                &(repeats * 5).to_string(),
                "--only",
                dir.file_name().unwrap().to_str().unwrap(),
            ])
            .output()
            .expect("python3 with opencv-python-headless");
        let text = String::from_utf8_lossy(&opencv.stdout);
        let opencv_s: f64 = text
            .split_whitespace()
            .nth(2)
            .and_then(|v| v.parse().ok())
            .expect("the recipe's timing");
        let gpu_cell = gpu_s
            .map(|s| format!("{:.3}", s / mp))
            .unwrap_or("no adapter".into());
        println!(
            "| {label} ({mp:.1} MP) | {:.3} | {gpu_cell} | {opencv_s:.4} | {:.1}x |",
            cpu_s / mp,
            cpu_s / mp / opencv_s
        );
    }
    match &gpu {
        Some(g) => eprintln!("GPU: {}", g.backend()),
        None => eprintln!("GPU: none"),
    }
}
