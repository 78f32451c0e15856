//! The checks shared by the native GPU tests (wgpu on lavapipe) and the browser tests (WebGPU in
//! headless Chromium): every WGSL stage against its CPU twin on random and real inputs. Integer
//! stages must match exactly; stages with floating-point colour maths may differ by one level
//! where rounding lands on the other side.

use editseg::cleanup::components::{self, Keep, Selection};
use editseg::cleanup::{bits, morphology, outline, threshold, upsample};
use editseg::color::Style;
use editseg::diff::{align, blur, drift, resample, score};
use editseg::gpu::Gpu;
use editseg::pixels::{pack, to_words, Grid};
use editseg::rng::Rng;
use editseg::synth;
use editseg::{imageio, BackendChoice, Differ, Options};
use image::RgbaImage;

fn random_image(grid: Grid, seed: u64) -> Vec<u32> {
    let mut rng = Rng::new(seed);
    (0..grid.len())
        .map(|_| rng.next_u64() as u32 | 0xFF00_0000)
        .collect()
}

/// Random blobs rather than white noise, so masks have components, holes and borders.
fn random_mask(grid: Grid, seed: u64, density: f32) -> Vec<u32> {
    let mut rng = Rng::new(seed);
    let noise: Vec<u32> = (0..grid.len())
        .map(|_| pack([rng.range(0.0, 1.0); 4]))
        .collect();
    let smooth = blur::cpu(&noise, grid, 1.5);
    let cut = (255.0 * (0.5 + 0.12 * (0.5 - density))) as u32;
    smooth.iter().map(|&p| ((p & 255) > cut) as u32).collect()
}

pub fn photo_image(name: &str) -> RgbaImage {
    let bytes: &[u8] = match name {
        "astronaut.png" => include_bytes!("../photos/astronaut.png"),
        "chelsea.png" => include_bytes!("../photos/chelsea.png"),
        "coffee.png" => include_bytes!("../photos/coffee.png"),
        "rocket.jpg" => include_bytes!("../photos/rocket.jpg"),
        _ => panic!("no test photo {name}"),
    };
    imageio::decode(bytes, name).unwrap()
}

fn photo(name: &str) -> (Vec<u32>, Grid) {
    let img = photo_image(name);
    let grid = Grid::of(&img);
    (to_words(&img), grid)
}

/// Largest per-channel difference between two RGBA word buffers.
fn max_channel_diff(a: &[u32], b: &[u32]) -> u32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| {
            (0..4).map(move |c| ((x >> (8 * c)) & 255).abs_diff((y >> (8 * c)) & 255))
        })
        .max()
        .unwrap_or(0)
}

fn max_diff(a: &[u32], b: &[u32]) -> u32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| x.abs_diff(*y))
        .max()
        .unwrap_or(0)
}

async fn read(g: &Gpu, buf: &wgpu::Buffer, n: usize) -> Vec<u32> {
    g.read(buf, n).await.unwrap()
}

pub async fn resample_matches_cpu_within_one_level_when_enlarging_shrinking_and_squeezing(g: &Gpu) {
    let (real, real_grid) = photo("chelsea.png");
    let small = Grid { w: 37, h: 23 };
    let cases = [
        (random_image(small, 1), small, Grid { w: 50, h: 41 }),
        (random_image(small, 2), small, Grid { w: 13, h: 9 }),
        (real.clone(), real_grid, Grid { w: 1024, h: 1024 }),
        (real, real_grid, Grid { w: 96, h: 64 }),
    ];
    for (src, from, to) in cases {
        let cpu = resample::cpu(&src, from, to);
        let out = resample::gpu(g, &g.upload(&src), from, to);
        assert!(
            max_channel_diff(&cpu, &read(g, &out, to.len()).await) <= 1,
            "{from:?} -> {to:?}"
        );
    }
}

