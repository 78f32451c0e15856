//! RefScenes: samples are reproducible from their seed, every expression names exactly its
//! target (read back through the grammar and resolved against the scene), the splits hold what
//! they promise, instructions parse back, and an exported dataset reads back with the same masks.

#![cfg(not(target_arch = "wasm32"))]

mod process;

use editseg::instruction::{parse as parse_instruction, tokens};
use editseg::refcoco::Dataset;
use editseg::scenes::language::{understand, unknown_words};
use editseg::scenes::refer::{self, Meaning};
use editseg::scenes::{draw, Background, Category, Sample, Split, Texture, COLOURS};
use editseg::Error;
use process::{editseg, scratch};
use std::collections::HashSet;

#[test]
fn the_same_seed_gives_the_same_sample_byte_for_byte() {
    for split in Split::ALL {
        for i in [0, 1, 77] {
            let (a, b) = (Sample::generate(split, i, 3), Sample::generate(split, i, 3));
            assert_eq!(
                (&a.expression, &a.instruction, a.target),
                (&b.expression, &b.instruction, b.target)
            );
            for (w, h) in [(64, 64), (200, 150)] {
                let (ta, tb) = (a.targets(w, h), b.targets(w, h));
                assert_eq!(ta.image.as_raw(), tb.image.as_raw());
                assert_eq!(ta.mask.as_raw(), tb.mask.as_raw());
                assert_eq!(ta.painted.as_raw(), tb.painted.as_raw());
                assert_eq!(ta.overlay.as_raw(), tb.overlay.as_raw());
            }
        }
    }
    let other = Sample::generate(Split::Val, 0, 4);
    assert_ne!(
        Sample::generate(Split::Val, 0, 3).image(64, 64),
        other.image(64, 64),
        "another seed, another sample"
    );
    assert_ne!(
        Sample::generate(Split::Val, 0, 3).image(64, 64),
        Sample::generate(Split::Val, 1, 3).image(64, 64)
    );
}

#[test]
fn every_expression_reads_back_to_its_meaning_and_names_the_target_alone() {
    for split in Split::ALL {
        for i in 0..1500 {
            let s = Sample::generate(split, i, 11);
            let meaning = understand(&s.expression)
                .unwrap_or_else(|| panic!("{split:?} {i}: cannot read {:?}", s.expression));
            assert_eq!(meaning, s.meaning, "{split:?} {i}: {:?}", s.expression);
            assert_eq!(
                refer::resolve(&s.scene, &meaning),
                vec![s.target],
                "{split:?} {i}: {:?} is ambiguous",
                s.expression
            );
            let mask = editseg::synth::truth(&s.cover(64, 64), 64, 64);
            assert!(
                mask.pixels().filter(|p| p.0[0] > 0).count() >= 10,
                "{split:?} {i}: the target is nearly hidden"
            );
        }
    }
}

#[test]
fn test_a_needs_attributes_or_position_and_test_b_needs_a_relation() {
    let kinds: HashSet<String> = (0..400)
        .map(|i| {
            let m = Sample::generate(Split::Val, i, 5).meaning;
            format!("{m:?}").split('(').next().unwrap().to_string()
        })
        .collect();
    assert_eq!(
        kinds.len(),
        5,
        "val mixes every kind of expression: {kinds:?}"
    );
    for i in 0..400 {
        let a = Sample::generate(Split::TestA, i, 5);
        let category = a.scene.objects[a.target].category;
        assert!(
            a.scene
                .objects
                .iter()
                .filter(|o| o.category == category)
                .count()
                >= 2,
            "testA {i}: {}",
            a.expression
        );
        assert!(!a.meaning.is_relational(), "testA {i}: {}", a.expression);
        let b = Sample::generate(Split::TestB, i, 5);
        let Meaning::Related(head, ..) = b.meaning else {
            panic!("testB {i} is not relational: {}", b.expression)
        };
        // Without the relation the description is ambiguous.
        assert!(
            refer::resolve(&b.scene, &Meaning::Plain(head)).len() >= 2,
            "testB {i}: {}",
            b.expression
        );
    }
}

