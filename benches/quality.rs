//! Quality benchmark: editor-like edits of real photos with known masks, segmented by EditSeg and
//! by the classic OpenCV recipe (scripts/opencv_recipe.py) in the same run. Every case comes
//! twice: painted with a hard edge, and with the paint faded over the edge the way diffusion
//! editors do (Gaussian sigma 0.6, 1.0 or 1.6 px, by seed).
//!
//!   cargo bench --bench quality [-- --backend cpu|gpu] [--out DIR] [--set today|frames|ragged|all]
//!
//! `--set frames`: edits answered in editors' frames (`frames`); `--set ragged`: superpixel-shaped
//! regions (`ragged`); `today`: the cases below; `all` (the default): all three.
//!
//! Prints a markdown table of cIoU and the worst case per edge and damage level, and how far the
//! outline sits from the paint's 50% line on the undamaged feathered edits.

use editseg::color::Style;
use editseg::synth;
use editseg::{imageio, BackendChoice, Differ, Options};
use image::GrayImage;
use std::collections::BTreeMap;
use std::path::PathBuf;

const PHOTOS: &[&str] = &["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"];
const SEEDS: std::ops::RangeInclusive<u64> = 1..=3;
const LEVELS: u32 = 4;
/// Feather sigmas in pixels, one per seed in turn.
const FEATHERS: [f32; 3] = [0.6, 1.0, 1.6];

/// The metrics' tally, plus which case was worst.
#[derive(Default)]
struct Tally {
    all: editseg::metrics::Tally,
    worst: Option<(f64, String)>,
}

impl Tally {
    fn add(&mut self, name: &str, (i, u): (u64, u64)) {
        self.all.add(i, u);
        let iou = if u == 0 { 1.0 } else { i as f64 / u as f64 };
        if self.worst.as_ref().is_none_or(|(w, _)| iou < *w) {
            self.worst = Some((iou, name.into()));
        }
    }
    fn cell(&self) -> String {
        let (w, name) = self.worst.clone().unwrap_or((1.0, "-".into()));
        format!("{:.4} | {:.3} ({name})", self.all.summary().ciou, w)
    }
}

