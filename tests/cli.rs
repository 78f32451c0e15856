#![cfg(not(target_arch = "wasm32"))]

//! The command line: a good run writes a mask of the original's size; every bad input gives a
//! non-zero status and one line on stderr that names the problem.

mod process;

use editseg::color::Style;
use editseg::synth;
use process::{editseg, scratch};
use std::path::{Path, PathBuf};
use std::process::Command;

fn photos() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/photos")
}

/// A real case on disk: original, edited (as JPEG, the way editors answer) and the truth.
fn case_on_disk(dir: &Path) -> (PathBuf, PathBuf, image::GrayImage, String) {
    let original = image::open(photos().join("chelsea.png"))
        .unwrap()
        .to_rgba8();
    let case = synth::case("chelsea", &original, 5, Style::Overlay, 1);
    let (o, e) = (dir.join("original.png"), dir.join("edited.jpg"));
    case.original.save(&o).unwrap();
    image::DynamicImage::ImageRgba8(case.edited)
        .to_rgb8()
        .save(&e)
        .unwrap();
    (o, e, case.truth, case.color)
}

/// `editseg mask` on a pair, writing `out`, with `extra` flags.
fn mask_args<'a>(
    original: &'a str,
    edited: &'a str,
    out: &'a str,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![
        "mask",
        "--original",
        original,
        "--edited",
        edited,
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    args
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn assert_fails(args: &[&str], needle: &str) {
    let (code, _, err) = editseg(args);
    assert_ne!(code, 0, "{args:?} should fail");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line on stderr, got {err:?}"
    );
    assert!(
        err.contains(needle),
        "stderr {err:?} should mention {needle:?}"
    );
}

#[test]
fn a_real_edit_gives_a_mask_heat_map_and_overlay_of_the_originals_size() {
    let dir = scratch("cli", "good");
    let (o, e, truth, color) = case_on_disk(&dir);
    let (mask, heat, overlay, stats) = (
        dir.join("mask.png"),
        dir.join("heat.png"),
        dir.join("overlay.png"),
        dir.join("stats.json"),
    );
    let (code, out, err) = editseg(&mask_args(
        path(&o),
        path(&e),
        path(&mask),
        &[
            "--color",
            &color,
            "--heat",
            path(&heat),
            "--overlay",
            path(&overlay),
            "--stats",
            path(&stats),
            "--backend",
            "cpu",
        ],
    ));
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("mask 451x300"), "{out}");
    assert!(err.contains("resampled"), "the resize is reported: {err}");
    let m = image::open(&mask).unwrap();
    assert_eq!(
        (m.width(), m.height(), m.color()),
        (451, 300, image::ColorType::L8)
    );
    let m = m.to_luma8();
    assert!(m.pixels().all(|p| p.0[0] == 0 || p.0[0] == 255));
    let (i, u) = editseg::metrics::overlap(&m, &truth);
    assert!(i as f64 / u as f64 > 0.9, "IoU {}", i as f64 / u as f64);
    assert_eq!(image::image_dimensions(&heat).unwrap(), (451, 300));
    assert_eq!(image::image_dimensions(&overlay).unwrap(), (451, 300));
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    assert_eq!(stats["thresholdAuto"], true);
    assert_eq!(
        (stats["width"].as_u64(), stats["height"].as_u64()),
        (Some(451), Some(300))
    );
}

#[test]
fn webp_inputs_are_read() {
    let dir = scratch("cli", "webp");
    let (o, e, _, _) = case_on_disk(&dir);
    let webp = dir.join("original.webp");
    image::open(&o).unwrap().save(&webp).unwrap();
    let mask = dir.join("mask.png");
    let (code, _, err) = editseg(&mask_args(
        path(&webp),
        path(&e),
        path(&mask),
        &["--backend", "cpu"],
    ));
    assert_eq!(code, 0, "{err}");
}