/// The detection grid's blocks averaged on the GPU to the same bytes as on the CPU, the source
/// read as it is and moved by shifts: pairs with a part block at the end, blocks of 6 and 7
/// pixels, a photo halved and thirded.
pub async fn shrinking_matches_cpu_exactly(g: &Gpu) {
    let (real, real_grid) = photo("chelsea.png");
    let grid = |w, h| Grid { w, h };
    // A block of 82 pixels, half 0 and half 1: the average 0.5 rounds to 1, which 82 / 82 in
    // f32 times 1/82 floors to 0 without the twins' margin.
    let halves: Vec<u32> = (0..82)
        .map(|i| 0xFF00_0000 | ((i % 2) * 0x0001_0101))
        .collect();
    let cases = [
        (halves, grid(2, 41), grid(1, 1)),
        (random_image(grid(37, 23), 5), grid(37, 23), grid(19, 12)),
        (random_image(grid(61, 17), 6), grid(61, 17), grid(9, 3)),
        (
            real.clone(),
            real_grid,
            grid(real_grid.w.div_ceil(2), real_grid.h.div_ceil(2)),
        ),
        (
            real,
            real_grid,
            grid(real_grid.w.div_ceil(3), real_grid.h.div_ceil(3)),
        ),
    ];
    for (src, from, to) in cases {
        let up = g.upload(&src);
        // Read moved by a shift: none, within a block, past the picture's width.
        for shift in [(0, 0), (1, -2), (-3, 1), (2 * from.w as i32, 0)] {
            let cpu = resample::shrink_cpu(&src, from, to, shift);
            let out = resample::shrink_gpu(g, &up, from, to, shift);
            assert!(
                cpu == read(g, &out, to.len()).await,
                "{from:?} -> {to:?} shifted {shift:?}"
            );
        }
    }
}

/// An editor's tone drift: gains, offsets and a lighting change.
const DRIFT: drift::Drift = drift::Drift {
    coef: [
        [1.1, 0.05, -0.03, 0.02, 0.01, -0.02, 0.03],
        [0.9, 0.0, 0.0, 0.0, 0.0, 0.0, -0.02],
        [1.0, 0.1, 0.1, 0.0, 0.0, 0.0, 0.0],
    ],
};

/// Both pictures blurred on the GPU as on the CPU, and one picture alone: exactly, and the
/// original's drift applied
/// after its blur within one level (the drift is float arithmetic). Random pictures of sizes that
/// leave part runs at the ends of rows and columns, a photo; sigma 2.5 takes the loop kernels.
pub async fn blurred_pairs_match_cpu(g: &Gpu) {
    let (real, real_grid) = photo("coffee.png");
    let other: Vec<u32> = real.iter().rev().copied().collect();
    for (o, e, grid, sigma) in [
        (
            random_image(Grid { w: 61, h: 17 }, 3),
            random_image(Grid { w: 61, h: 17 }, 4),
            Grid { w: 61, h: 17 },
            1.0,
        ),
        (
            random_image(Grid { w: 9, h: 30 }, 5),
            random_image(Grid { w: 9, h: 30 }, 6),
            Grid { w: 9, h: 30 },
            1.3,
        ),
        (
            random_image(Grid { w: 3, h: 2 }, 7),
            random_image(Grid { w: 3, h: 2 }, 8),
            Grid { w: 3, h: 2 },
            1.0,
        ),
        (real.clone(), other.clone(), real_grid, 1.0),
        (real, other, real_grid, 2.5),
    ] {
        let (o_up, e_up) = (g.upload(&o), g.upload(&e));
        // One picture alone (the edit blurred again once it is aligned): the same bytes.
        let alone = read(g, &blur::gpu(g, &e_up, grid, sigma), grid.len()).await;
        assert_eq!(
            blur::cpu(&e, grid, sigma),
            alone,
            "one picture, sigma {sigma}"
        );
        for d in [drift::Drift::NONE, DRIFT] {
            let (o_cpu, e_cpu) = blur::pair_cpu(&o, &e, grid, sigma, &d);
            let (o_gpu, e_gpu) = blur::pair_gpu(g, &o_up, &e_up, grid, sigma, &d);
            assert_eq!(e_cpu, read(g, &e_gpu, grid.len()).await, "sigma {sigma}");
            let o_gpu = read(g, &o_gpu, grid.len()).await;
            if d == drift::Drift::NONE {
                assert_eq!(o_cpu, o_gpu, "sigma {sigma}");
                assert_eq!(o_cpu, blur::cpu(&o, grid, sigma), "sigma {sigma}");
            } else {
                assert_eq!(o_cpu, drift::cpu(&blur::cpu(&o, grid, sigma), grid, &d));
                assert!(max_channel_diff(&o_cpu, &o_gpu) <= 1, "sigma {sigma}");
            }
        }
    }
}