/// How far `mask`'s outline lies from `truth`'s: the signed mean offset (area difference per
/// outline pixel; positive when the mask is larger) and the mean distance from each outline pixel
/// of the mask to the nearest outline pixel of the truth (searched up to 8 px away).
fn outline_offset(mask: &GrayImage, truth: &GrayImage) -> (f64, f64) {
    let outline = |m: &GrayImage| -> Vec<(i32, i32)> {
        let (w, h) = (m.width() as i32, m.height() as i32);
        let inside = |x: i32, y: i32| {
            x >= 0 && y >= 0 && x < w && y < h && m.get_pixel(x as u32, y as u32).0[0] > 127
        };
        (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                inside(x, y)
                    && [(1, 0), (-1, 0), (0, 1), (0, -1)]
                        .iter()
                        .any(|(dx, dy)| !inside(x + dx, y + dy))
            })
            .collect()
    };
    let (ours, theirs) = (outline(mask), outline(truth));
    let area = |m: &GrayImage| m.pixels().filter(|p| p.0[0] > 127).count() as f64;
    let signed = (area(mask) - area(truth)) / theirs.len().max(1) as f64;
    let near: std::collections::HashSet<(i32, i32)> = theirs.iter().copied().collect();
    let distance = |&(x, y): &(i32, i32)| {
        (0..=8)
            .find_map(|r: i32| {
                (-r..=r)
                    .flat_map(|dy| (-r..=r).map(move |dx| (dx, dy)))
                    .filter(|(dx, dy)| near.contains(&(x + dx, y + dy)))
                    .map(|(dx, dy)| ((dx * dx + dy * dy) as f64).sqrt())
                    .reduce(f64::min)
            })
            .unwrap_or(8.0)
    };
    let mean = ours.iter().map(distance).sum::<f64>() / ours.len().max(1) as f64;
    (signed, mean)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .map(|i| args[i + 1].clone())
    };
    let backend: BackendChoice = flag("--backend")
        .unwrap_or("cpu".into())
        .parse()
        .expect("--backend cpu|gpu|auto");
    let out = PathBuf::from(flag("--out").unwrap_or("target/quality".into()));
    let photos = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/photos");
    std::fs::create_dir_all(&out).unwrap();
    let differ = pollster::block_on(Differ::new(backend)).expect("backend");
    eprintln!("backend: {}", differ.backend());
    let set = flag("--set").unwrap_or("all".into());
    // Cases unlike the ones the stages were tuned on: other photos (`--photos DIR`, every PNG and
    // JPEG in it) and other seeds (`--seeds-from N`), for the frames and ragged sets.
    let held_out: Vec<PathBuf> = match flag("--photos") {
        Some(dir) => {
            let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
                .expect("--photos DIR")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "png" || x == "jpg"))
                .collect();
            v.sort();
            v
        }
        None => PHOTOS.iter().map(|p| photos.join(p)).collect(),
    };
    let seeds_from: u64 = flag("--seeds-from").map_or(0, |s| s.parse().expect("--seeds-from N"));
    if set == "frames" || set == "all" {
        frames(
            &differ,
            &held_out,
            seeds_from,
            &out.join("frames"),
            flag("--only"),
        );
    }
    if set == "ragged" || set == "all" {
        ragged(&differ, &held_out, seeds_from, &out.join("ragged"));
    }
    if set != "today" && set != "all" {
        return;
    }

    let mut cases = Vec::new();
    // Each photo as it is (0.14-0.27 MP, all seeds), and enlarged 3x (1.2-2.5 MP, where the
    // region is found on a smaller grid and its outline placed at full size; seed 1).
    for (photo, enlarge) in PHOTOS.iter().flat_map(|p| [(p, 1), (p, 3)]) {
        let original = imageio::read(&photos.join(photo)).expect("photo");
        let original = image::imageops::resize(
            &original,
            original.width() * enlarge,
            original.height() * enlarge,
            image::imageops::FilterType::CatmullRom,
        );
        let stem = format!(
            "{}{}",
            photo.split('.').next().unwrap(),
            if enlarge > 1 { "-3x" } else { "" }
        );
        let seeds = if enlarge > 1 { 1..=1 } else { SEEDS };
        for seed in seeds {
            for (style, level, feather) in [Style::Paint, Style::Overlay]
                .into_iter()
                .flat_map(|style| (0..LEVELS).map(move |level| (style, level)))
                .flat_map(|(style, level)| {
                    [0.0, FEATHERS[seed as usize % 3]].map(|f| (style, level, f))
                })
            {
                {
                    let case = synth::feathered_case(
                        &stem,
                        &original,
                        seed * 100 + level as u64,
                        style,
                        level,
                        feather,
                    );
                    let dir = out.join(&case.name);
                    std::fs::create_dir_all(&dir).unwrap();
                    case.original.save(dir.join("original.png")).unwrap();
                    case.edited.save(dir.join("edited.png")).unwrap();
                    case.truth.save(dir.join("truth.png")).unwrap();
                    cases.push(case);
                }
            }
        }
    }
    let status = std::process::Command::new("python3")
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/opencv_recipe.py"))
        .arg(&out)
        .status()
        .expect("python3 with opencv-python-headless");
    assert!(status.success(), "the OpenCV recipe failed");

    // Per size, edge and level: ours with the paint colour, ours without it, OpenCV.
    let mut tallies: BTreeMap<(bool, bool, u32), [Tally; 3]> = BTreeMap::new();
    // The outline's offset from the truth's on undamaged feathered edits: (signed, absolute).
    let mut offsets: Vec<(f64, f64)> = Vec::new();
    let mut all: [Tally; 3] = Default::default();
    let started = std::time::Instant::now();
    for case in &cases {
        let dir = out.join(&case.name);
        let mut with_color = Options::default();
        with_color.set("color", &case.color).unwrap();
        let known =
            pollster::block_on(differ.mask_from_edit(&case.original, &case.edited, &with_color))
                .expect("segment");
        let unknown = pollster::block_on(differ.mask_from_edit(
            &case.original,
            &case.edited,
            &Options::default(),
        ))
        .expect("segment");
        known.mask.save(dir.join("editseg.png")).unwrap();
        let opencv: GrayImage = image::open(dir.join("opencv.png")).unwrap().to_luma8();
        if case.feather > 0.0 && case.level == 0 {
            offsets.push(outline_offset(&known.mask, &case.truth));
        }
        let large = case.original.width() > 1000;
        let t = tallies
            .entry((large, case.feather > 0.0, case.level))
            .or_default();
        for (k, mask) in [&known.mask, &unknown.mask, &opencv]
            .into_iter()
            .enumerate()
        {
            let o = editseg::metrics::overlap(mask, &case.truth);
            t[k].add(&case.name, o);
            all[k].add(&case.name, o);
        }
    }
    eprintln!(
        "{} cases x 2 runs in {:.1} s",
        cases.len(),
        started.elapsed().as_secs_f64()
    );
    println!("| photos | edge | damage level | cases | EditSeg, colour known: cIoU | worst | EditSeg, colour unknown: cIoU | worst | OpenCV recipe: cIoU | worst |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for ((large, soft, level), t) in &tallies {
        println!(
            "| {} | {} | {level} | {} | {} | {} | {} |",
            if *large {
                "3x (1.2-2.5 MP)"
            } else {
                "as they are"
            },
            if *soft { "feathered" } else { "hard" },
            t[0].all.summary().count,
            t[0].cell(),
            t[1].cell(),
            t[2].cell()
        );
    }
    println!(
        "| all | all | all | {} | {} | {} | {} |",
        cases.len(),
        all[0].cell(),
        all[1].cell(),
        all[2].cell()
    );
    let n = offsets.len().max(1) as f64;
    let worst = offsets.iter().map(|o| o.1).fold(0.0, f64::max);
    println!(
        "\nOutline vs the paint's 50% line, undamaged feathered edits ({} cases): mean signed offset {:+.2} px (positive: outside), mean distance {:.2} px, worst case's mean distance {worst:.2} px",
        offsets.len(),
        offsets.iter().map(|o| o.0).sum::<f64>() / n,
        offsets.iter().map(|o| o.1).sum::<f64>() / n,
    );
}

