//! Writes the demo page's sample pair: a real photo and an editor-like edit of it (the paint as a
//! half-opacity overlay, a tone drift, grain, a 1024x1024 answer, JPEG), and the true mask.
//!
//!   cargo run --example sample_edit -- www/sample

use editseg::synth::{self, Style};
use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or("www/sample".into()));
    std::fs::create_dir_all(&out).unwrap();
    let photo = editseg::imageio::read(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/photos/coffee.png"),
    )
    .unwrap();
    let case = synth::case("coffee", &photo, 7, Style::Overlay, 2);
    case.original.save(out.join("original.png")).unwrap();
    image::DynamicImage::ImageRgba8(case.edited)
        .to_rgb8()
        .save(out.join("edited.jpg"))
        .unwrap();
    std::fs::write(out.join("color.txt"), &case.color).unwrap();
    // The true mask, which the end-to-end tests score the page's mask against.
    case.truth.save(out.join("truth.png")).unwrap();
    println!("wrote {} (paint: {})", out.display(), case.color);
}