pub async fn drift_correction_matches_cpu_within_one_level(g: &Gpu) {
    let d = DRIFT;
    let (real, real_grid) = photo("astronaut.png");
    for (src, grid) in [
        (
            random_image(Grid { w: 33, h: 40 }, 4),
            Grid { w: 33, h: 40 },
        ),
        (real, real_grid),
    ] {
        let cpu = drift::cpu(&src, grid, &d);
        let out = drift::gpu(g, &g.upload(&src), grid, &d);
        assert!(max_channel_diff(&cpu, &read(g, &out, grid.len()).await) <= 1);
    }
}

/// The picture moved by (2, -1): moved(x + 2, y - 1) = pixels(x, y), edges clamped.
fn moved_by_2_minus_1(pixels: &[u32], grid: Grid) -> Vec<u32> {
    (0..grid.len())
        .map(|i| {
            let (x, y) = ((i % grid.w as usize) as i32, (i / grid.w as usize) as i32);
            let (sx, sy) = (
                (x - 2).clamp(0, grid.w as i32 - 1),
                (y + 1).clamp(0, grid.h as i32 - 1),
            );
            pixels[(sy * grid.w as i32 + sx) as usize]
        })
        .collect()
}

pub async fn shift_search_costs_match_cpu_exactly_and_find_the_applied_shift_also_around_a_guess(
    g: &Gpu,
) {
    let (real, grid) = photo("rocket.jpg");
    let edited = moved_by_2_minus_1(&real, grid);
    let search = align::Search::new(grid, 3);
    let cpu = align::cpu(&real, &edited, grid, &search, None);
    let gpu_costs = align::gpu(g, &g.upload(&real), &g.upload(&edited), grid, &search, None)
        .await
        .unwrap();
    assert_eq!(cpu, gpu_costs);
    assert_eq!(search.best(&cpu), (2, -1));
    // A search around a coarser answer finds the same shift.
    let around = align::Search::around(grid, (3, 0), 1);
    let cpu = align::cpu(&real, &edited, grid, &around, None);
    let gpu_costs = align::gpu(g, &g.upload(&real), &g.upload(&edited), grid, &around, None)
        .await
        .unwrap();
    assert_eq!(cpu, gpu_costs);
    assert_eq!(around.best(&cpu), (2, -1));
    let small = Grid { w: 40, h: 30 };
    let (a, b) = (random_image(small, 5), random_image(small, 6));
    let search = align::Search::new(small, 2);
    assert_eq!(
        align::cpu(&a, &b, small, &search, None),
        align::gpu(g, &g.upload(&a), &g.upload(&b), small, &search, None)
            .await
            .unwrap()
    );
}

pub async fn the_shift_search_with_the_drift_applied_on_read_matches_cpu_and_finds_the_shift(
    g: &Gpu,
) {
    let (real, grid) = photo("rocket.jpg");
    // The edit is the photo with a tone drift, moved.
    let drifted = drift::cpu(&real, grid, &DRIFT);
    let edited = moved_by_2_minus_1(&drifted, grid);
    let around = align::Search::refine(grid, (1, 0), 2);
    let cpu = align::cpu(&real, &edited, grid, &around, Some(&DRIFT));
    assert_eq!(around.best(&cpu), (2, -1));
    // Correcting where pixels are read is correcting the whole original first.
    assert_eq!(cpu, align::cpu(&drifted, &edited, grid, &around, None));
    // Without the drift the costs are much higher: the drift is really applied.
    let raw: u64 = align::cpu(&real, &edited, grid, &around, None)
        .iter()
        .map(|&c| c as u64)
        .sum();
    let total = |costs: &[u32]| costs.iter().map(|&c| c as u64).sum::<u64>();
    assert!(raw > 2 * total(&cpu), "{raw} vs {}", total(&cpu));
    let gpu_costs = align::gpu(
        g,
        &g.upload(&real),
        &g.upload(&edited),
        grid,
        &around,
        Some(&DRIFT),
    )
    .await
    .unwrap();
    assert_eq!(around.best(&gpu_costs), (2, -1));
    // The drift's rounding may land a level apart on a few pixels.
    let apart: u64 = cpu
        .iter()
        .zip(&gpu_costs)
        .map(|(&a, &b)| a.abs_diff(b) as u64)
        .sum();
    assert!(apart * 100 <= total(&cpu), "{apart} of {}", total(&cpu));
}

