//! The painter: a short training lowers the loss and leaves weights, vocabulary, log and a
//! checkpoint that a resumed run continues from; f16 weights load back to the same outputs;
//! weights that do not fit and instructions it cannot read are refused with a clear error.

#![cfg(not(target_arch = "wasm32"))]

mod painter_fixture;
mod process;

use burn::prelude::Device;
use editseg::painter::model::PainterNet;
use editseg::painter::perceive::SceneNet;
use editseg::painter::segment::read_instruction;
use editseg::painter::train::{self, Config, Event, ObjectsConfig};
use editseg::painter::{Net, Painter, Target, Vocabulary, RES};
use editseg::scenes::{Sample, Split};
use editseg::{BackendChoice, Error, Segmenter};
use process::scratch;

fn fresh_painter() -> Painter {
    let vocabulary = Vocabulary::builtin();
    let device = Device::flex();
    Painter::new(
        Net::EndToEnd(PainterNet::new(vocabulary.len(), &device)),
        vocabulary,
        device,
    )
}

/// The losses a training run reports.
fn losses_of(run: impl FnOnce(&mut dyn FnMut(Event)) -> editseg::Result<()>) -> Vec<f64> {
    let mut losses = Vec::new();
    run(&mut |e| {
        if let Event::Step { loss, .. } = e {
            losses.push(loss)
        }
    })
    .unwrap();
    losses
}

#[test]
fn a_short_training_lowers_the_loss_and_a_resumed_run_continues() {
    let out = scratch("painter", "train");
    let mut config = Config {
        target: Target::Paint,
        steps: 40,
        batch: 4,
        learning_rate: 4e-3,
        seed: 3,
        out: out.clone(),
        resume: false,
        eval_every: 1000,
        eval_count: 4,
    };
    let losses =
        losses_of(|report| train::run(&config, &Device::flex().autodiff(), report).map(drop));
    assert_eq!(losses.len(), 4, "{losses:?}");
    assert!(
        losses[3] < 0.9 * losses[0],
        "the loss does not fall: {losses:?}"
    );
    for file in [
        "painter.bpk",
        "vocab.txt",
        "log.csv",
        "checkpoint/model.bpk",
        "checkpoint/step",
    ] {
        assert!(out.join(file).exists(), "{file} missing");
    }
    let log = std::fs::read_to_string(out.join("log.csv")).unwrap();
    assert!(
        log.lines().nth(1).is_some_and(|l| l.starts_with("40,")),
        "{log}"
    );

    (config.steps, config.resume) = (50, true);
    let mut resumed = None;
    train::run(&config, &Device::flex().autodiff(), &mut |e| {
        if let Event::Resumed { step } = e {
            resumed = Some(step)
        }
    })
    .unwrap();
    assert_eq!(resumed, Some(40));
}

#[test]
fn the_object_recipe_learns_and_resumes_exactly_where_it_stopped() {
    let out = scratch("painter", "train-objects");
    let mut config = ObjectsConfig {
        steps: 30,
        stop_at: 20,
        batch: 4,
        learning_rate: 4e-3,
        seed: 3,
        out: out.join("out"),
        checkpoint: out.join("checkpoint"),
        eval_every: 10,
        eval_count: 4,
        seconds: None,
    };
    let losses = losses_of(|report| {
        train::run_objects(&config, &Device::flex().autodiff(), report).map(drop)
    });
    assert_eq!(losses.len(), 2, "{losses:?}");
    assert!(losses[1] < losses[0], "the loss does not fall: {losses:?}");
    for file in ["model.bpk", "ema.bpk", "optimizer.bpk", "step", "log.csv"] {
        assert!(config.checkpoint.join(file).exists(), "{file} missing");
    }
    let ema_before = std::fs::read(config.checkpoint.join("ema.bpk")).unwrap();
    config.stop_at = 30;
    let mut resumed = None;
    let painter = train::run_objects(&config, &Device::flex().autodiff(), &mut |e| {
        if let Event::Resumed { step } = e {
            resumed = Some(step)
        }
    })
    .unwrap();
    assert_eq!(resumed, Some(20));
    assert_ne!(
        ema_before,
        std::fs::read(config.checkpoint.join("ema.bpk")).unwrap()
    );
    let log = std::fs::read_to_string(config.checkpoint.join("log.csv")).unwrap();
    let steps: Vec<&str> = log
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(steps, ["10", "20", "30"], "{log}");
    assert!(matches!(painter.net, Net::Objects(_)));
    let shipped = Painter::load(
        &std::fs::read(config.out.join("painter.bpk")).unwrap(),
        Vocabulary::builtin(),
        Device::flex(),
    )
    .unwrap();
    assert!(matches!(shipped.net, Net::Objects(_)));
}

