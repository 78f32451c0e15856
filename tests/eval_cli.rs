//! `editseg eval` on the RefCOCO-format fixtures: mask predictions and edited images, missing
//! predictions, the JSON report, and clear errors for broken inputs.

#![cfg(not(target_arch = "wasm32"))]

mod process;

use editseg::color::Style;
use editseg::refcoco::Dataset;
use process::{editseg, scratch};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/refcoco")
}

fn json_number(json: &str, path: &[&str]) -> f64 {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    path.iter()
        .fold(&v, |v, k| &v[k])
        .as_f64()
        .unwrap_or_else(|| panic!("{path:?} in {json}"))
}

/// `editseg eval --data DATA --pred PRED` with `extra` flags.
fn eval(data: &Path, pred: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "eval",
        "--data",
        data.to_str().unwrap(),
        "--pred",
        pred.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    editseg(&args)
}

#[test]
fn mask_predictions_are_scored_per_split_with_missing_ones_listed() {
    let data = Dataset::open(&fixtures()).unwrap();
    let pred = scratch("eval", "masks");
    // Every sentence predicted perfectly, except: 1000 missing, 1001 an empty mask.
    for r in &data.refs {
        let truth = data.mask(r);
        for s in &r.sentences {
            match s.sent_id {
                1000 => {}
                1001 => image::GrayImage::new(truth.width(), truth.height())
                    .save(pred.join("1001.png"))
                    .unwrap(),
                id => truth.save(pred.join(format!("{id}.png"))).unwrap(),
            }
        }
    }
    let json = pred.join("report.json");
    let (code, out, err) = editseg(&[
        "eval",
        "--data",
        fixtures().to_str().unwrap(),
        "--pred",
        pred.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("| overall | 50 |"), "{out}");
    assert!(
        err.contains("1 predictions missing") && err.contains("[1000]"),
        "{err}"
    );
    let report = std::fs::read_to_string(&json).unwrap();
    assert!(
        (json_number(&report, &["overall", "giou"]) - 48.0 / 50.0).abs() < 1e-6,
        "{report}"
    );
    assert_eq!(json_number(&report, &["overall", "count"]), 50.0);
    assert_eq!(json_number(&report, &["splits", "testB", "ciou"]), 1.0);
    assert!(json_number(&report, &["splits", "val", "prec", "0.9"]) < 1.0);
    let v: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(v["missing"], serde_json::json!([1000]));
}

#[test]
fn edited_images_from_any_editor_go_through_the_diff_first() {
    let data = Dataset::open(&fixtures()).unwrap();
    let pred = scratch("eval", "edits");
    // An editor painted the referred object purple (as an overlay) for the first three refs of
    // the largest image, some of whose objects cover most of it.
    let mut painted = 0;
    for r in data.refs.iter().filter(|r| r.image_id == 3).take(3) {
        let original = image::open(data.image_path(r).unwrap()).unwrap().to_rgba8();
        let cover: Vec<f32> = data
            .mask(r)
            .pixels()
            .map(|p| if p.0[0] > 0 { 1.0 } else { 0.0 })
            .collect();
        let edited = editseg::color::recolour(&original, &cover, [140, 40, 200], Style::Overlay);
        edited
            .save(pred.join(format!("{}.png", r.sentences[0].sent_id)))
            .unwrap();
        painted += 1;
    }
    let json = pred.join("report.json");
    let (code, _, err) = editseg(&[
        "eval",
        "--data",
        fixtures().to_str().unwrap(),
        "--pred",
        pred.to_str().unwrap(),
        "--edits",
        "--color",
        "purple",
        "--backend",
        "cpu",
        "--json",
        json.to_str().unwrap(),
        "--min-area",
        "0",
        "--open",
        "0",
        "--close",
        "0",
    ]);
    assert_eq!(code, 0, "{err}");
    let report = std::fs::read_to_string(&json).unwrap();
    let v: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(v["missing"].as_array().unwrap().len(), 50 - painted);
    // Every painted sample is found (IoU >= 0.5; these objects are a few hundred pixels of random
    // noise); the gIoU over all 50 counts the missing ones as misses.
    assert_eq!(
        json_number(&report, &["overall", "prec", "0.5"]),
        painted as f64 / 50.0,
        "{report}"
    );
    // Each painted sample on its own (measured 0.956, 0.955 and 0.500): the two objects of
    // ordinary size closely, the third (it covers most of the picture) at half.
    let mut answered: Vec<f64> = v["samples"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["missing"] == false)
        .map(|s| s["intersection"].as_f64().unwrap() / s["union"].as_f64().unwrap().max(1.0))
        .collect();
    answered.sort_by(|a, b| b.total_cmp(a));
    // Painted, not redrawn: none is counted as redrawn (tests/quality.rs has a redrawn one).
    assert_eq!(v["redrawn"], serde_json::json!([]), "{report}");
    assert_eq!(answered.len(), painted, "{report}");
    assert!(
        answered[0] >= 0.94 && answered[1] >= 0.94 && answered[2] >= 0.45,
        "{answered:?}"
    );
}

fn broken_data(name: &str, change: impl Fn(&Path)) -> PathBuf {
    let dir = scratch("eval", name);
    for f in ["refs(unc).p", "instances.json"] {
        std::fs::copy(fixtures().join(f), dir.join(f)).unwrap();
    }
    std::fs::create_dir_all(dir.join("images")).unwrap();
    for f in ["scene1.png", "scene2.png", "scene3.png"] {
        std::fs::copy(
            fixtures().join("images").join(f),
            dir.join("images").join(f),
        )
        .unwrap();
    }
    change(&dir);
    dir
}

#[test]
fn broken_data_and_predictions_fail_with_a_line_naming_the_file() {
    let pred = scratch("eval", "bad-pred");
    let fail = |data: &Path, extra: &[&str], needle: &str| {
        let (code, _, err) = eval(data, &pred, extra);
        assert_ne!(code, 0);
        assert!(err.contains(needle), "{err} should mention {needle}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    };
    fail(
        &broken_data("no-refs", |d| {
            std::fs::remove_file(d.join("refs(unc).p")).unwrap()
        }),
        &[],
        "refs(unc).p: file not found",
    );
    fail(
        &broken_data("bad-json", |d| {
            std::fs::write(d.join("instances.json"), "{oops").unwrap()
        }),
        &[],
        "instances.json: not valid JSON",
    );
    image::RgbaImage::new(5, 5)
        .save(pred.join("1000.png"))
        .unwrap();
    let no_image = broken_data("no-image", |d| {
        std::fs::remove_file(d.join("images/scene1.png")).unwrap()
    });
    fail(
        &no_image,
        &["--edits", "--backend", "cpu"],
        "scene1.png: file not found",
    );
    fail(
        &broken_data("size", |_| {}),
        &[],
        "1000.png is 5x5, its image is 40x30",
    );
}

#[test]
fn keep_going_scores_the_rest_and_lists_what_it_skipped() {
    let data = Dataset::open(&fixtures()).unwrap();
    let pred = scratch("eval", "keep-going");
    for r in &data.refs {
        for s in &r.sentences {
            data.mask(r)
                .save(pred.join(format!("{}.png", s.sent_id)))
                .unwrap();
        }
    }
    // 1000 is corrupt, 1001 has the wrong size, 999999 is no sentence's.
    std::fs::write(pred.join("1000.png"), b"\x89PNG\r\n\x1a\n broken").unwrap();
    image::GrayImage::new(7, 7)
        .save(pred.join("1001.png"))
        .unwrap();
    image::GrayImage::new(40, 30)
        .save(pred.join("999999.png"))
        .unwrap();
    let run = |data: &Path, extra: &[&str]| eval(data, &pred, extra);
    let (code, _, err) = run(&fixtures(), &[]);
    assert_ne!(code, 0);
    assert!(
        err.contains("999999.png: no sentence of the data has this id"),
        "{err}"
    );
    std::fs::remove_file(pred.join("999999.png")).unwrap();
    let (code, _, err) = run(&fixtures(), &[]);
    assert_ne!(code, 0);
    assert!(
        err.contains("1000.png") || err.contains("1001.png"),
        "{err}"
    );
    image::GrayImage::new(40, 30)
        .save(pred.join("999999.png"))
        .unwrap();

    let (code, out, err) = run(&fixtures(), &["--keep-going"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("| overall | 48 |"),
        "the other 48 are scored: {out}"
    );
    assert!(err.contains("3 skipped"), "{err}");
    assert!(
        err.contains("999999.png: no sentence of the data has this id"),
        "{err}"
    );
    assert!(
        err.contains("sentence 1000: ") && err.contains("truncated or corrupt"),
        "{err}"
    );
    assert!(
        err.contains("sentence 1001: ") && err.contains("is 7x7, its image is"),
        "{err}"
    );

    // An annotation with an empty segmentation is named by its ids.
    let empty = broken_data("empty-segmentation", |d| {
        let path = d.join("instances.json");
        let mut json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        json["annotations"][0]["segmentation"] = serde_json::json!([]);
        std::fs::write(&path, json.to_string()).unwrap();
    });
    std::fs::remove_file(pred.join("999999.png")).unwrap();
    let (code, _, err) = run(&empty, &[]);
    assert_ne!(code, 0);
    assert!(
        err.contains(
            "instances.json: annotation 10 (ref 0, sentence 1000) has an empty segmentation"
        ),
        "{err}"
    );
    let (code, out, err) = run(&empty, &["--keep-going"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("| overall | 48 |"), "{out}");
    assert!(
        err.contains("sentence 1001: ") && err.contains("empty segmentation"),
        "{err}"
    );
}

#[test]
fn the_report_holds_the_scores_of_the_json_plots_and_galleries_and_two_runs_compare() {
    let data = Dataset::open(&fixtures()).unwrap();
    let (good, bad) = (
        scratch("eval", "report-good"),
        scratch("eval", "report-bad"),
    );
    // One editor right everywhere but on 1000 (empty); the other empty on every val sentence.
    for r in &data.refs {
        let truth = data.mask(r);
        let empty = image::GrayImage::new(truth.width(), truth.height());
        for s in &r.sentences {
            let name = format!("{}.png", s.sent_id);
            (if s.sent_id == 1000 { &empty } else { &truth })
                .save(good.join(&name))
                .unwrap();
            (if r.split == "val" { &empty } else { &truth })
                .save(bad.join(&name))
                .unwrap();
        }
    }
    for pred in [&good, &bad] {
        let (code, out, err) = eval(
            &fixtures(),
            pred,
            &[
                "--json",
                pred.join("report.json").to_str().unwrap(),
                "--report",
                pred.join("report.html").to_str().unwrap(),
                "--gallery",
                "3",
            ],
        );
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("report written to"), "{out}");
    }
    let html = std::fs::read_to_string(good.join("report.html")).unwrap();
    let json = std::fs::read_to_string(good.join("report.json")).unwrap();
    let overall = format!(
        "<tr><td>overall</td><td>50</td><td>{:.2}</td><td>{:.2}</td>",
        100.0 * json_number(&json, &["overall", "ciou"]),
        100.0 * json_number(&json, &["overall", "giou"])
    );
    assert!(html.contains(&overall), "{overall} not in the report");
    assert_eq!(
        html.matches("<svg").count(),
        2,
        "the precision plot and the IoU histogram"
    );
    assert_eq!(
        html.matches("class=\"card\"").count(),
        6,
        "three worst and three random"
    );
    assert_eq!(
        html.matches("src=\"data:image/png;base64,").count(),
        18,
        "three pictures a card"
    );
    assert!(
        html.contains("data-sent=\"1000\""),
        "the empty prediction is among the worst"
    );
    // (SVG's namespace URI is a name, not a fetch.)
    for fetch in ["src=\"http", "href=\"http", "url(http", "<link", "<script"] {
        assert!(!html.contains(fetch), "nothing from the network: {fetch}");
    }

    let compared = scratch("eval", "report-compare").join("compare.html");
    let (code, _, err) = editseg(&[
        "eval",
        "--compare",
        good.join("report.json").to_str().unwrap(),
        bad.join("report.json").to_str().unwrap(),
        "--report",
        compared.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(&compared).unwrap();
    assert!(
        html.contains("report-good · overall") && html.contains("report-bad · overall"),
        "both named"
    );
    assert_eq!(html.matches("<svg").count(), 2);
    assert!(html.contains("<table id=\"differ\">"));
    let (code, _, err) = editseg(&[
        "eval",
        "--compare",
        good.join("report.html").to_str().unwrap(),
        bad.join("report.json").to_str().unwrap(),
        "--report",
        compared.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("report.html: not valid JSON"), "{err}");
}