pub async fn change_score_and_strength_match_cpu_within_one_level(g: &Gpu) {
    let (real, grid) = photo("chelsea.png");
    let painted = random_image(grid, 7);
    let edited: Vec<u32> = real
        .iter()
        .zip(&painted)
        .enumerate()
        .map(|(i, (&o, &p))| if (i / 40) % 3 == 0 { p } else { o })
        .collect();
    let blurred_o = blur::cpu(&real, grid, 1.0);
    let blurred_e = blur::cpu(&edited, grid, 1.0);
    for paint in [None, Some([140, 40, 200])] {
        let scoring = score::Scoring {
            shift: (1, -1),
            paint,
        };
        let cpu = score::cpu(
            score::Pair {
                original: &blurred_o,
                edited: &blurred_e,
            },
            score::Pair {
                original: &real,
                edited: &edited,
            },
            grid,
            &scoring,
        );
        let bufs = [&blurred_o, &blurred_e, &real, &edited].map(|b| g.upload(b));
        let out = score::gpu(
            g,
            score::Pair {
                original: &bufs[0],
                edited: &bufs[1],
            },
            score::Pair {
                original: &bufs[2],
                edited: &bufs[3],
            },
            grid,
            &scoring,
        );
        let gpu = read(g, &out, 2 * grid.len()).await;
        let n = grid.len();
        assert!(
            max_diff(&cpu[..n], &gpu[..n]) <= 1,
            "score, paint {paint:?}"
        );
        // The paint's strength (in sixteenths of a CIELAB unit) within one step.
        assert!(
            max_diff(&cpu[n..], &gpu[n..]) <= 1,
            "strength, paint {paint:?}"
        );
        assert!(
            cpu[..n].iter().any(|&s| s > 100) && cpu[n..].iter().any(|&s| s > 400),
            "the painted stripes score high"
        );
    }
}

pub async fn binarisation_matches_cpu_exactly(g: &Gpu) {
    let mut rng = Rng::new(8);
    let grid = Grid { w: 331, h: 303 };
    let score: Vec<u32> = (0..grid.len())
        .map(|_| (rng.range(0.0, 1.0).powi(3) * 256.0) as u32)
        .collect();
    let buf = g.upload(&score);
    for t in [0, 12, 200, 255] {
        assert_eq!(
            threshold::binarize_cpu(&score, grid, t),
            read(
                g,
                &threshold::binarize_gpu(g, &buf, grid, t),
                bits::len(grid)
            )
            .await
        );
    }
}

pub async fn erosion_and_dilation_match_cpu_exactly(g: &Gpu) {
    let grid = Grid { w: 97, h: 61 };
    let (real, real_grid) = photo("coffee.png");
    let real_mask: Vec<u32> = real.iter().map(|&p| ((p & 255) > 128) as u32).collect();
    for (mask, grid) in [(random_mask(grid, 9, 0.4), grid), (real_mask, real_grid)] {
        for radius in [1, 2, 5, 32] {
            for dilate in [false, true] {
                let packed = bits::pack(&mask, grid);
                let out = morphology::gpu(g, &g.upload(&packed), grid, radius, dilate);
                assert_eq!(
                    morphology::cpu(&packed, grid, radius, dilate),
                    read(g, &out, bits::len(grid)).await,
                    "r={radius} dilate={dilate}"
                );
            }
        }
    }
}

pub async fn component_labels_match_cpu_exactly_including_a_spiral(g: &Gpu) {
    let grid = Grid { w: 64, h: 64 };
    // A one-pixel-wide spiral is the slowest shape for label propagation.
    let mut spiral = vec![0u32; grid.len()];
    let (mut lo, mut hi) = (0i32, 63i32);
    while lo < hi {
        for t in lo..=hi {
            for (x, y) in [(t, lo), (hi, t), (t, hi), (lo + 2, t)] {
                if y >= lo && (x != lo + 2 || t > lo + 1) {
                    spiral[(y * 64 + x) as usize] = 1;
                }
            }
        }
        lo += 4;
        hi -= 4;
    }
    let (real, real_grid) = photo("rocket.jpg");
    let real_mask: Vec<u32> = real
        .iter()
        .map(|&p| ((p >> 8 & 255) > 100) as u32)
        .collect();
    for (mask, grid) in [
        (spiral, grid),
        (
            random_mask(Grid { w: 150, h: 90 }, 10, 0.5),
            Grid { w: 150, h: 90 },
        ),
        (real_mask, real_grid),
    ] {
        let buf = g.upload(&mask);
        for class in [0, 1] {
            assert_eq!(
                components::labels_cpu(&mask, grid, class),
                components::labels_gpu(g, &buf, grid, class).await.unwrap()
            );
        }
    }
}

