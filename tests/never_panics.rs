#![cfg(not(target_arch = "wasm32"))]

//! No input makes EditSeg panic: random bytes and random valid images to the decoder, random
//! pairs of random sizes with random options to the whole pipeline on both engines, damaged
//! RefCOCO files, random RLE and polygons, random painter weights, instructions and option
//! values. Every case ends in a result or in an error that names the problem. Case counts are
//! bounded so that the default test run stays short; a failure prints the shrunk input.

use editseg::painter::Painter;
use editseg::refcoco::{mask::Rle, Dataset};
use editseg::{imageio, instruction, BackendChoice, Differ, Options};
use image::{Rgba, RgbaImage};
use proptest::prelude::*;
use std::path::Path;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Shrinking a pipeline case takes many runs; the first failure is informative enough.
        max_shrink_iters: 64,
        ..ProptestConfig::default()
    }
}

/// An error message that names something: not empty, not a bare debug dump.
fn names_the_problem(e: &editseg::Error) -> bool {
    let m = e.to_string();
    m.len() > 8 && !m.contains("called `")
}

fn png(img: &RgbaImage) -> Vec<u8> {
    imageio::encode_png_rgba(img)
}

fn image(w: u32, h: u32, seed: u64) -> RgbaImage {
    let mut rng = editseg::rng::Rng::new(seed);
    let mut byte = move || rng.next_u64() as u8;
    let base = [byte(), byte(), byte()];
    RgbaImage::from_fn(w, h, |x, y| {
        let n = byte() & 15;
        Rgba([
            base[0].wrapping_add((x * 3) as u8 ^ n),
            base[1].wrapping_add((y * 5) as u8),
            base[2] ^ n,
            255,
        ])
    })
}

/// `img` with a rectangle painted in `paint`, as an editor would.
fn painted(img: &RgbaImage, rect: (u32, u32, u32, u32), paint: [u8; 3]) -> RgbaImage {
    let mut out = img.clone();
    let (x0, y0, x1, y1) = rect;
    for (x, y, p) in out.enumerate_pixels_mut() {
        if (x0..x1).contains(&x) && (y0..y1).contains(&y) {
            *p = Rgba([paint[0], paint[1], paint[2], 255]);
        }
    }
    out
}

