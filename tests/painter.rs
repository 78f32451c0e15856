//! The painter and the end-to-end generator: short trainings lower the loss, checkpoint and
//! resume where they stopped; f16 weights load back to the same edits and carry what they were
//! trained for; the painter says when what an expression names is not in the picture; weights
//! that do not fit and instructions it cannot read are refused with a clear error.

#![cfg(not(target_arch = "wasm32"))]

mod painter_fixture;
mod process;

use burn::prelude::Device;
use editseg::generator::{Generator, GeneratorNet, Trained, Vocabulary};
use editseg::painter::perceive::SceneNet;
use editseg::painter::schema::Schema;
use editseg::painter::segment::{read_instruction, segment, Answer, Reason};
use editseg::painter::{find_in_maps, meaning_of, Drawing, Painter, RES};
use editseg::scenes::{NoTarget, Sample, Split};
use editseg::training::generator::Task;
use editseg::training::perception::dense;
use editseg::training::{self, Event};
use editseg::{BackendChoice, Differ, Error, Options};
use process::scratch;

fn shipped() -> Painter {
    Painter::load(painter_fixture::WEIGHTS, Device::flex()).unwrap()
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

fn generator_config(task: Task, out: &std::path::Path) -> training::generator::Config {
    training::generator::Config {
        task,
        steps: 30,
        stop_at: 20,
        seconds: None,
        batch: 2,
        learning_rate: 4e-3,
        seed: 3,
        init: None,
        out: out.join("out"),
        checkpoint: out.join("checkpoint"),
        eval_every: 10,
        eval_count: 2,
    }
}

/// Every arm of the article's experiment starts, checkpoints, resumes where it stopped and
/// writes weights that load, from scratch and from a prior.
#[test]
fn every_generator_task_starts_resumes_and_writes_loadable_weights() {
    let root = scratch("painter", "generator-tasks");
    let prior = root.join("edits/out/generator.bpk");
    for (name, task, init) in [
        ("edits", Task::Edits, None),
        (
            "paint",
            Task::Segmentation(Drawing::Paint),
            Some(prior.clone()),
        ),
        (
            "mask",
            Task::Segmentation(Drawing::Mask),
            Some(prior.clone()),
        ),
        ("overlay", Task::Segmentation(Drawing::Overlay), None),
        ("edits+paint", Task::EditsAndPaint, None),
    ] {
        let dir = root.join(name);
        let mut config = generator_config(task, &dir);
        config.init = init;
        let losses = losses_of(|report| {
            training::generator::run(&config, &Device::flex().autodiff(), report).map(drop)
        });
        assert_eq!(losses.len(), 2, "{name}: {losses:?}");
        assert!(
            !config.out.join("generator.bpk").exists(),
            "{name}: shipped early"
        );
        let other = training::generator::Config {
            seed: 4,
            ..config.clone()
        };
        let e = training::generator::run(&other, &Device::flex().autodiff(), &mut |_| {})
            .err()
            .unwrap();
        assert!(e.to_string().contains("holds another run"), "{name}: {e}");
        for file in ["model.bpk", "ema.bpk", "optimizer.bpk", "step", "log.csv"] {
            assert!(
                config.checkpoint.join(file).exists(),
                "{name}: {file} missing"
            );
        }
        config.stop_at = 30;
        let mut resumed = None;
        training::generator::run(&config, &Device::flex().autodiff(), &mut |e| {
            if let Event::Resumed { step } = e {
                resumed = Some(step)
            }
        })
        .unwrap();
        assert_eq!(resumed, Some(20), "{name}");
        assert!(
            !config.checkpoint.join("step").exists(),
            "{name}: a finished run leaves its step"
        );
        let log = std::fs::read_to_string(config.out.join("training-log.csv")).unwrap();
        let steps: Vec<&str> = log
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap())
            .collect();
        assert_eq!(steps, ["10", "20", "30"], "{name}: {log}");
        let loaded = Generator::load(
            &std::fs::read(config.out.join("generator.bpk")).unwrap(),
            Device::flex(),
        )
        .unwrap();
        assert_eq!(
            loaded.trained.name(),
            task.name().trim_end_matches("+paint"),
            "{name}"
        );
    }
}