pub async fn component_selection_and_hole_filling_match_cpu_exactly_for_every_keep_mode(g: &Gpu) {
    let grid = Grid { w: 120, h: 80 };
    let mask = bits::pack(&random_mask(grid, 11, 0.45), grid);
    let buf = g.upload(&mask);
    for keep in [
        Keep::All,
        Keep::Largest,
        Keep::Seed {
            x: 60,
            y: 40,
            radius: 6,
        },
    ] {
        for (min_area, max_hole) in [(0, 0), (30, 50), (500, 10_000)] {
            let sel = Selection {
                keep,
                min_area,
                max_hole,
            };
            let cpu = components::cpu(&mask, grid, &sel);
            assert_eq!(
                cpu,
                read(g, &components::gpu(g, &buf, grid, &sel), grid.len()).await,
                "{sel:?}"
            );
        }
    }
}

pub async fn the_whole_pipeline_gives_the_same_mask_on_gpu_and_cpu() {
    let case = synth::case("coffee", &photo_image("coffee.png"), 42, Style::Paint, 2);
    let mut options = Options::default();
    options.set("color", &case.color).unwrap();
    let mut outcomes = Vec::new();
    for backend in [BackendChoice::Gpu, BackendChoice::Cpu] {
        let differ = Differ::new(backend).await.unwrap();
        outcomes.push(
            differ
                .mask_from_edit(&case.original, &case.edited, &options)
                .await
                .unwrap(),
        );
    }
    let (gpu, cpu) = (&outcomes[0], &outcomes[1]);
    assert!(gpu.stats.backend.starts_with("gpu"));
    assert_eq!(
        (gpu.stats.threshold, gpu.stats.shift),
        (cpu.stats.threshold, cpu.stats.shift)
    );
    let (i, u) = editseg::metrics::overlap(&gpu.mask, &cpu.mask);
    assert!(
        i as f64 / u as f64 > 0.995,
        "GPU and CPU masks agree on {i} of {u} pixels"
    );
    let (i, u) = editseg::metrics::overlap(&gpu.mask, &case.truth);
    assert!(
        i as f64 / u as f64 > 0.9,
        "IoU with the truth {}",
        i as f64 / u as f64
    );
}

/// An editor's frame registered (an affine map with a smooth flow, a drift applied where the
/// edit shows nothing) and resampled through it on the GPU as on the CPU: every channel within one
/// level, except pixels within a hair of the frame's edge, where the twins' rounding may tell
/// seen from unseen apart differently (at most 0.2 % of the pixels).
pub async fn warp_through_a_fitted_frame_matches_cpu_within_one_level(g: &Gpu) {
    use editseg::diff::register::{Flow, Map};
    use editseg::diff::warp;
    let (real, real_grid) = photo("chelsea.png");
    let tone = drift::Drift {
        coef: [
            [1.1, 0.05, -0.04, 0.03, 0.0, 0.02, 0.02],
            [0.9, 0.0, 0.05, 0.0, 0.0, 0.0, 0.05],
            [1.0, -0.06, 0.0, 0.0, 0.02, 0.0, -0.03],
        ],
    };
    let flow = Flow {
        nx: 4,
        ny: 3,
        d: (0..12)
            .map(|k| {
                [
                    0.004 * ((k % 5) as f32 - 2.0),
                    0.003 * ((k % 3) as f32 - 1.0),
                ]
            })
            .collect(),
    };
    let turned = Map {
        a: [1.07, -0.012, 0.015, 0.94],
        b: [-0.04, 0.05],
        flow: Some(flow),
    };
    let small = Grid { w: 37, h: 23 };
    let cases = [
        // A photo in an editor's frame onto a smaller and a larger grid.
        (
            real.clone(),
            real_grid,
            Grid { w: 300, h: 200 },
            turned.clone(),
        ),
        (real.clone(), real_grid, Grid { w: 901, h: 600 }, turned),
        // Noise zoomed out past its frame, and a plain stretch.
        (
            random_image(small, 9),
            small,
            Grid { w: 50, h: 41 },
            Map {
                a: [0.8, 0.0, 0.0, 0.8],
                b: [-0.1, 0.2],
                flow: None,
            },
        ),
        (
            random_image(small, 10),
            small,
            Grid { w: 13, h: 9 },
            Map::STRETCH,
        ),
    ];
    for (src, from, to, map) in cases {
        let original = random_image(to, 11);
        let cpu = warp::cpu(&src, from, &original, to, &map, &tone);
        let out = warp::gpu(
            g,
            &g.upload(&src),
            from,
            &g.upload(&original),
            to,
            &map,
            &tone,
        );
        let gpu = read(g, &out, to.len()).await;
        let seen = |p: u32| p >> 24 == 255;
        let edge = cpu
            .iter()
            .zip(&gpu)
            .filter(|(a, b)| seen(**a) != seen(**b))
            .count();
        assert!(
            edge * 500 <= to.len(),
            "{from:?} -> {to:?}: {edge} pixels seen by one twin only"
        );
        let (a, b): (Vec<u32>, Vec<u32>) = cpu
            .iter()
            .zip(&gpu)
            .filter(|(a, b)| seen(**a) == seen(**b))
            .map(|(a, b)| (*a, *b))
            .unzip();
        assert!(max_channel_diff(&a, &b) <= 1, "{from:?} -> {to:?}");
        assert!(
            cpu.iter().any(|&p| seen(p)),
            "{from:?} -> {to:?}: nothing seen"
        );
    }
}