#[test]
fn bad_inputs_fail_with_one_line_naming_the_problem() {
    let dir = scratch("cli", "bad");
    let (o, e, _, _) = case_on_disk(&dir);
    let (o, e) = (
        o.to_str().unwrap().to_string(),
        e.to_str().unwrap().to_string(),
    );
    let out = dir.join("mask.png");
    let out = out.to_str().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_string()
    };
    let png = std::fs::read(&o).unwrap();
    let text = write("notes.png", b"this is not an image at all");
    let truncated = write("truncated.png", &png[..png.len() / 3]);
    let empty = write("empty.png", b"");
    // A PNG whose header says 0 x 0.
    let mut zero = png[..33].to_vec();
    zero[16..24].copy_from_slice(&[0; 8]);
    let zero = write("zero.png", &zero);
    let tall = dir.join("tall.png");
    image::RgbaImage::new(100, 451).save(&tall).unwrap();
    let tall = tall.to_str().unwrap().to_string();

    let run = |original: &str, edited: &str, extra: &[&str], needle: &str| {
        let mut args = mask_args(original, edited, out, &["--backend", "cpu"]);
        args.extend_from_slice(extra);
        assert_fails(&args, needle);
    };
    run(
        "/no/such/file.png",
        &e,
        &[],
        "/no/such/file.png: file not found",
    );
    run(&o, &text, &[], "not an image");
    run(&o, &truncated, &[], "truncated or corrupt");
    run(&empty, &e, &[], "zero-size image");
    run(&zero, &e, &[], "zero-size image");
    run(&o, &e, &["--color", "plaid"], "unknown colour \"plaid\"");
    run(&o, &e, &["--color", "#12345g"], "unknown colour");
    run(&o, &tall, &[], "aspect ratios more than 2:1 apart");
    run(
        &o,
        &e,
        &["--seed", "900,10"],
        "outside the 451x300 original",
    );
    run(&o, &e, &["--threshold", "999"], "threshold");
    assert_fails(
        &["mask", "--original", &o, "--edited", &e],
        "required arguments were not provided: --out",
    );
    assert_fails(&["paint"], "unrecognized subcommand 'paint'");
    assert_fails(&["segment"], "not provided: --image");
    assert_fails(
        &mask_args(&o, &e, out, &["--backend", "tpu"]),
        "expected auto, gpu or cpu",
    );
    assert_fails(
        &mask_args(&o, &e, "/no/such/dir/m.png", &["--backend", "cpu"]),
        "cannot write",
    );
}

#[test]
fn the_default_backend_is_a_real_gpu_and_the_cpu_path_over_an_emulated_one() {
    let dir = scratch("cli", "gpu");
    let (o, e, _, color) = case_on_disk(&dir);
    let mask = dir.join("mask.png");
    let (code, forced, err) = editseg(&mask_args(
        path(&o),
        path(&e),
        path(&mask),
        &["--color", &color, "--backend", "gpu"],
    ));
    assert_eq!(code, 0, "{err}");
    assert!(forced.contains("backend gpu"), "{forced} {err}");
    assert!(
        forced.contains("dispatches") && forced.contains("readbacks"),
        "{forced}"
    );
    let (code, out, err) = editseg(&mask_args(
        path(&o),
        path(&e),
        path(&mask),
        &["--color", &color],
    ));
    assert_eq!(code, 0, "{err}");
    // Mesa's lavapipe (the adapter on machines without a GPU) is a CPU device.
    if forced.contains("Cpu)") {
        assert!(out.contains("backend cpu"), "{out}");
        assert!(
            err.contains("using the CPU path (the only GPU adapter, ")
                && err.contains("is a CPU emulating a GPU"),
            "{err}"
        );
    } else {
        assert!(out.contains("backend gpu"), "{out} {err}");
    }
}