#[test]
fn f16_weights_of_either_network_load_back_to_the_same_edits() {
    let device = Device::flex();
    let s = Sample::generate(Split::Val, 0, 0);
    let image = s.image(RES, RES);
    let edit = |p: &Painter| {
        pollster::block_on(p.paint(&[&image], &[&s.expression], &[[200, 0, 200]]))
            .unwrap()
            .remove(0)
    };
    let objects = Painter::new(
        Net::Objects(SceneNet::new(&device)),
        Vocabulary::builtin(),
        device,
    );
    for painter in [objects, fresh_painter()] {
        let loaded = Painter::load(
            &painter.weights().unwrap(),
            Vocabulary::builtin(),
            Device::flex(),
        )
        .unwrap();
        assert_eq!(
            std::mem::discriminant(&loaded.net),
            std::mem::discriminant(&painter.net)
        );
        let (a, b) = (edit(&painter), edit(&loaded));
        assert_eq!(a.dimensions(), (RES, RES));
        let differing = a
            .pixels()
            .zip(b.pixels())
            .filter(|(x, y)| x.0.iter().zip(y.0).any(|(p, q)| p.abs_diff(q) > 2))
            .count();
        // The object net's classes: a pixel whose class is a near tie may fall either way after
        // rounding to f16. The end-to-end net's colours move by a level or two at most.
        let allowed = if matches!(painter.net, Net::Objects(_)) {
            40
        } else {
            0
        };
        assert!(
            differing <= allowed,
            "f16 weights change {differing} pixels of the edit"
        );
    }
}

#[test]
fn the_same_painting_asked_again_is_remembered_and_any_other_is_painted_anew() {
    let device = Device::flex();
    let painter = Painter::new(
        Net::Objects(SceneNet::new(&device)),
        Vocabulary::builtin(),
        device,
    );
    let s = Sample::generate(Split::Val, 3, 0);
    let image = s.image(RES, RES);
    let other_image = Sample::generate(Split::Val, 4, 0).image(RES, RES);
    let paint = |image: &image::RgbaImage, expression: &str, colour: [u8; 3], target: Target| {
        pollster::block_on(painter.paint_one(image, expression, colour, target)).unwrap()
    };
    let (first, reused) = paint(&image, &s.expression, [200, 0, 200], Target::Paint);
    assert!(!reused);
    let (again, reused) = paint(&image, &s.expression, [200, 0, 200], Target::Paint);
    assert!(reused && again == first);
    for (image, expression, colour, target) in [
        (&image, s.expression.as_str(), [0, 200, 0], Target::Paint),
        (&image, "the big ball", [0, 200, 0], Target::Paint),
        (&image, "the big ball", [0, 200, 0], Target::Mask),
        (&other_image, "the big ball", [0, 200, 0], Target::Mask),
    ] {
        assert!(
            !paint(image, expression, colour, target).1,
            "{expression} {colour:?} {target:?}"
        );
    }
}

#[test]
fn weights_that_do_not_fit_are_refused_with_a_clear_error() {
    let bytes = fresh_painter().weights().unwrap();
    let truncated = Painter::load(
        &bytes[..bytes.len() / 2],
        Vocabulary::builtin(),
        Device::flex(),
    );
    assert!(
        matches!(&truncated, Err(Error::Weights(_))),
        "{:?}",
        truncated.err()
    );
    let other = Vocabulary::parse("<pad>\n<unk>\nball\nstar\n").unwrap();
    let misfit = Painter::load(&bytes, other, Device::flex())
        .err()
        .expect("a smaller vocabulary does not fit");
    assert!(
        misfit.to_string().contains("do not fit") && misfit.to_string().contains("embed.weight"),
        "{misfit}"
    );
    assert!(matches!(
        Painter::load(b"not weights", Vocabulary::builtin(), Device::flex()),
        Err(Error::Weights(_))
    ));
    assert!(matches!(
        Vocabulary::parse("ball\nstar\n"),
        Err(Error::Weights(_))
    ));
}