#[test]
fn a_short_generator_training_lowers_the_loss() {
    let dir = scratch("painter", "generator-loss");
    let config = training::generator::Config {
        steps: 40,
        stop_at: 40,
        batch: 4,
        eval_every: 1000,
        ..generator_config(Task::Segmentation(Drawing::Paint), &dir)
    };
    let losses = losses_of(|report| {
        training::generator::run(&config, &Device::flex().autodiff(), report).map(drop)
    });
    assert!(
        losses[3] < 0.9 * losses[0],
        "the loss does not fall: {losses:?}"
    );
}

#[test]
fn the_perception_net_learns_and_resumes_exactly_where_it_stopped() {
    let out = scratch("painter", "train-perception");
    let mut config = training::perception::Config {
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
        training::perception::run(&config, &Device::flex().autodiff(), report).map(drop)
    });
    assert_eq!(losses.len(), 2, "{losses:?}");
    assert!(losses[1] < losses[0], "the loss does not fall: {losses:?}");
    let ema_before = std::fs::read(config.checkpoint.join("ema.bpk")).unwrap();
    config.stop_at = 30;
    let mut resumed = None;
    training::perception::run(&config, &Device::flex().autodiff(), &mut |e| {
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
    Painter::load(
        &std::fs::read(config.out.join("painter.bpk")).unwrap(),
        Device::flex(),
    )
    .unwrap();
}

#[test]
fn f16_weights_of_either_network_load_back_to_the_same_output() {
    let device = Device::flex();
    let s = Sample::generate(Split::Val, 0, 0);
    let image = s.image(RES, RES);
    let painter = Painter::new(SceneNet::new(&device), device.clone());
    let loaded = Painter::load(&painter.weights().unwrap(), Device::flex()).unwrap();
    let maps = |p: &Painter| pollster::block_on(p.perceive(&[&image])).unwrap().remove(0);
    let worst = maps(&painter)
        .iter()
        .zip(maps(&loaded))
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    // Probabilities and offsets through f16 weights: a few thousandths at most.
    assert!(worst < 0.02, "f16 weights move the maps by {worst}");

    let vocabulary = Vocabulary::builtin();
    let generator = Generator {
        net: GeneratorNet::new(vocabulary.len(), &device),
        vocabulary,
        trained: Trained::Segmentation(Drawing::Mask),
        device,
    };
    let again = Generator::load(&generator.weights().unwrap(), Device::flex()).unwrap();
    assert_eq!(again.trained, Trained::Segmentation(Drawing::Mask));
    let edit = |g: &Generator| {
        g.edit(&[&image], &[&s.instruction], &[[200, 0, 200]])
            .unwrap()
    };
    let (a, b) = (edit(&generator).remove(0), edit(&again).remove(0));
    let moved = a
        .pixels()
        .zip(b.pixels())
        .filter(|(x, y)| x.0.iter().zip(y.0).any(|(p, q)| p.abs_diff(q) > 2))
        .count();
    assert_eq!(moved, 0, "f16 weights change {moved} pixels of the edit");
}

#[test]
fn weights_for_another_world_or_without_a_schema_are_refused_naming_what_differs() {
    let device = Device::flex();
    let net = SceneNet::new(&device);
    let mut other = Schema::perception();
    other.categories.push("zebra".into());
    other.grammar = "refscenes-0".into();
    let bytes = editseg::painter::f16_bytes(&net, &other).unwrap();
    let e = Painter::load(&bytes, Device::flex())
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("another world") && e.contains("zebra") && e.contains("grammar refscenes-0"),
        "{e}"
    );
    let good = Painter::new(net, device).weights().unwrap();
    let e = Painter::load(&good[..good.len() / 2], Device::flex())
        .err()
        .unwrap();
    assert!(matches!(e, Error::Weights(_)), "{e}");
    let e = Painter::load(b"not weights", Device::flex()).err().unwrap();
    assert!(e.to_string().contains("not a burnpack file"), "{e}");
    let e = Generator::load(&good, Device::flex()).err().unwrap();
    assert!(e.to_string().contains("must say what it draws"), "{e}");
}

#[test]
fn the_same_picture_asked_about_again_is_perceived_once() {
    let device = Device::flex();
    let painter = Painter::new(SceneNet::new(&device), device);
    let image = Sample::generate(Split::Val, 3, 0).image(RES, RES);
    let other = Sample::generate(Split::Val, 4, 0).image(RES, RES);
    let seen = |p: &image::RgbaImage| pollster::block_on(painter.perceive_one(p)).unwrap();
    let (first, reused) = seen(&image);
    assert!(!reused);
    let (again, reused) = seen(&image);
    assert!(reused && again == first);
    assert!(!seen(&other).1);
    assert!(!seen(&image).1, "only the last picture is remembered");
}