#[test]
fn without_an_adapter_the_cpu_path_is_used_and_said() {
    let dir = scratch("cli", "nogpu");
    let (o, e, _, _) = case_on_disk(&dir);
    let mask = dir.join("mask.png");
    // Point the Vulkan loader at no drivers, so no adapter exists.
    let out = Command::new(env!("CARGO_BIN_EXE_editseg"))
        .args(mask_args(path(&o), path(&e), path(&mask), &[]))
        .env("VK_ICD_FILENAMES", "/nonexistent.json")
        .env("VK_DRIVER_FILES", "/nonexistent.json")
        .env("WGPU_BACKEND", "vulkan")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("using the CPU path"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("backend cpu"));
}

#[test]
fn a_batch_list_masks_every_pair_and_names_the_lines_that_fail() {
    let dir = scratch("cli", "batch");
    let (o, e, truth, color) = case_on_disk(&dir);
    let list = dir.join("pairs.tsv");
    // Relative paths are read from the list's folder; the second pair's edit does not exist.
    std::fs::write(
        &list,
        format!(
            "# original\tedited\tout\tcolour\n{}\t{}\tfirst.png\t{color}\n\n{}\tmissing.jpg\tsecond.png\n{}\t{}\tthird.png\n",
            path(&o),
            e.file_name().unwrap().to_str().unwrap(),
            path(&o),
            path(&o),
            path(&e),
        ),
    )
    .unwrap();
    let (code, out, err) = editseg(&["mask", "--batch", path(&list), "--backend", "cpu"]);
    assert_ne!(code, 0, "a failed pair fails the command: {out}");
    assert!(out.contains("2 masks written, 1 failed"), "{out}");
    assert!(
        err.contains("pairs.tsv line 4") && err.contains("missing.jpg"),
        "the failing line and file are named: {err}"
    );
    for name in ["first.png", "third.png"] {
        let m = image::open(dir.join(name)).unwrap().to_luma8();
        let (i, u) = editseg::metrics::overlap(&m, &truth);
        assert!(
            i as f64 / u as f64 > 0.9,
            "{name}: IoU {}",
            i as f64 / u as f64
        );
    }
    assert!(!dir.join("second.png").exists());

    std::fs::write(&list, format!("{}\t{}\n", path(&o), path(&e))).unwrap();
    assert_fails(
        &["mask", "--batch", path(&list)],
        "pairs.tsv line 1: expected original, edited, out",
    );
    std::fs::write(
        &list,
        format!("{}\t{}\tx.png\tmauve-ish\n", path(&o), path(&e)),
    )
    .unwrap();
    assert_fails(&["mask", "--batch", path(&list)], "line 1: unknown colour");
    assert_fails(
        &["mask", "--batch", path(&list), "--out", "x.png"],
        "cannot be used with",
    );
}

/// `eval-painter --edits` scores an end-to-end generator's general edits (the experiment's
/// second claim: the committed prior carries them out well above an untrained network's
/// ~10 dB inside the named region), and refuses the object painter's weights, the nontarget
/// split and an unknown diff by name.
#[test]
fn eval_painter_edits_scores_a_generators_edits_and_refuses_the_painter() {
    let prior =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("training/experiment/prior/generator.bpk");
    let args = |split: &'static str| {
        vec![
            "eval-painter",
            "--edits",
            "--weights",
            path(&prior),
            "--split",
            split,
            "--count",
            "16",
        ]
    };
    let (code, out, err) = editseg(&args("val"));
    assert_eq!(code, 0, "{err}");
    let row = out
        .lines()
        .find(|l| l.starts_with("| val | 16 |"))
        .unwrap_or_else(|| panic!("no row for val in {out:?}"));
    let psnr: Vec<f64> = row
        .split('|')
        .skip(3)
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    assert_eq!(psnr.len(), 2, "{row}");
    assert!(psnr.iter().all(|p| (18.0..60.0).contains(p)), "{row}");
    assert_fails(
        &["eval-painter", "--edits", "--split", "val", "--count", "4"],
        "end-to-end generator",
    );
    assert_fails(&args("nontarget"), "nontarget");
    assert_fails(
        &["eval-painter", "--diff", "opencv", "--split", "val"],
        "expected editseg or ming",
    );
}