/// The editor-frame cases: every family of `synth::Family` on each photo, both paint styles, hard
/// and feathered edges, damage levels in turn, answered at editors' ~1 MP frame sizes. EditSeg
/// (registration `auto`) beside the careful OpenCV user's recipe (`findTransformECC`, affine, then
/// the recipe) and the plain recipe. Figures over all pixels (the official ones) and over the
/// pixels the frame shows.
fn frames(
    differ: &Differ,
    photos: &[PathBuf],
    seeds_from: u64,
    out: &std::path::Path,
    only: Option<String>,
) {
    use editseg::synth::{framed_case, Family};
    std::fs::create_dir_all(out).unwrap();
    let mut cases = Vec::new();
    for (p, photo) in photos.iter().enumerate() {
        let original = imageio::read(photo).expect("photo");
        let stem = photo.file_stem().unwrap().to_string_lossy();
        for (f, family) in Family::ALL.into_iter().enumerate() {
            for (k, style) in [Style::Paint, Style::Overlay].into_iter().enumerate() {
                let seed = seeds_from + 1000 + 100 * p as u64 + 10 * f as u64 + k as u64;
                let level = (seed % 4) as u32;
                let feather = if seed.is_multiple_of(2) {
                    FEATHERS[(seed / 2 % 3) as usize]
                } else {
                    0.0
                };
                let (case, frame) =
                    framed_case(&stem, &original, seed, style, level, feather, family);
                if only
                    .as_ref()
                    .is_some_and(|o| !case.name.contains(o.as_str()))
                {
                    continue;
                }
                let dir = out.join(&case.name);
                std::fs::create_dir_all(&dir).unwrap();
                case.original.save(dir.join("original.png")).unwrap();
                case.edited.save(dir.join("edited.png")).unwrap();
                case.truth.save(dir.join("truth.png")).unwrap();
                std::fs::write(dir.join("frame.txt"), format!("{frame:#?}\n")).unwrap();
                let seen = frame.seen(original.width(), original.height());
                cases.push((case, family, seen));
            }
        }
    }
    let status = std::process::Command::new("python3")
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/opencv_recipe.py"))
        .arg(out)
        .arg("--ecc")
        .status()
        .expect("python3 with opencv-python-headless");
    assert!(status.success(), "the OpenCV recipe failed");
    // Per family: EditSeg (all pixels, seen pixels), OpenCV ECC + recipe, the plain recipe.
    let mut tallies: BTreeMap<String, [Tally; 4]> = BTreeMap::new();
    let mut all: [Tally; 4] = Default::default();
    let started = std::time::Instant::now();
    for (case, family, seen) in &cases {
        let dir = out.join(&case.name);
        let mut opts = Options::default();
        opts.set("color", &case.color).unwrap();
        let got = pollster::block_on(differ.mask_from_edit(&case.original, &case.edited, &opts))
            .expect("segment");
        got.mask.save(dir.join("editseg.png")).unwrap();
        std::fs::write(
            dir.join("stats.json"),
            serde_json::to_string_pretty(&got.stats).unwrap(),
        )
        .unwrap();
        let read = |name: &str| image::open(dir.join(name)).unwrap().to_luma8();
        let within = |m: &GrayImage| {
            GrayImage::from_fn(m.width(), m.height(), |x, y| {
                image::Luma([m.get_pixel(x, y).0[0].min(seen.get_pixel(x, y).0[0])])
            })
        };
        let results = [
            editseg::metrics::overlap(&got.mask, &case.truth),
            editseg::metrics::overlap(&within(&got.mask), &within(&case.truth)),
            editseg::metrics::overlap(&read("opencv_ecc.png"), &case.truth),
            editseg::metrics::overlap(&read("opencv.png"), &case.truth),
        ];
        let iou = |(i, u): (u64, u64)| i as f64 / u.max(1) as f64;
        std::fs::write(
            dir.join("iou.txt"),
            format!(
                "{:.4} {:.4} {:.4}\n",
                iou(results[0]),
                iou(results[2]),
                iou(results[3])
            ),
        )
        .unwrap();
        let t = tallies.entry(format!("{family:?}")).or_default();
        for (k, o) in results.into_iter().enumerate() {
            t[k].add(&case.name, o);
            all[k].add(&case.name, o);
        }
    }
    eprintln!(
        "{} framed cases in {:.1} s",
        cases.len(),
        started.elapsed().as_secs_f64()
    );
    println!("| frame family | cases | EditSeg: cIoU | worst | EditSeg, seen pixels: cIoU | worst | OpenCV findTransformECC + recipe: cIoU | worst | OpenCV recipe: cIoU | worst |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (family, t) in tallies.iter().chain([(&"all".to_string(), &all)]) {
        println!(
            "| {family} | {} | {} | {} | {} | {} |",
            t[0].all.summary().count,
            t[0].cell(),
            t[1].cell(),
            t[2].cell(),
            t[3].cell()
        );
    }
}

