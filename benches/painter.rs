//! The painter natively on the CPU (burn `flex`): one forward pass at batch 1 with the shipped
//! weights, and a whole `segment` (parse, paint, diff, cleanup, upsample to 512x512; and again
//! with the picture's perception maps remembered), next to
//! the anchor they are judged against in the same run: the diff and cleanup stages alone on the
//! same 64x64 pair, which every edit pays whoever painted it. Also the files' sizes.
//!
//!   cargo bench --bench painter

use burn::prelude::Device;
use editseg::painter::segment::{paint, segment, Answer};
use editseg::painter::{find_in_maps, meaning_of, Painter};
use editseg::scenes::{Sample, Split};
use editseg::{BackendChoice, Differ, Options};
use std::path::Path;
use std::time::Instant;

const RUNS: usize = 30;

/// Median milliseconds of `RUNS` calls after one warm-up call.
fn median_ms(mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[RUNS / 2]
}

fn main() {
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/model");
    let weights = std::fs::read(model.join("painter.bpk")).unwrap();
    let painter = Painter::load(&weights, Device::flex()).unwrap();
    let differ = pollster::block_on(Differ::new(BackendChoice::Cpu)).unwrap();
    let sample = Sample::generate(Split::Val, 0, 1);
    let picture = sample.image(512, 512);
    let painted = pollster::block_on(paint(
        &painter,
        &picture,
        &sample.instruction,
        Default::default(),
    ))
    .unwrap()
    .expect("the scene has the object");
    let color = Options {
        color: Some(painted.paint),
        ..Options::default()
    };

    let forward = median_ms(|| {
        let maps = pollster::block_on(painter.perceive(&[&painted.small])).unwrap();
        let meaning = meaning_of(&painted.instruction.expression).unwrap();
        find_in_maps(&maps[0], &meaning).unwrap();
    });
    // Two requests in turn, so that the painter's memory of its last picture never answers.
    let other = Sample::generate(Split::Val, 1, 1);
    let requests = [
        (picture.clone(), &sample.instruction),
        (other.image(512, 512), &other.instruction),
    ];
    let mut turn = 0;
    let whole = median_ms(|| {
        let (picture, instruction) = &requests[turn % 2];
        turn += 1;
        pollster::block_on(segment(
            &painter,
            &differ,
            picture,
            instruction,
            &Options::default(),
            false,
        ))
        .unwrap();
    });
    // The same request again (a cleanup slider moved): the picture's maps are remembered.
    let again = median_ms(|| {
        let answer = pollster::block_on(segment(
            &painter,
            &differ,
            &picture,
            &sample.instruction,
            &Options::default(),
            false,
        ))
        .unwrap();
        let Answer::Found(result) = answer else {
            panic!("found before")
        };
        assert!(result.painted.reused);
    });
    let anchor = median_ms(|| {
        pollster::block_on(differ.mask_from_edit(&painted.small, &painted.edit, &color)).unwrap();
    });
    println!("| what | median ms ({RUNS} runs) |");
    println!("|---|---|");
    println!(
        "| painter at batch 1, 64x64: network, objects, program (target <= 30) | {forward:.1} |"
    );
    println!("| segment: instruction to 512x512 mask | {whole:.1} |");
    println!("| segment again, same request (maps remembered) | {again:.1} |");
    println!("| anchor: diff + cleanup of the 64x64 edit | {anchor:.1} |");
    println!(
        "weights: {} bytes (f16); {} parameters",
        weights.len(),
        painter.parameters()
    );
}
