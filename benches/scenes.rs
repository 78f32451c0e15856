//! RefScenes generation speed on one core: samples per second at 64x64 and 128x128, for the
//! scene and its verified expression alone, with the picture and exact mask drawn, and with all
//! three edit targets (painted, overlay, mask) as training consumes them.
//!
//!   cargo bench --bench scenes
//!
//! Prints a markdown table. Target: >= 2000 samples/s at 64x64 with picture and mask.

use editseg::scenes::{Sample, Split};
use std::time::Instant;

fn rate(count: u64, work: impl Fn(u64)) -> f64 {
    let start = Instant::now();
    for i in 0..count {
        work(i);
    }
    count as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    // Draws from every split, as evaluation does; training draws only train.
    let sample = |i: u64| Sample::generate(Split::ALL[(i % 4) as usize], i / 4, 7);
    let scene_only = rate(20_000, |i| {
        std::hint::black_box(sample(i));
    });
    println!("| size | scene + expression, /s | + picture and mask, /s | + painted and overlay targets, /s |");
    println!("|---|---|---|---|");
    for size in [64u32, 128] {
        let count = if size == 64 { 8000 } else { 3000 };
        let drawn = rate(count, |i| {
            let s = sample(i);
            std::hint::black_box((
                s.image(size, size),
                editseg::synth::truth(&s.cover(size, size), size, size),
            ));
        });
        let full = rate(count, |i| {
            std::hint::black_box(sample(i).targets(size, size));
        });
        println!("| {size}x{size} | {scene_only:.0} | {drawn:.0} | {full:.0} |");
    }
}