/// An edit in an editor's frame (zoomed, cropped, turned, drifting) gives the same mask through
/// the GPU's stages as through the CPU's.
pub async fn a_framed_edit_gives_the_same_mask_on_gpu_and_cpu() {
    use editseg::synth::{framed_case, Family};
    let (case, _) = framed_case(
        "chelsea",
        &photo_image("chelsea.png"),
        7,
        Style::Paint,
        1,
        1.0,
        Family::All,
    );
    let mut options = Options::default();
    options.set("color", &case.color).unwrap();
    let mut outcomes = Vec::new();
    for backend in [BackendChoice::Gpu, BackendChoice::Cpu] {
        let differ = Differ::new(backend).await.unwrap();
        outcomes.push(
            differ
                .mask_from_edit(&case.original, &case.edited, &options)
                .await
                .unwrap(),
        );
    }
    let (gpu, cpu) = (&outcomes[0], &outcomes[1]);
    // The thumbnails the map is fitted on agree within a level, so the maps agree closely.
    let (a, b) = (&gpu.stats.registration, &cpu.stats.registration);
    assert_eq!(a.method, b.method);
    assert_ne!(a.method, editseg::diff::register::Method::Shift);
    let near = |x: f32, y: f32, tolerance: f32| (x - y).abs() <= tolerance;
    assert!(
        (0..2).all(|k| near(a.scale[k], b.scale[k], 0.002) && near(a.offset[k], b.offset[k], 0.2))
            && near(a.rotation, b.rotation, 0.02)
            && near(a.largest_drift, b.largest_drift, 0.2),
        "{a:?} vs {b:?}"
    );
    let (i, u) = editseg::metrics::overlap(&gpu.mask, &cpu.mask);
    assert!(
        i as f64 / u as f64 > 0.99,
        "GPU and CPU masks agree on {i} of {u} pixels"
    );
    let (i, u) = editseg::metrics::overlap(&gpu.mask, &case.truth);
    assert!(
        i as f64 / u as f64 > 0.9,
        "IoU with the truth {}",
        i as f64 / u as f64
    );
}

pub async fn mask_upsampling_matches_cpu_but_for_a_few_pixels_at_the_cut(g: &Gpu) {
    let scene = editseg::scenes::Sample::generate(editseg::scenes::Split::Val, 4, 0);
    let (small, full) = (Grid { w: 64, h: 64 }, Grid { w: 203, h: 150 });
    let picture = to_words(&scene.image(full.w, full.h));
    let guide = to_words(&image::imageops::resize(
        &scene.image(full.w, full.h),
        64,
        64,
        image::imageops::FilterType::Triangle,
    ));
    let (real, real_grid) = photo("chelsea.png");
    let real_small = to_words(&image::imageops::resize(
        &photo_image("chelsea.png"),
        64,
        64,
        image::imageops::FilterType::Triangle,
    ));
    for (mask, guide, picture, full) in [
        (
            editseg::synth::truth(&scene.cover(64, 64), 64, 64).into_raw(),
            guide,
            picture,
            full,
        ),
        (
            random_mask(small, 9, 0.4)
                .iter()
                .map(|&m| (m * 255) as u8)
                .collect(),
            real_small,
            real,
            real_grid,
        ),
    ] {
        let cpu = upsample::cpu(&mask, &guide, small, &picture, full);
        let words: Vec<u32> = mask.iter().map(|&m| m as u32).collect();
        let out = upsample::gpu(
            g,
            &g.upload(&words),
            &g.upload(&guide),
            small,
            &g.upload(&picture),
            full,
        );
        let gpu = read(g, &out, full.len()).await;
        let differing = cpu
            .iter()
            .zip(&gpu)
            .filter(|(c, g)| **c as u32 != **g)
            .count();
        assert!(
            differing * 1000 <= full.len(),
            "{differing} of {} pixels differ",
            full.len()
        );
        assert!(cpu.contains(&255) && cpu.contains(&0));
    }
}