#[test]
fn instructions_with_unknown_words_or_no_object_are_refused() {
    let e = read_instruction("paint the zebra beside the box purple")
        .err()
        .unwrap();
    assert!(
        e.to_string().contains("unknown words: zebra, beside"),
        "{e}"
    );
    assert!(matches!(read_instruction("   "), Err(Error::Prompt(_))));
    assert!(matches!(read_instruction("segment"), Err(Error::Prompt(_))));
    let ok = read_instruction("Given the following instructions: the big star; please perform referring segmentation on this image with red mask.").unwrap();
    assert_eq!(ok.expression, "the big star");
    // Known words in an order the grammar does not have.
    let e = meaning_of("the red big star").err().unwrap();
    assert!(
        e.to_string()
            .contains("not an expression the painter can read"),
        "{e}"
    );
}

#[test]
fn the_shipped_weights_give_the_recorded_edits_and_find_the_named_objects() {
    let painter = shipped();
    let differ = pollster::block_on(Differ::new(BackendChoice::Cpu)).unwrap();
    let results = pollster::block_on(painter_fixture::run_all(&painter, &differ));
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

/// The painter's edits, soft as a generator's output and brought to the picture's size as
/// `segment --edit-out` saves them, are in the picture's own frame: handed back as edits of
/// one's own, no zoom, turn or crop is fitted to their softened edges.
#[test]
fn the_painters_saved_edits_are_found_in_the_pictures_own_frame() {
    let painter = shipped();
    let differ = pollster::block_on(Differ::new(BackendChoice::Cpu)).unwrap();
    for (i, r) in pollster::block_on(painter_fixture::run_all(&painter, &differ))
        .iter()
        .enumerate()
    {
        let (picture, _, _) = painter_fixture::scene(i as u32);
        let edit = image::imageops::resize(
            &r.painted.edit,
            picture.width(),
            picture.height(),
            image::imageops::FilterType::Triangle,
        );
        let outcome =
            pollster::block_on(differ.mask_from_edit(&picture, &edit, &Options::default()))
                .unwrap();
        let stats = &outcome.stats;
        assert_eq!(
            stats.registration.method,
            editseg::diff::register::Method::Shift,
            "scene {i}: {:?}",
            stats.notes
        );
        assert_eq!(stats.visible_share, 1.0, "scene {i}");
    }
}

/// The program on perfect perception maps: what the painter can reach once its net sees every
/// object right. Near misses are allowed only where an object is mostly hidden.
#[test]
fn the_program_picks_the_named_object_from_perfect_maps() {
    for split in [Split::Val, Split::TestA, Split::TestB] {
        let n = 300;
        let right = (0..n)
            .filter(|&i| {
                let s = Sample::generate(split, i, 0);
                let truth = s.object_mask(s.target, RES, RES);
                find_in_maps(&dense(&s.scene, RES).as_maps(), &s.meaning).is_ok_and(|cover| {
                    let hits = cover
                        .iter()
                        .zip(truth.as_raw())
                        .filter(|(c, t)| **c > 0.0 && **t > 0)
                        .count();
                    2 * hits > cover.iter().filter(|c| **c > 0.0).count()
                })
            })
            .count();
        let share = right as f64 / n as f64;
        eprintln!(
            "{}: the program picks the target in {:.1}% of {n}",
            split.name(),
            100.0 * share
        );
        assert!(share >= 0.98, "{}: {share}", split.name());
    }
}

/// The note for a no-target sample of `kind`, from perfect maps.
fn absence_note(kind: &str) -> (String, String) {
    let s = (0..)
        .map(|i| NoTarget::generate(i, 0))
        .find(|s| s.kind == kind)
        .unwrap();
    let maps = dense(&s.scene, RES).as_maps();
    let meaning = meaning_of(&s.expression).unwrap();
    assert_eq!(meaning, s.meaning, "{}", s.expression);
    let note = find_in_maps(&maps, &meaning)
        .expect_err("nothing fits")
        .note(&s.expression);
    (s.expression, note)
}

#[test]
fn an_absent_category_colour_ordinal_or_anchor_is_said_to_be_absent() {
    let (e, note) = absence_note("category");
    assert!(
        note.starts_with("no ") && note.ends_with(" in this picture"),
        "{e}: {note}"
    );
    let (e, note) = absence_note("colour");
    assert!(
        note.starts_with("no ") && note.ends_with(" in this picture"),
        "{e}: {note}"
    );
    let (e, note) = absence_note("ordinal");
    assert!(
        note.contains("from the") && note.contains("it has"),
        "{e}: {note}"
    );
    // The note names things with the expression's own words.
    let purple = editseg::scenes::COLOURS
        .iter()
        .position(|(n, _)| *n == "purple")
        .unwrap();
    let violet_crescent =
        editseg::painter::program::Absence::Missing(editseg::scenes::refer::Description {
            category: editseg::scenes::Category::Banana,
            colour: Some(purple),
            size: None,
        });
    assert_eq!(
        violet_crescent.note("the violet crescent"),
        "no violet crescent in this picture"
    );
    assert_eq!(
        violet_crescent.note("the purple banana"),
        "no purple banana in this picture"
    );
    let (e, note) = absence_note("anchor");
    assert!(
        note.starts_with("no ") && note.ends_with(" in this picture"),
        "{e}: {note}"
    );
}

#[test]
fn the_shipped_painter_says_most_no_target_expressions_name_nothing() {
    let painter = shipped();
    let r = editseg::training::evaluate::evaluate_no_target(&painter, 200, 0).unwrap();
    eprintln!("N-acc {:.3} {:?}", r.n_acc, r.kinds);
    // Measured 0.98 on 1000 (BENCHMARKS.md); a painter that falls back to the best-fitting
    // object says absent only for ordinals past the count, about a quarter.
    assert!(r.n_acc >= 0.95, "N-acc {:.3}", r.n_acc);
}

#[test]
fn a_paint_the_object_already_has_is_swapped_for_one_that_shows() {
    let painter = shipped();
    let differ = pollster::block_on(Differ::new(BackendChoice::Cpu)).unwrap();
    // A scene whose target has a colour word the paints share: ask for that colour.
    let (sample, name) = (0..)
        .map(|i| Sample::generate(Split::Val, i, 1))
        .find_map(|s| {
            let own = editseg::scenes::COLOURS[s.scene.objects[s.target].colour].0;
            editseg::instruction::PAINTS
                .contains(&own)
                .then_some((s, own))
        })
        .unwrap();
    let picture = sample.image(128, 128);
    let instruction = format!(
        "paint {} {name}",
        sample.expression.trim_end_matches(['.', '!'])
    );
    let answer = pollster::block_on(segment(
        &painter,
        &differ,
        &picture,
        &instruction,
        &Options::default(),
        false,
    ))
    .unwrap();
    let Answer::Found(result) = answer else {
        panic!("{instruction}: not found")
    };
    let asked = editseg::color::parse(name).unwrap();
    assert_ne!(result.painted.paint, asked, "{instruction}");
    let note = result.painted.paint_note.clone().unwrap();
    assert!(note.contains(&format!("already looks {name}")), "{note}");
    assert!(result.outcome.stats.notes.contains(&note));
    assert_eq!(
        result.outcome.stats.paint,
        Some(editseg::color::hex(result.painted.paint))
    );
    let truth = sample.object_mask(sample.target, 128, 128);
    let (i, u) = editseg::metrics::overlap(&result.outcome.mask, &truth);
    assert!(
        i as f64 > 0.5 * u as f64,
        "{instruction}: IoU {}",
        i as f64 / u as f64
    );
}

#[test]
fn segment_on_the_command_line_masks_the_named_object_or_exits_3_saying_it_is_absent() {
    let dir = scratch("painter", "segment-cli");
    let sample = Sample::generate(Split::Val, 3, 7);
    let picture = sample.image(160, 120);
    let image = dir.join("scene.png");
    std::fs::write(&image, editseg::imageio::encode_png_rgba(&picture)).unwrap();
    let out = dir.join("mask.png");
    let stats = dir.join("stats.json");
    let run = |instruction: &str| {
        let _ = std::fs::remove_file(&out);
        process::editseg(&[
            "segment",
            "--image",
            image.to_str().unwrap(),
            "--instruction",
            instruction,
            "--out",
            out.to_str().unwrap(),
            "--stats",
            stats.to_str().unwrap(),
        ])
    };
    let (code, stdout, stderr) = run(&sample.instruction);
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
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    assert_eq!(json["found"], true, "{json}");

    // A category the scene does not have.
    let present: Vec<_> = sample.scene.objects.iter().map(|o| o.category).collect();
    let missing = editseg::scenes::Category::ALL
        .into_iter()
        .find(|c| !present.contains(c))
        .unwrap();
    let instruction = format!("paint the green {} purple", missing.words()[0]);
    let (code, _, stderr) = run(&instruction);
    assert_eq!(code, 3, "{instruction}: {stderr}");
    assert!(
        stderr.contains(&format!("no green {} in this picture", missing.words()[0])),
        "{stderr}"
    );
    assert!(!out.exists(), "a mask was written for an absent object");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    assert_eq!(json["found"], false, "{json}");
    assert_eq!(json["reason"], "absent", "{json}");
    assert!(
        json["note"].as_str().unwrap().starts_with("no green"),
        "{json}"
    );
    let (code, _, stderr) = run("paint the red big star blue");
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("not an expression the painter can read"),
        "{stderr}"
    );
}