#[test]
fn instructions_with_unknown_words_or_no_object_are_refused() {
    let painter = fresh_painter();
    let e = read_instruction(&painter, "paint the zebra beside the box purple")
        .err()
        .unwrap();
    assert!(
        e.to_string().contains("unknown words: zebra, beside"),
        "{e}"
    );
    assert!(matches!(
        read_instruction(&painter, "   "),
        Err(Error::Prompt(_))
    ));
    assert!(matches!(
        read_instruction(&painter, "segment"),
        Err(Error::Prompt(_))
    ));
    let ok = read_instruction(&painter, "Given the following instructions: the big star; please perform referring segmentation on this image with red mask.").unwrap();
    assert_eq!(ok.expression, "the big star");
}

#[test]
fn the_shipped_weights_give_the_recorded_edits_and_find_the_named_objects() {
    let painter = Painter::load(
        painter_fixture::WEIGHTS,
        painter_fixture::vocabulary(),
        Device::flex(),
    )
    .unwrap();
    let segmenter = pollster::block_on(Segmenter::new(BackendChoice::Cpu)).unwrap();
    let results = pollster::block_on(painter_fixture::run_all(&painter, &segmenter));
    if std::env::var_os("EDITSEG_RECORD").is_some() {
        painter_fixture::record(&results);
    }
    let (worst, share, iou) = painter_fixture::compare(&results);
    assert!(
        share <= painter_fixture::EDIT_SHARE && iou >= painter_fixture::MASK_IOU,
        "the recording is stale (edits differ by up to {worst} levels in {:.2}% of channels, masks overlap {iou:.3}): record again",
        100.0 * share
    );
    let mean = painter_fixture::mean_iou(&results);
    eprintln!("the shipped weights' mean IoU on the fixture scenes: {mean:.3}");
    assert!(
        mean >= painter_fixture::MEAN_IOU,
        "the shipped weights find the named objects with a mean IoU of only {mean:.3}"
    );
}

/// The program on perfect perception maps: what the object recipe can reach once its net sees
/// every object right. Near misses are allowed only where an object is mostly hidden.
#[test]
fn the_program_picks_the_named_object_from_perfect_maps() {
    use editseg::painter::perceive::dense;
    use editseg::painter::program::{detect, pick, Maps};
    for split in [Split::Val, Split::TestA, Split::TestB] {
        let mut right = 0;
        let n = 300;
        for i in 0..n {
            let s = Sample::generate(split, i, 0);
            let d = dense(&s, RES);
            let values = d.as_maps();
            let found = detect(&Maps {
                values: &values,
                side: RES as usize,
            });
            let truth = s.object_mask(s.target, RES, RES);
            if let Some(k) = pick(&found, &s.meaning) {
                let hits = found[k]
                    .pixels
                    .iter()
                    .filter(|&&p| truth.as_raw()[p] > 0)
                    .count();
                if 2 * hits > found[k].pixels.len() {
                    right += 1;
                }
            }
        }
        let share = right as f64 / n as f64;
        eprintln!(
            "{}: the program picks the target in {:.1}% of {n}",
            split.name(),
            100.0 * share
        );
        assert!(share >= 0.95, "{}: {share}", split.name());
    }
}

#[test]
fn segment_on_the_command_line_masks_the_named_object_at_the_pictures_size_or_says_it_found_none() {
    let dir = scratch("painter", "segment-cli");
    let sample = Sample::generate(Split::Val, 3, 7);
    let picture = sample.image(160, 120);
    let image = dir.join("scene.png");
    std::fs::write(&image, editseg::imageio::encode_png_rgba(&picture)).unwrap();
    let out = dir.join("mask.png");
    let (code, stdout, stderr) = process::editseg(&[
        "segment",
        "--image",
        image.to_str().unwrap(),
        "--instruction",
        &sample.instruction,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("mask 160x120"), "{stdout}");
    let mask = image::open(&out).unwrap().to_luma8();
    let truth = sample.object_mask(sample.target, 160, 120);
    let (i, u) = editseg::metrics::overlap(&mask, &truth);
    assert!(
        i as f64 > 0.5 * u as f64,
        "IoU {:.2} for {:?}",
        i as f64 / u as f64,
        sample.instruction
    );

    let plain = dir.join("plain.png");
    std::fs::write(
        &plain,
        editseg::imageio::encode_png_rgba(&image::RgbaImage::from_pixel(
            40,
            30,
            image::Rgba([90, 90, 90, 255]),
        )),
    )
    .unwrap();
    let (code, _, stderr) = process::editseg(&[
        "segment",
        "--image",
        plain.to_str().unwrap(),
        "--instruction",
        "paint the red star blue",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("found no object"), "{stderr}");
}