/// The outline's band (pixels with the other label within the radius): the GPU's four pixels an
/// invocation at radii 1 and 2 and its loop at 3 give the CPU twin's classes exactly, at widths
/// that leave part runs at the ends of rows.
pub async fn outline_band_matches_cpu_exactly(g: &Gpu) {
    for (grid, seed) in [
        (Grid { w: 61, h: 17 }, 1),
        (Grid { w: 9, h: 30 }, 2),
        (Grid { w: 130, h: 77 }, 3),
        (Grid { w: 3, h: 2 }, 4),
        (Grid { w: 1, h: 5 }, 5),
    ] {
        let mask = random_mask(grid, seed, 0.5);
        let up = g.upload(&mask);
        for radius in 1..=3 {
            let band = outline::Band {
                radius,
                reach: 2,
                grow: false,
            };
            let cpu = outline::classify_cpu(&mask, grid, radius);
            let out = outline::classify_gpu(g, &up, grid, band);
            assert_eq!(
                cpu,
                read(g, &out, grid.len()).await,
                "{grid:?} radius {radius}"
            );
        }
    }
}

pub async fn outline_placement_matches_cpu_but_for_a_few_pixels_at_the_cut(g: &Gpu) {
    // A feathered paint on a real photo, its mask detected a few pixels too wide; the placed
    // outline on the detection grid and on a fine grid twice as large.
    let original = photo_image("coffee.png");
    let case = synth::feathered_case("coffee", &original, 21, Style::Paint, 0, 1.4);
    let grid = Grid::of(&original);
    let truth: Vec<u32> = case.truth.pixels().map(|p| (p.0[0] > 0) as u32).collect();
    let wide = bits::unpack(
        &morphology::cpu(&bits::pack(&truth, grid), grid, 3, true),
        grid,
    );
    let (o, e) = (to_words(&case.original), to_words(&case.edited));
    let fine_grid = Grid {
        w: 2 * grid.w,
        h: 2 * grid.h,
    };
    let (fo, fe) = (
        resample::cpu(&o, grid, fine_grid),
        resample::cpu(&e, grid, fine_grid),
    );
    let paint = Some(editseg::color::parse(&case.color).unwrap());
    // The third case: an edit with a tone drift, which the fine grid's reads correct.
    let mild = drift::Drift {
        coef: [
            [1.05, 0.02, 0.0, 0.0, 0.0, 0.0, 0.01],
            [0.97, 0.0, 0.02, 0.0, 0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0, 0.01, 0.0, 0.0, -0.01],
        ],
    };
    let fe_drifted = drift::cpu(&fe, fine_grid, &mild);
    // The paint's strength per detection pixel, which the score measures (stage 3).
    let scoring = score::Scoring {
        shift: (0, 0),
        paint,
    };
    let pair = || score::Pair {
        original: &o,
        edited: &e,
    };
    let n = grid.len();
    let scores = score::cpu(pair(), pair(), grid, &scoring);
    let strengths = &scores[n..];
    for (fine_o, fine_e, fine, band, fine_drift) in [
        (&o, &e, grid, outline::Band::new(1.0), None),
        (&fo, &fe, fine_grid, outline::Band::new(2.0), None),
        (
            &fo,
            &fe_drifted,
            fine_grid,
            outline::Band::new(2.0),
            Some(mild),
        ),
    ] {
        fn sharp<'a, B>(
            original: &'a B,
            edited: &'a B,
            grid: Grid,
            paint: Option<[u8; 3]>,
            drift: Option<drift::Drift>,
        ) -> outline::Sharp<'a, B> {
            outline::Sharp {
                original,
                edited,
                grid,
                drift,
                shift: (0, 0),
                paint,
            }
        }
        let cpu = outline::cpu(
            &wide,
            strengths,
            band,
            sharp(&o, &e, grid, paint, None),
            sharp(fine_o, fine_e, fine, paint, fine_drift),
        );
        if let Some(d) = fine_drift {
            // Correcting where pixels are read is correcting the whole original first.
            let corrected = drift::cpu(fine_o, fine, &d);
            let explicit = outline::cpu(
                &wide,
                strengths,
                band,
                sharp(&o, &e, grid, paint, None),
                sharp(&corrected, fine_e, fine, paint, None),
            );
            assert_eq!(cpu, explicit);
        }
        let bufs = [&wide, &o, &e, fine_o, fine_e].map(|b| g.upload(b));
        // On the detection grid itself the pipeline passes the same pictures for both pairs,
        // which lets the GPU read the strengths it measured (`place_own`).
        let (detection, larger) = (&bufs[1..3], &bufs[3..5]);
        let fine_pair = if fine == grid { detection } else { larger };
        // The score's blurred pair here is the sharp one again, as copies: WebGPU refuses one
        // buffer bound twice for writing.
        let copies = [&o, &e].map(|b| g.upload(b));
        let score_buf = score::gpu(
            g,
            score::Pair {
                original: &copies[0],
                edited: &copies[1],
            },
            score::Pair {
                original: &bufs[1],
                edited: &bufs[2],
            },
            grid,
            &scoring,
        );
        let out = outline::gpu(
            g,
            &bufs[0],
            &score_buf,
            band,
            sharp(&bufs[1], &bufs[2], grid, paint, None),
            sharp(&fine_pair[0], &fine_pair[1], fine, paint, fine_drift),
        );
        let gpu = unpacked(&read(g, &out, fine.len().div_ceil(4)).await, fine.len());
        let cpu = unpacked(&cpu, fine.len());
        let differing = cpu.iter().zip(&gpu).filter(|(c, g)| c != g).count();
        let moved = cpu
            .iter()
            .zip(&wide_on(&wide, grid, fine))
            .filter(|(c, w)| c != w)
            .count();
        assert!(moved > 100, "the outline did not move: {moved} pixels");
        assert!(
            differing * 50 <= moved,
            "{differing} of {moved} moved pixels differ"
        );
    }
}