#[test]
fn not_found_answers_carry_a_machine_readable_reason() {
    let json = serde_json::to_value(editseg::painter::segment::NotFound {
        reason: Reason::Absent,
        note: "no green star in this picture".into(),
        scene_likeness: 0.95,
    })
    .unwrap();
    assert_eq!(json["reason"], "absent");
    assert!(json["sceneLikeness"].as_f64().is_some(), "{json}");
    assert_eq!(
        serde_json::to_value(Reason::NotAScene).unwrap(),
        "not_a_scene"
    );
}

#[test]
fn a_photo_is_said_not_to_be_a_scene_before_its_words_are_read_unless_forced() {
    let dir = scratch("painter", "not-a-scene");
    let photo = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/photos/coffee.png");
    let out = dir.join("mask.png");
    let stats = dir.join("stats.json");
    let run = |instruction: &str, force: bool| {
        let _ = std::fs::remove_file(&out);
        let mut args = vec![
            "segment",
            "--image",
            photo,
            "--instruction",
            instruction,
            "--out",
            out.to_str().unwrap(),
            "--stats",
            stats.to_str().unwrap(),
        ];
        if force {
            args.push("--force");
        }
        process::editseg(&args)
    };
    // "zebra" is no RefScenes word: the picture is judged first.
    for instruction in ["paint the cup purple", "paint the zebra purple"] {
        let (code, _, stderr) = run(instruction, false);
        assert_eq!(code, 3, "{instruction}: {stderr}");
        assert!(
            stderr.contains("does not look like a RefScenes scene")
                && stderr.contains("use an image editor (--editor)"),
            "{stderr}"
        );
        assert!(!out.exists(), "a mask was written for a photo");
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
        assert_eq!(json["reason"], "not_a_scene", "{json}");
        let likeness = json["sceneLikeness"].as_f64().unwrap();
        assert!(
            likeness < editseg::painter::segment::SCENE_LIKENESS_MIN as f64,
            "{json}"
        );
    }
    let (code, _, stderr) = run("paint the cup purple", true);
    assert_eq!(code, 0, "--force: {stderr}");
    assert!(out.exists());
}

