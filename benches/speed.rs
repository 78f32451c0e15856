//! Speed benchmark: the CPU path and the GPU path on 1 MP and 12 MP edits, as the pipeline alone
//! (decoded images in, mask, heat map and overlay out) and as whole commands (`editseg mask`
//! reading both PNGs and writing mask, heat map and overlay), next to the OpenCV recipe
//! (scripts/opencv_recipe.py --time, one thread; its whole command reads both PNGs and writes the
//! mask) on the same inputs in the same run.
//!
//!   cargo bench --bench speed [-- --out DIR] [--registration]   (the registration table alone)
//!
//! Prints a markdown table.

use editseg::color::Style;
use editseg::synth;
use editseg::{imageio, BackendChoice, Differ, Options};
use image::imageops::{resize, FilterType};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// (label, width, height, repeats)
const SIZES: &[(&str, u32, u32, usize)] = &[("1 MP", 1155, 866, 60), ("12 MP", 4000, 3000, 2)];
/// The browser benchmark's pairs: a few calls gave numbers a third off from one run to the next.
const BROWSER_REPEATS: usize = 6;

/// Seconds per call of `run`, after one warm-up call (which compiles GPU pipelines and fills
/// caches).
fn seconds(repeats: usize, mut run: impl FnMut()) -> f64 {
    run();
    let start = Instant::now();
    for _ in 0..repeats {
        run();
    }
    start.elapsed().as_secs_f64() / repeats as f64
}

fn pipeline(
    differ: &Differ,
    o: &image::RgbaImage,
    e: &image::RgbaImage,
    options: &Options,
    repeats: usize,
) -> f64 {
    seconds(repeats, || {
        pollster::block_on(differ.mask_from_edit(o, e, options)).expect("segment");
    })
}

fn command(dir: &Path, backend: &str, color: &str, repeats: usize) -> f64 {
    seconds(repeats, || {
        let status = Command::new(env!("CARGO_BIN_EXE_editseg"))
            .args(["mask", "--backend", backend, "--color", color])
            .arg("--original")
            .arg(dir.join("original.png"))
            .arg("--edited")
            .arg(dir.join("edited.png"))
            .arg("--out")
            .arg(dir.join("mask.png"))
            .arg("--heat")
            .arg(dir.join("heat.png"))
            .arg("--overlay")
            .arg(dir.join("overlay.png"))
            .output()
            .expect("editseg");
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
    })
}

/// The OpenCV recipe's seconds on `dir`: the recipe alone, or the whole command.
fn opencv(dir: &Path, repeats: usize, whole: bool) -> f64 {
    opencv_with(dir, repeats, if whole { &["--whole"] } else { &[] })
}

/// The OpenCV recipe's seconds on `dir` with `extra` arguments (`--whole`, `--ecc`).
fn opencv_with(dir: &Path, repeats: usize, extra: &[&str]) -> f64 {
    let mut cmd = Command::new("python3");
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/opencv_recipe.py"))
        .arg(dir.parent().unwrap())
        .args(["--time", &(repeats * 5).to_string(), "--only"])
        .arg(dir.file_name().unwrap())
        .args(extra);
    let out = cmd.output().expect("python3 with opencv-python-headless");
    let text = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<f64> = text
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // "name megapixels seconds-per-megapixel"
    fields[0] * fields[1]
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
    let cpu = pollster::block_on(Differ::new(BackendChoice::Cpu)).unwrap();
    if args.iter().any(|a| a == "--registration") {
        registration(&cpu, &case, &options, &out);
        return;
    }
    let gpu = pollster::block_on(Differ::new(BackendChoice::Gpu)).ok();

    println!("| input | EditSeg CPU path (2 cores), ms | EditSeg GPU path, ms | OpenCV recipe (1 thread), ms | CPU path / OpenCV |");
    println!("|---|---|---|---|---|");
    for &(label, w, h, repeats) in SIZES {
        let o = resize(&case.original, w, h, FilterType::Triangle);
        let e = resize(&case.edited, w, h, FilterType::Triangle);
        let dir = out.join(label.replace(' ', ""));
        std::fs::create_dir_all(&dir).unwrap();
        o.save(dir.join("original.png")).unwrap();
        e.save(dir.join("edited.png")).unwrap();
        // As many calls as the recipe's timing loop makes (below); the GPU path, slower, fewer.
        let cpu_s = pipeline(&cpu, &o, &e, &options, 5 * repeats);
        let gpu_s = gpu.as_ref().map(|g| pipeline(g, &o, &e, &options, repeats));
        let cv = opencv(&dir, repeats, false);
        // Tenths below 20 ms, where a whole millisecond is a large share.
        let ms = |s: f64| match s * 1000.0 {
            v if v < 20.0 => format!("{v:.1}"),
            v => format!("{v:.0}"),
        };
        println!(
            "| {label} pipeline | {} | {} | {} | {:.1}x |",
            ms(cpu_s),
            gpu_s.map(ms).unwrap_or("no adapter".into()),
            ms(cv),
            cpu_s / cv
        );
        let cpu_s = command(&dir, "cpu", &case.color, repeats);
        let gpu_s = gpu
            .as_ref()
            .map(|_| command(&dir, "gpu", &case.color, repeats));
        let cv = opencv(&dir, repeats, true);
        println!(
            "| {label} whole command | {} | {} | {} | {:.1}x |",
            ms(cpu_s),
            gpu_s.map(ms).unwrap_or("no adapter".into()),
            ms(cv),
            cpu_s / cv
        );
    }
    // The pairs tests/e2e/bench-browser.js timed in the browser (saved there), for the wasm
    // CPU path's stats.milliseconds against the native one on the same pixels.
    let mut saved: Vec<PathBuf> = std::fs::read_dir(&out)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    saved.retain(|d| {
        d.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("browser-"))
    });
    saved.sort();
    let mut browser = options.clone();
    browser.set("color", "#d020c0").unwrap();
    for dir in saved {
        let (Ok(o), Ok(e)) = (
            imageio::read(&dir.join("original.png")),
            imageio::read(&dir.join("edited.png")),
        ) else {
            continue;
        };
        let cpu_s = pipeline(&cpu, &o, &e, &browser, 5 * BROWSER_REPEATS);
        let cv = opencv(&dir, BROWSER_REPEATS, false);
        println!(
            "| {} pipeline (bench-browser's pair) | {:.0} | - | {:.0} | {:.1}x |",
            dir.file_name().unwrap().to_string_lossy(),
            cpu_s * 1000.0,
            cv * 1000.0,
            cpu_s / cv
        );
    }
    registration(&cpu, &case, &options, &out);
    match &gpu {
        Some(g) => eprintln!("GPU: {}", g.backend()),
        None => eprintln!("GPU: none"),
    }
}

