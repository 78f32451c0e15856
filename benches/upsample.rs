//! Bringing a mask from the painter's 64x64 grid to the picture's size: joint bilateral
//! upsampling guided by the picture against plain bilinear upsampling, both from the exact 64x64
//! mask of RefScenes val samples, scored by cIoU against the exact mask at 256 and 512 pixels.
//!
//!   cargo bench --bench upsample

use editseg::cleanup::upsample;
use editseg::metrics::{overlap, Tally};
use editseg::painter::RES;
use editseg::pixels::{to_words, Grid};
use editseg::scenes::{Sample, Split};
use image::imageops::{resize, FilterType};
use image::GrayImage;

fn main() {
    println!("| size | samples | bilinear cIoU | joint bilateral cIoU |");
    println!("|---|---|---|---|");
    for size in [256u32, 512] {
        let (mut plain, mut guided) = (Tally::default(), Tally::default());
        let count = 200;
        for i in 0..count {
            let s = Sample::generate(Split::Val, i, 0);
            let picture = s.image(size, size);
            let truth = editseg::synth::truth(&s.cover(size, size), size, size);
            let small_mask = editseg::synth::truth(&s.cover(RES, RES), RES, RES);
            let small = resize(&picture, RES, RES, FilterType::Triangle);
            let (grid, full) = (Grid { w: RES, h: RES }, Grid { w: size, h: size });
            let a = GrayImage::from_raw(
                size,
                size,
                upsample::bilinear(small_mask.as_raw(), grid, full),
            )
            .unwrap();
            let b = GrayImage::from_raw(
                size,
                size,
                upsample::cpu(
                    small_mask.as_raw(),
                    &to_words(&small),
                    grid,
                    &to_words(&picture),
                    full,
                ),
            )
            .unwrap();
            let (i1, u1) = overlap(&a, &truth);
            plain.add(i1, u1);
            let (i2, u2) = overlap(&b, &truth);
            guided.add(i2, u2);
        }
        println!(
            "| {size}x{size} | {count} | {:.4} | {:.4} |",
            plain.summary().ciou,
            guided.summary().ciou
        );
    }
}