/// The outline's mask, bytes packed four pixels a word, as one word (0/1) a pixel.
fn unpacked(packed: &[u32], n: usize) -> Vec<u32> {
    let bytes: &[u8] = bytemuck::cast_slice(packed);
    bytes[..n].iter().map(|&b| u32::from(b == 255)).collect()
}

/// A mask on `grid` looked up on the larger `fine` grid (nearest).
fn wide_on(mask: &[u32], grid: Grid, fine: Grid) -> Vec<u32> {
    (0..fine.len())
        .map(|i| {
            let (x, y) = (i % fine.w as usize, i / fine.w as usize);
            mask[y * grid.h as usize / fine.h as usize * grid.w as usize
                + x * grid.w as usize / fine.w as usize]
        })
        .collect()
}

pub async fn a_destroyed_device_reports_device_lost(g: &Gpu) {
    let buf = g.upload(&[1, 2, 3]);
    g.destroy();
    let err = g.read(&buf, 3).await.unwrap_err();
    assert!(matches!(err, editseg::Error::DeviceLost(_)), "{err}");
}

/// Calls `$m!` with the name of every check above that takes a device, so the native and the
/// browser test files each wrap all of them in their own kind of test.
#[macro_export]
macro_rules! for_each_gpu_check {
    ($m:ident) => {
        $m!(
            resample_matches_cpu_within_one_level_when_enlarging_shrinking_and_squeezing,
            warp_through_a_fitted_frame_matches_cpu_within_one_level,
            shrinking_matches_cpu_exactly,
            blurred_pairs_match_cpu,
            drift_correction_matches_cpu_within_one_level,
            shift_search_costs_match_cpu_exactly_and_find_the_applied_shift_also_around_a_guess,
            the_shift_search_with_the_drift_applied_on_read_matches_cpu_and_finds_the_shift,
            change_score_and_strength_match_cpu_within_one_level,
            binarisation_matches_cpu_exactly,
            erosion_and_dilation_match_cpu_exactly,
            component_labels_match_cpu_exactly_including_a_spiral,
            component_selection_and_hole_filling_match_cpu_exactly_for_every_keep_mode,
            mask_upsampling_matches_cpu_but_for_a_few_pixels_at_the_cut,
            outline_band_matches_cpu_exactly,
            outline_placement_matches_cpu_but_for_a_few_pixels_at_the_cut,
            a_destroyed_device_reports_device_lost,
        );
    };
}