/// Ragged-outline cases: superpixel-shaped regions of each photo (`synth::ragged_case`), both
/// paint styles, hard and feathered edges, damage levels 0-3.
fn ragged(differ: &Differ, photos: &[PathBuf], seeds_from: u64, out: &std::path::Path) {
    std::fs::create_dir_all(out).unwrap();
    let mut t: BTreeMap<(bool, u32), Tally> = BTreeMap::new();
    let mut all = Tally::default();
    for (p, photo) in photos.iter().enumerate() {
        let original = imageio::read(photo).expect("photo");
        let stem = photo.file_stem().unwrap().to_string_lossy();
        for (k, style) in [Style::Paint, Style::Overlay].into_iter().enumerate() {
            for level in 0..LEVELS {
                for soft in [false, true] {
                    let seed = seeds_from
                        + 2000
                        + 100 * p as u64
                        + 10 * level as u64
                        + 2 * k as u64
                        + soft as u64;
                    let feather = if soft {
                        FEATHERS[(seed % 3) as usize]
                    } else {
                        0.0
                    };
                    let case =
                        editseg::synth::ragged_case(&stem, &original, seed, style, level, feather);
                    let mut opts = Options::default();
                    opts.set("color", &case.color).unwrap();
                    let got = pollster::block_on(differ.mask_from_edit(
                        &case.original,
                        &case.edited,
                        &opts,
                    ))
                    .expect("segment");
                    let dir = out.join(&case.name);
                    std::fs::create_dir_all(&dir).unwrap();
                    for (name, img) in [
                        ("original.png", &case.original),
                        ("edited.png", &case.edited),
                    ] {
                        img.save(dir.join(name)).unwrap();
                    }
                    case.truth.save(dir.join("truth.png")).unwrap();
                    std::fs::write(dir.join("color.txt"), &case.color).unwrap();
                    got.mask.save(dir.join("editseg.png")).unwrap();
                    let o = editseg::metrics::overlap(&got.mask, &case.truth);
                    t.entry((soft, level)).or_default().add(&case.name, o);
                    all.add(&case.name, o);
                }
            }
        }
    }
    println!(
        "\n| ragged outlines: edge | damage level | cases | EditSeg, colour known: cIoU | worst |"
    );
    println!("|---|---|---|---|---|");
    for ((soft, level), t) in t.iter() {
        println!(
            "| {} | {level} | {} | {} |",
            if *soft { "feathered" } else { "hard" },
            t.all.summary().count,
            t.cell()
        );
    }
    println!(
        "| all | all | {} | {} |",
        all.all.summary().count,
        all.cell()
    );
}