#[test]
fn scenes_of_every_background_look_like_scenes_and_the_test_photos_do_not() {
    use editseg::painter::scene_likeness;
    use editseg::painter::segment::SCENE_LIKENESS_MIN;
    let painter = shipped();
    let look = |picture: &image::RgbaImage| {
        let small =
            image::imageops::resize(picture, RES, RES, image::imageops::FilterType::Triangle);
        let maps = pollster::block_on(painter.perceive(&[&small]))
            .unwrap()
            .remove(0);
        scene_likeness(&small, &maps)
    };
    let mut kinds = std::collections::BTreeMap::new();
    for i in 0..60 {
        let s = Sample::generate(Split::Val, i, 5);
        let kind = std::mem::discriminant(&s.scene.background);
        let score = look(&s.image(96, 96));
        assert!(score >= SCENE_LIKENESS_MIN, "val {i} (seed 5): {score}");
        *kinds.entry(format!("{kind:?}")).or_insert(0) += 1;
    }
    assert_eq!(kinds.len(), 4, "every background kind: {kinds:?}");
    for name in ["astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg"] {
        let path = format!("{}/tests/photos/{name}", env!("CARGO_MANIFEST_DIR"));
        let photo = editseg::imageio::read(std::path::Path::new(&path)).unwrap();
        let score = look(&photo);
        assert!(score < SCENE_LIKENESS_MIN, "{name}: {score}");
        let grey = image::DynamicImage::ImageRgba8(photo)
            .grayscale()
            .to_rgba8();
        assert!(look(&grey) < SCENE_LIKENESS_MIN, "{name} in grey");
    }
}
