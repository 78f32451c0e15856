//! Originals over the size limit are processed on a smaller grid, the mask comes back at full
//! size, and the stats say so.

#![cfg(not(target_arch = "wasm32"))]

use editseg::{BackendChoice, Differ, Options};
use image::{Rgba, RgbaImage};

#[test]
fn an_original_over_16_megapixels_is_processed_smaller_and_the_mask_is_full_size() {
    let (w, h) = (4400, 4000);
    let original = RgbaImage::from_fn(w, h, |x, y| {
        Rgba([(x / 20) as u8, (y / 20) as u8, 120, 255])
    });
    // The editor answered at 1100x1000 with a square painted purple.
    let edited = RgbaImage::from_fn(1100, 1000, |x, y| {
        if (300..600).contains(&x) && (200..500).contains(&y) {
            Rgba([140, 40, 200, 255])
        } else {
            Rgba([(x * 4 / 20) as u8, (y * 4 / 20) as u8, 120, 255])
        }
    });
    let differ = pollster::block_on(Differ::new(BackendChoice::Cpu)).unwrap();
    let mut options = Options::default();
    options.set("color", "purple").unwrap();
    let out = pollster::block_on(differ.mask_from_edit(&original, &edited, &options)).unwrap();
    assert_eq!(out.mask.dimensions(), (w, h));
    assert!((out.stats.working_width as u64 * out.stats.working_height as u64) <= 16 << 20);
    assert!(
        out.stats
            .notes
            .iter()
            .any(|n| n.contains("over the size limit")),
        "{:?}",
        out.stats.notes
    );
    // The square is 1200x1200 in the original's pixels.
    let inside = out.mask.get_pixel(1800, 1400).0[0];
    let outside = out.mask.get_pixel(500, 3000).0[0];
    assert_eq!((inside, outside), (255, 0));
    let area = out.stats.area as f64;
    assert!((area / (1200.0 * 1200.0) - 1.0).abs() < 0.03, "area {area}");
}

#[test]
fn over_16_megapixels_the_outline_follows_the_originals_edge_not_the_smaller_grid() {
    // A disc whose edge is a sharp colour step in the original, painted in an edit at 1/4 size.
    let (w, h) = (4600, 4000);
    let (cx, cy, r) = (2300.5f32, 2000.5f32, 900.0f32);
    let inside =
        |x: u32, y: u32, s: f32| ((x as f32 + 0.5) * s - cx).hypot((y as f32 + 0.5) * s - cy) < r;
    let original = RgbaImage::from_fn(w, h, |x, y| {
        if inside(x, y, 1.0) {
            Rgba([200, 180, 60, 255])
        } else {
            Rgba([40, 90, 150, 255])
        }
    });
    let edited = RgbaImage::from_fn(w / 4, h / 4, |x, y| {
        if inside(x, y, 4.0) {
            Rgba([140, 40, 200, 255])
        } else {
            Rgba([40, 90, 150, 255])
        }
    });
    let differ = pollster::block_on(Differ::new(BackendChoice::Cpu)).unwrap();
    let mut options = Options::default();
    options.set("color", "purple").unwrap();
    let out = pollster::block_on(differ.mask_from_edit(&original, &edited, &options)).unwrap();
    assert!(out.stats.working_width < w, "{:?}", out.stats);
    let wrong = out
        .mask
        .enumerate_pixels()
        .filter(|(x, y, p)| (p.0[0] > 0) != inside(*x, *y, 1.0))
        .count();
    let perimeter = 2.0 * std::f32::consts::PI * r;
    // Brought back along the original's edge, a few pixels of the outline differ; stretched
    // from the smaller grid (1.07x here), about one in two would.
    println!("{wrong} wrong pixels along a {perimeter:.0}-pixel outline");
    assert!((wrong as f32) < 0.2 * perimeter, "{wrong} wrong pixels");
}
