#![allow(dead_code)] // Shared by the native and the browser painter tests; each uses its part.

//! Fixed painter inputs (the first validation scenes of RefScenes) and the edits and masks the
//! shipped weights give for them natively on the CPU, recorded in `edits.png` and `masks.png`.
//! The native test checks that the recording is current; the browser test checks that WebGPU
//! and the CPU path in wasm agree with it. After retraining, record again with
//! `EDITSEG_RECORD=1 cargo test --release --test painter`.

use editseg::metrics::overlap;
use editseg::painter::segment::{segment, Answer, Segmented};
use editseg::painter::{Painter, RES};
use editseg::scenes::{Sample, Split};
use editseg::{imageio, Differ, Options};
use image::{GenericImage, GrayImage, RgbaImage};

pub const WEIGHTS: &[u8] = include_bytes!("../../www/model/painter.bpk");
const EDITS: &[u8] = include_bytes!("edits.png");
const MASKS: &[u8] = include_bytes!("masks.png");

pub const SCENES: u32 = 6;
/// The pictures are larger than the painter's size, so the edge-aware upsampling runs too.
pub const SIZE: u32 = 96;

/// An edit channel may differ by this many levels (of 255) between backends: f32 sums in
/// another order, then rounding.
pub const EDIT_LEVELS: u8 = 3;
/// Share of edit channels allowed to differ by more: a pixel whose class is a near tie in the
/// perception maps may fall the other way on another backend, and is then painted or not.
pub const EDIT_SHARE: f64 = 0.005;
/// Masks from edits that agree that closely overlap at least this much.
pub const MASK_IOU: f64 = 0.97;

/// The shipped weights' mean IoU on these scenes is at least this (measured: 0.868; one wrong
/// object of the six brings it to about 0.72).
pub const MEAN_IOU: f64 = 0.84;

pub fn scene(i: u32) -> (RgbaImage, GrayImage, String) {
    let sample = Sample::generate(Split::Val, i as u64, 1);
    let t = sample.targets(SIZE, SIZE);
    (t.image, t.mask, sample.instruction)
}

pub async fn run_all(painter: &Painter, differ: &Differ) -> Vec<Segmented> {
    let mut out = Vec::new();
    for i in 0..SCENES {
        let (picture, _, instruction) = scene(i);
        match segment(
            painter,
            differ,
            &picture,
            &instruction,
            &Options::default(),
            false,
        )
        .await
        .unwrap()
        {
            Answer::Found(result) => out.push(*result),
            Answer::NotFound { not_found, .. } => panic!("{instruction}: {}", not_found.note),
        }
    }
    out
}

fn strip<I: GenericImage>(tiles: &[&I], make: impl Fn(u32, u32) -> I) -> I {
    let (w, h) = tiles[0].dimensions();
    let mut out = make(w * tiles.len() as u32, h);
    for (i, t) in tiles.iter().enumerate() {
        out.copy_from(*t, w * i as u32, 0).unwrap();
    }
    out
}

/// Write the recording (native, on request).
pub fn record(results: &[Segmented]) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/painter_fixture");
    let edits: Vec<&RgbaImage> = results.iter().map(|r| &r.painted.edit).collect();
    let masks: Vec<&GrayImage> = results.iter().map(|r| &r.outcome.mask).collect();
    std::fs::write(
        dir.join("edits.png"),
        imageio::encode_png_rgba(&strip(&edits, RgbaImage::new)),
    )
    .unwrap();
    std::fs::write(
        dir.join("masks.png"),
        imageio::encode_png_gray(&strip(&masks, GrayImage::new)),
    )
    .unwrap();
}

/// How far `results` are from the recording: the largest channel difference of the edits, the
/// share of channels that differ by more than [`EDIT_LEVELS`], and the smallest IoU between masks.
pub fn compare(results: &[Segmented]) -> (u8, f64, f64) {
    let edits = imageio::decode(EDITS, "edits.png").unwrap();
    let masks = imageio::decode(MASKS, "masks.png").unwrap();
    assert_eq!(edits.dimensions(), (RES * SCENES, RES), "stale recording");
    let (mut worst, mut differing, mut channels, mut iou) = (0u8, 0usize, 0usize, 1f64);
    for (i, r) in results.iter().enumerate() {
        let x = i as u32;
        for (px, py, p) in r.painted.edit.enumerate_pixels() {
            let q = edits.get_pixel(x * RES + px, py);
            for c in 0..3 {
                let d = p.0[c].abs_diff(q.0[c]);
                worst = worst.max(d);
                differing += (d > EDIT_LEVELS) as usize;
                channels += 1;
            }
        }
        let recorded = GrayImage::from_fn(SIZE, SIZE, |px, py| {
            image::Luma([masks.get_pixel(x * SIZE + px, py).0[0]])
        });
        let (inter, union) = overlap(&r.outcome.mask, &recorded);
        if union > 0 {
            iou = iou.min(inter as f64 / union as f64);
        }
    }
    (worst, differing as f64 / channels as f64, iou)
}

/// The recorded (native) mask of scene `i`, at the picture's size.
pub fn recorded_mask(i: u32) -> GrayImage {
    let masks = imageio::decode(MASKS, "masks.png").unwrap();
    GrayImage::from_fn(SIZE, SIZE, |x, y| {
        image::Luma([masks.get_pixel(i * SIZE + x, y).0[0]])
    })
}

/// The mean IoU of the masks against the scenes' true masks.
pub fn mean_iou(results: &[Segmented]) -> f64 {
    let total: f64 = results
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let (inter, union) = overlap(&r.outcome.mask, &scene(i as u32).1);
            inter as f64 / union.max(1) as f64
        })
        .sum();
    total / results.len() as f64
}