/// What registering the edit's frame costs on the CPU path: pairs in the same frame with the
/// registration (`auto`, which leaves them to the shift search) and without it (`shift`), and
/// pairs in editors' frames (1 MP originals answered at about 1 MP) through an affine map and a
/// flow, against the same-frame time and against OpenCV's `findTransformECC` (affine) and the
/// recipe. Calls of the two settings alternate, and the framed pairs' calls with the 1 MP
/// same-frame pair's, so that each ratio compares calls made on the same machine.
fn registration(cpu: &Differ, case: &synth::Case, options: &Options, out: &Path) {
    use editseg::synth::{framed_case, Family};
    println!("\n| pair | registration | EditSeg CPU path (2 cores), ms | against the same-frame run without registration | OpenCV findTransformECC + recipe (1 thread), ms |");
    println!("|---|---|---|---|---|");
    let ms = |s: f64| format!("{:.1}", s * 1000.0);
    let mut shift = options.clone();
    shift.set("register", "shift").unwrap();
    // The first size's pair, which the framed pairs alternate with.
    let mut same_frame = None;
    for &(label, w, h, repeats) in SIZES {
        let o = resize(&case.original, w, h, FilterType::Triangle);
        let e = resize(&case.edited, w, h, FilterType::Triangle);
        let (mut with, mut without) = (0.0, 0.0);
        for _ in 0..3 {
            without += pipeline(cpu, &o, &e, &shift, 5 * repeats);
            with += pipeline(cpu, &o, &e, options, 5 * repeats);
        }
        let kind = pollster::block_on(cpu.mask_from_edit(&o, &e, options))
            .unwrap()
            .stats
            .registration
            .method;
        println!(
            "| {label}, same frame | off (shift) | {} | 1.00x | - |",
            ms(without / 3.0)
        );
        println!(
            "| {label}, same frame | auto (chose {kind:?}) | {} | {:.2}x | - |",
            ms(with / 3.0),
            with / without
        );
        same_frame.get_or_insert((o, e));
    }
    let (o1, e1) = same_frame.expect("a first size");
    let photo = &case.original;
    let original = resize(photo, 1155, 866, FilterType::Triangle);
    for family in [Family::Zoom, Family::Crop, Family::Drift, Family::All] {
        let (framed, _) = framed_case("coffee", &original, 77, Style::Paint, 1, 1.0, family);
        let mut opts = options.clone();
        opts.set("color", &framed.color).unwrap();
        let dir = out.join(format!("framed-{family:?}").to_lowercase());
        std::fs::create_dir_all(&dir).unwrap();
        framed.original.save(dir.join("original.png")).unwrap();
        framed.edited.save(dir.join("edited.png")).unwrap();
        // Blocks of framed calls alternate with blocks of the same-frame pair's, so that the
        // ratio compares calls made on the same machine.
        let (mut seconds, mut base) = (0.0, 0.0);
        for _ in 0..4 {
            base += pipeline(cpu, &o1, &e1, &shift, 5);
            seconds += pipeline(cpu, &framed.original, &framed.edited, &opts, 5);
        }
        let (seconds, base) = (seconds / 4.0, base / 4.0);
        let kind = pollster::block_on(cpu.mask_from_edit(&framed.original, &framed.edited, &opts))
            .unwrap()
            .stats
            .registration
            .method;
        let ecc = opencv_with(&dir, 2, &["--ecc"]);
        println!(
            "| 1 MP, edit {}x{} in a {family:?} frame | auto (chose {kind:?}) | {} | {:.2}x | {} |",
            framed.edited.width(),
            framed.edited.height(),
            ms(seconds),
            seconds / base,
            ms(ecc)
        );
    }
}