#[test]
fn scenes_vary_in_objects_colours_sizes_textures_backgrounds_and_overlap() {
    let (mut categories, mut colours, mut sizes, mut textures, mut backgrounds) = (
        HashSet::new(),
        HashSet::new(),
        HashSet::new(),
        HashSet::new(),
        HashSet::new(),
    );
    let (mut repeated, mut occluded, n) = (0, 0, 1000);
    for i in 0..n {
        let s = Sample::generate(Split::Train, i, 1);
        assert!((2..=7).contains(&s.scene.objects.len()));
        for o in &s.scene.objects {
            categories.insert(o.category);
            colours.insert(o.colour);
            sizes.insert(o.size);
            textures.insert(format!("{:?}", o.texture));
        }
        backgrounds.insert(std::mem::discriminant(&s.scene.background));
        let kinds: HashSet<Category> = s.scene.objects.iter().map(|o| o.category).collect();
        repeated += (kinds.len() < s.scene.objects.len()) as usize;
        let hidden = (0..s.scene.objects.len()).any(|j| {
            let visible: f32 = draw::visible_cover(&s.scene, j, 64, 64).iter().sum();
            let alone = editseg::scenes::Scene {
                background: Background::Flat([0.0; 3]),
                objects: vec![s.scene.objects[j].clone()],
            };
            visible < 0.97 * draw::visible_cover(&alone, 0, 64, 64).iter().sum::<f32>()
        });
        occluded += hidden as usize;
    }
    assert_eq!(categories.len(), 10);
    assert_eq!(colours.len(), COLOURS.len());
    assert!(COLOURS.len() >= 10);
    assert_eq!(sizes.len(), 3);
    assert_eq!(
        textures.len(),
        [
            Texture::Plain,
            Texture::Stripes,
            Texture::Dots,
            Texture::Shaded
        ]
        .len()
    );
    assert_eq!(backgrounds.len(), 4);
    assert!(
        repeated > n as usize / 2,
        "most scenes repeat a category: {repeated}/{n}"
    );
    assert!(
        occluded > n as usize / 10,
        "some objects are partly hidden: {occluded}/{n}"
    );
}

#[test]
fn instructions_parse_back_to_their_expression_and_paint() {
    let mut templates = HashSet::new();
    for i in 0..600 {
        let s = Sample::generate(Split::Val, i, 2);
        let parsed = parse_instruction(&s.instruction).unwrap();
        assert_eq!(
            tokens(&parsed.expression),
            tokens(&s.expression),
            "{:?}",
            s.instruction
        );
        assert_eq!(parsed.paint, s.paint, "{:?}", s.instruction);
        assert!(
            unknown_words(&parsed.expression).is_empty(),
            "{:?}: {:?}",
            s.instruction,
            unknown_words(&parsed.expression)
        );
        templates.insert(s.instruction.split(' ').next().unwrap().to_lowercase());
    }
    assert_eq!(templates.len(), 6, "{templates:?}");
}

#[test]
fn the_parser_reads_every_template_and_names_unknown_words() {
    let red = Some([230, 30, 30]);
    let cases: &[(&str, &str, Option<[u8; 3]>)] = &[
        ("Given the following instructions: the star in the top right; please perform referring segmentation on this image with red mask.", "the star in the top right", red),
        ("please segment the big star with red mask", "the big star", red),
        ("Segment the heart", "the heart", None),
        ("paint the second ball from the left  red", "the second ball from the left", red),
        ("paint the cup in #ff0000", "the cup", Some([255, 0, 0])),
        ("paint the red ball", "the red ball", None),
        ("colour the mug in violet!", "the mug", Some([140, 40, 200])),
        ("Color the leftmost heart in RED", "the leftmost heart", red),
        ("the banana nearest the apple", "the banana nearest the apple", None),
    ];
    for &(text, expression, paint) in cases {
        let p = parse_instruction(text).unwrap();
        assert_eq!(
            (p.expression.as_str(), p.paint),
            (expression, paint),
            "{text}"
        );
        assert!(
            unknown_words(&p.expression).is_empty(),
            "{text}: {:?}",
            unknown_words(&p.expression)
        );
    }
    let p = parse_instruction("paint the zebra beside the box blue").unwrap();
    assert_eq!(unknown_words(&p.expression), vec!["zebra", "beside"]);
    assert!(understand("the zebra beside the box").is_none());
    for empty in [
        "",
        "   ",
        "segment",
        "paint  ",
        "please segment with red mask",
    ] {
        assert!(
            matches!(parse_instruction(empty), Err(Error::Prompt(_))),
            "{empty:?}"
        );
    }
    assert!(matches!(
        parse_instruction("colour the star in plaid"),
        Err(Error::UnknownColor { .. })
    ));
}

