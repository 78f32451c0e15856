//! Quality on real photos holds: editor-like edits (both styles, clean and heavily damaged) are
//! segmented with cIoU >= 0.95 and no case under 0.85. The full benchmark, with the OpenCV
//! recipe beside it, is `cargo bench --bench quality`.

#![cfg(not(target_arch = "wasm32"))]

use editseg::synth::{self, Style};
use editseg::{imageio, BackendChoice, Options, Segmenter};
use pollster::block_on;

#[test]
fn clean_and_heavily_damaged_edits_of_every_photo_are_segmented_well() {
    let segmenter = block_on(Segmenter::new(BackendChoice::Cpu)).unwrap();
    let (mut inter, mut union, mut worst) = (0u64, 0u64, (1.0f64, String::new()));
    for photo in ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"] {
        let original = imageio::read(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/photos")
                .join(photo),
        )
        .unwrap();
        for (seed, style, level) in [
            (11, Style::Paint, 0),
            (12, Style::Overlay, 0),
            (13, Style::Paint, 3),
            (14, Style::Overlay, 3),
        ] {
            let case = synth::case(photo, &original, seed, style, level);
            let mut options = Options::default();
            options.set("color", &case.color).unwrap();
            let outcome =
                block_on(segmenter.mask_from_edit(&case.original, &case.edited, &options)).unwrap();
            let (i, u) = editseg::metrics::overlap(&outcome.mask, &case.truth);
            inter += i;
            union += u;
            let iou = i as f64 / u as f64;
            if iou < worst.0 {
                worst = (iou, case.name.clone());
            }
        }
    }
    let ciou = inter as f64 / union as f64;
    assert!(ciou >= 0.95, "cIoU {ciou}");
    assert!(worst.0 >= 0.85, "worst case {worst:?}");
}