fn option_value() -> impl Strategy<Value = (String, String)> {
    // Every option the parser knows, and one it does not.
    let keys = prop::sample::select([Options::KEYS, &["speed"]].concat());
    let values = prop_oneof![
        Just("".to_string()),
        Just("red".to_string()),
        Just("#12ab9z".to_string()),
        Just("largest".to_string()),
        Just("half".to_string()),
        Just("NaN".to_string()),
        Just("-1".to_string()),
        Just("1e300".to_string()),
        Just("3,4".to_string()),
        Just("99999,-5".to_string()),
        (0u32..300).prop_map(|v| v.to_string()),
        (0.0f64..1.5).prop_map(|v| v.to_string()),
        ".{0,12}",
    ];
    (keys.prop_map(String::from), values)
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn random_bytes_decode_to_an_image_or_an_error(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        if let Err(e) = imageio::decode(&bytes, "random.bin") {
            prop_assert!(names_the_problem(&e) && e.to_string().contains("random.bin"), "{e}");
        }
    }

    #[test]
    fn damaged_png_jpeg_and_webp_decode_to_an_image_or_an_error(
        format in 0usize..3,
        w in 1u32..40, h in 1u32..40, seed in any::<u64>(),
        cut in 0.0f64..1.0, flips in prop::collection::vec((0.0f64..1.0, any::<u8>()), 0..6),
    ) {
        let img = image(w, h, seed);
        let mut bytes = match format {
            0 => png(&img),
            1 => {
                let mut out = Vec::new();
                image::DynamicImage::ImageRgba8(img).to_rgb8()
                    .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Jpeg).unwrap();
                out
            }
            _ => {
                let mut out = Vec::new();
                image::DynamicImage::ImageRgba8(img)
                    .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::WebP).unwrap();
                out
            }
        };
        for (at, b) in flips {
            let i = ((bytes.len() - 1) as f64 * at) as usize;
            bytes[i] ^= b;
        }
        bytes.truncate(((bytes.len() as f64) * (0.2 + 0.8 * cut)) as usize);
        if let Err(e) = imageio::decode(&bytes, "damaged") {
            prop_assert!(names_the_problem(&e) && e.to_string().contains("damaged"), "{e}");
        }
    }

    #[test]
    fn valid_images_of_any_size_decode_exactly(w in 1u32..70, h in 1u32..70, seed in any::<u64>()) {
        let img = image(w, h, seed);
        prop_assert_eq!(imageio::decode(&png(&img), "valid.png").unwrap(), img);
    }

    #[test]
    fn instructions_parse_or_are_refused_by_name(text in ".{0,80}") {
        if let Err(e) = instruction::parse(&text) {
            prop_assert!(names_the_problem(&e), "{e}");
        }
    }

    /// Instructions from the templates with known and invented words: the painter reads them
    /// exactly when every word is the grammar's, and otherwise lists the unknown ones.
    #[test]
    fn unknown_words_are_refused_and_listed(
        template in 0usize..instruction::INSTRUCTIONS.len(),
        words in prop::collection::vec(
            prop_oneof![
                prop::sample::select(editseg::scenes::language::vocabulary()),
                "[a-z]{3,8}",
            ],
            1..6,
        ),
    ) {
        let expression = words.join(" ");
        let text = instruction::INSTRUCTIONS[template]
            .replace("{e}", &expression)
            .replace("{p}", "red");
        let unknown = editseg::scenes::language::unknown_words(&expression);
        match editseg::painter::segment::read_instruction(&text) {
            Ok(_) => prop_assert!(unknown.is_empty(), "{text:?} read with unknown {unknown:?}"),
            Err(e) if unknown.is_empty() => prop_assert!(false, "{text:?} refused: {e}"),
            Err(e) => prop_assert!(
                e.to_string().contains(&format!("unknown words: {}.", unknown.join(", "))),
                "{text:?}: {e}"
            ),
        }
    }

    #[test]
    fn option_values_are_taken_or_refused_by_name(pairs in prop::collection::vec(option_value(), 1..6)) {
        let mut options = Options::default();
        for (k, v) in pairs {
            if let Err(e) = options.set(&k, &v) {
                // The message names the option or quotes the value it refused.
                let m = e.to_string();
                prop_assert!(names_the_problem(&e) && (m.contains(&k) || m.contains(&format!("{v:?}"))), "{k}={v}: {e}");
            }
        }
    }

    #[test]
    fn rle_strings_and_counts_decode_or_are_refused(
        s in "[0-9a-zA-Z_`\\[\\]\\\\^@?>=<;:]{0,40}", h in 0u32..40, w in 0u32..40,
        counts in prop::collection::vec(0u32..2000, 0..12),
    ) {
        if let Ok(rle) = Rle::from_compressed(&s, h, w) {
            prop_assert_eq!(rle.to_mask().dimensions(), (w, h));
        }
        if let Ok(rle) = Rle::new(h, w, counts) {
            prop_assert_eq!(rle.to_mask().dimensions(), (w, h));
        }
    }

    #[test]
    fn polygons_with_any_coordinates_rasterise(
        xy in prop::collection::vec(prop_oneof![-1e6f64..1e6, Just(f64::NAN), Just(f64::INFINITY), -5.0f64..50.0], 0..16),
        h in 1u32..40, w in 1u32..40,
    ) {
        let m = Rle::from_polygon(&xy, h, w).to_mask();
        prop_assert_eq!(m.dimensions(), (w, h));
    }
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn damaged_refcoco_files_open_or_name_the_file(
        which in 0usize..2, cut in 0.0f64..1.0,
        flips in prop::collection::vec((0.0f64..1.0, any::<u8>()), 0..4),
    ) {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/refcoco");
        let dir = tempdir();
        for name in ["refs(unc).p", "instances.json"] {
            std::fs::copy(fixtures.join(name), dir.join(name)).unwrap();
        }
        let name = ["refs(unc).p", "instances.json"][which];
        let mut bytes = std::fs::read(dir.join(name)).unwrap();
        for (at, b) in flips {
            let i = ((bytes.len() - 1) as f64 * at) as usize;
            bytes[i] ^= b;
        }
        bytes.truncate(((bytes.len() as f64) * cut.max(0.05)) as usize);
        std::fs::write(dir.join(name), &bytes).unwrap();
        match Dataset::open(&dir) {
            Ok(data) => {
                for r in &data.refs {
                    let _ = data.mask(r);
                }
            }
            Err(e) => prop_assert!(e.to_string().contains(name) || e.to_string().contains("refs("), "{e}"),
        }
    }

    #[test]
    fn random_weights_are_refused_by_name(bytes in prop::collection::vec(any::<u8>(), 0..4000), keep in 0.0f64..1.0) {
        // Damaged real weights, or random bytes.
        let real = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/www/model/painter.bpk")).unwrap();
        let weights = if keep > 0.5 { real[..(real.len() as f64 * (keep - 0.5) * 2.0) as usize].to_vec() } else { bytes };
        match Painter::load(&weights, burn::prelude::Device::flex()) {
            Ok(_) => prop_assert!(weights.len() == real.len()),
            Err(e) => prop_assert!(names_the_problem(&e), "{e}"),
        }
    }
}

fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "editseg-never-panics-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A random pair: any sizes (1xN and extreme aspect ratios included), a painted rectangle
/// anywhere (or nowhere), random option values.
/// Original width and height, edit width and height, a seed, the painted rectangle, options.
type Pair = (
    u32,
    u32,
    u32,
    u32,
    u64,
    (u32, u32, u32, u32),
    Vec<(String, String)>,
);

fn pair() -> impl Strategy<Value = Pair> {
    (
        1u32..90,
        1u32..90,
        1u32..90,
        1u32..90,
        any::<u64>(),
        (0u32..90, 0u32..90, 0u32..90, 0u32..90),
        prop::collection::vec(option_value(), 0..4),
    )
}

fn run_pair(differ: &Differ, (w, h, ew, eh, seed, rect, pairs): Pair) -> Result<(), TestCaseError> {
    let original = image(w, h, seed);
    let edited = painted(
        &image::imageops::resize(&original, ew, eh, image::imageops::FilterType::Triangle),
        rect,
        [200, 30, 200],
    );
    let mut options = Options::default();
    for (k, v) in pairs {
        let _ = options.set(&k, &v);
    }
    match pollster::block_on(differ.mask_from_edit(&original, &edited, &options)) {
        Ok(out) => {
            prop_assert_eq!(out.mask.dimensions(), (w, h));
            prop_assert_eq!(out.heat.dimensions(), (w, h));
        }
        Err(e) => prop_assert!(names_the_problem(&e), "{e}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn random_pairs_and_options_on_the_cpu_path_give_a_mask_or_an_error(case in pair()) {
        let differ = pollster::block_on(Differ::new(BackendChoice::Cpu)).unwrap();
        run_pair(&differ, case)?;
    }
}

proptest! {
    #![proptest_config(config(16))]

    #[test]
    fn random_pairs_and_options_on_the_gpu_give_a_mask_or_an_error(case in pair()) {
        std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir());
        let differ = pollster::block_on(Differ::new(BackendChoice::Gpu)).unwrap();
        run_pair(&differ, case)?;
    }
}

/// Found by the polygon property: a coordinate a million pixels out made the rasteriser walk
/// (and store) millions of boundary points, until the process was killed for memory.
#[test]
fn a_polygon_reaching_a_million_pixels_out_covers_the_image_without_running_out_of_memory() {
    let square = [-1e6, -1e6, 1e6, -1e6, 1e6, 1e6, -1e6, 1e6];
    let mask = Rle::from_polygon(&square, 30, 40).to_mask();
    assert!(mask.pixels().all(|p| p.0[0] > 0));
    let nan = [1.0, 1.0, f64::NAN, 5.0, 9.0, 9.0];
    assert!(Rle::from_polygon(&nan, 30, 40)
        .to_mask()
        .pixels()
        .all(|p| p.0[0] == 0));
}