#[test]
fn an_exported_dataset_reads_back_with_the_same_masks_sentences_and_pixels() {
    let dir = scratch("refscenes", "export");
    let out = dir.join("data");
    let (code, stdout, err) = editseg(&[
        "data",
        "export",
        "--split",
        "all",
        "--count",
        "12",
        "--size",
        "96",
        "--seed",
        "9",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("36 samples"), "{stdout}");
    let data = Dataset::open(&out).unwrap();
    assert_eq!(data.refs.len(), 36);
    assert_eq!(data.categories.len(), 10);
    let samples: Vec<Sample> = [Split::Val, Split::TestA, Split::TestB]
        .iter()
        .flat_map(|&s| (0..12).map(move |i| Sample::generate(s, i, 9)))
        .collect();
    for (r, s) in data.refs.iter().zip(&samples) {
        assert_eq!(r.split, s.split.name());
        assert_eq!(r.sentences[0].sent, tokens(&s.expression).join(" "));
        let truth = editseg::synth::truth(&s.cover(96, 96), 96, 96);
        assert_eq!(data.mask(r), truth, "ref {}", r.ref_id);
        let image = image::open(data.image_path(r).unwrap()).unwrap().to_rgba8();
        assert_eq!(image, s.image(96, 96), "ref {}", r.ref_id);
        // Every object of the picture is annotated, not just the target.
        let annotated = data
            .annotations
            .values()
            .filter(|a| a.image_id == r.image_id)
            .count();
        assert_eq!(annotated, s.scene.objects.len());
    }
}

#[test]
fn the_preview_draws_a_sheet_and_bad_data_arguments_are_named() {
    let dir = scratch("refscenes", "preview");
    let sheet = dir.join("sheet.png");
    let (code, _, err) = editseg(&[
        "data",
        "preview",
        "--split",
        "testB",
        "--count",
        "6",
        "--size",
        "64",
        "--out",
        sheet.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let img = image::open(&sheet).unwrap().to_rgba8();
    // Three columns of 64-pixel pictures with a margin, two rows with text under each.
    assert_eq!(img.dimensions(), (3 * 72, 2 * (72 + 40)));
    let outline = img.pixels().filter(|p| p.0 == [255, 230, 0, 255]).count();
    assert!(
        outline > 6 * 10,
        "targets are outlined: {outline} outline pixels"
    );
    for (args, needle) in [
        (
            vec![
                "data", "preview", "--split", "dev", "--count", "4", "--out", "x.png",
            ],
            "unknown split \"dev\"",
        ),
        (
            vec!["data", "export", "--split", "val", "--out", "x"],
            "not provided: --count",
        ),
        (
            vec![
                "data", "export", "--split", "val", "--count", "-3", "--out", "x",
            ],
            "invalid value '-3' for '--count <N>'",
        ),
        (vec!["data", "shuffle"], "unrecognized subcommand 'shuffle'"),
        (
            vec![
                "data",
                "preview",
                "--split",
                "val",
                "--count",
                "2",
                "--out",
                "/nonexistent/dir/s.png",
            ],
            "/nonexistent/dir/s.png: cannot write",
        ),
    ] {
        let (code, _, err) = editseg(&args);
        assert_ne!(code, 0, "{args:?}");
        assert!(
            err.contains(needle) && err.lines().count() == 1,
            "{args:?}: {err}"
        );
    }
}
