//! `editseg train`, `editseg segment` and `editseg eval-painter`.

use super::{progress_bar, segmenter, usage, write, Flags};
use editseg::painter::evaluate::evaluate;
use editseg::painter::segment::segment as run_segment;
use editseg::painter::evaluate::KINDS;
use editseg::painter::train::{self, Config, Event, ObjectsConfig};
use editseg::painter::{Painter, Target, Vocabulary};
use editseg::scenes::Split;
use editseg::{imageio, Error};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The shipped weights: the demo page fetches the same files.
fn default_weights() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("www/model/painter.bpk")
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    if !path.exists() {
        return Err(Error::FileMissing(path.display().to_string()));
    }
    std::fs::read(path).map_err(|e| Error::Io {
        what: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// A weights error with the file it is about.
fn naming(path: &Path, e: Error) -> Error {
    match e {
        Error::Weights(m) => Error::Weights(format!("{}: {m}", path.display())),
        other => other,
    }
}

/// Weights and the `vocab.txt` beside them, on the CPU.
fn load(weights: &Path) -> Result<Painter, Error> {
    let vocab_path = weights.with_file_name("vocab.txt");
    let text = String::from_utf8(read(&vocab_path)?)
        .map_err(|_| Error::Weights(format!("{}: not text", vocab_path.display())))?;
    let vocabulary = Vocabulary::parse(&text).map_err(|e| naming(&vocab_path, e))?;
    Painter::load(&read(weights)?, vocabulary, burn::prelude::Device::flex()).map_err(|e| naming(weights, e))
}

pub fn train(argv: impl Iterator<Item = String>) -> Result<(), Error> {
    let flags = Flags::parse(
        "train",
        argv,
        &[
            "target",
            "steps",
            "batch",
            "out",
            "seed",
            "lr",
            "eval-every",
            "eval-count",
            "checkpoint",
            "stop-at",
            "minutes",
        ],
        &["resume"],
    )?;
    let learning_rate = flags.get("lr").map_or(Ok(2e-3), |v| {
        v.parse::<f64>()
            .ok()
            .filter(|x| *x > 0.0 && *x < 1.0)
            .ok_or_else(|| usage(format!("--lr must be a number between 0 and 1, not {v:?}")))
    })?;
    if flags.need("target")? == "objects" {
        return train_objects(&flags, learning_rate);
    }
    let config = Config {
        target: Target::parse(flags.need("target")?)?,
        steps: flags.number("steps", 0, 1..=10_000_000)?,
        batch: flags.number("batch", 16, 1..=1024)? as usize,
        learning_rate,
        seed: flags.number("seed", 0, 0..=u64::MAX)?,
        out: PathBuf::from(flags.need("out")?),
        resume: flags.has("resume"),
        eval_every: flags.number("eval-every", 500, 1..=10_000_000)?,
        eval_count: flags.number("eval-count", 200, 1..=100_000)?,
    };
    if config.steps == 0 {
        return Err(usage("train needs --steps".into()));
    }
    let device = burn::prelude::Device::flex().autodiff();
    train::run(&config, &device, &mut reporter(config.steps))?;
    println!(
        "weights written to {}",
        config.out.join("painter.bpk").display()
    );
    Ok(())
}

/// The object recipe (the shipped painter): resumes from `--checkpoint` when it holds one.
fn train_objects(flags: &Flags, learning_rate: f64) -> Result<(), Error> {
    let steps = flags.number("steps", 0, 1..=10_000_000)?;
    let config = ObjectsConfig {
        steps,
        stop_at: flags.number("stop-at", steps, 1..=10_000_000)?,
        batch: flags.number("batch", 16, 1..=1024)? as usize,
        learning_rate,
        seed: flags.number("seed", 0, 0..=u64::MAX)?,
        out: PathBuf::from(flags.need("out")?),
        checkpoint: PathBuf::from(flags.need("checkpoint")?),
        eval_every: flags.number("eval-every", 500, 1..=10_000_000)?,
        eval_count: flags.number("eval-count", 200, 1..=100_000)?,
        seconds: flags
            .get("minutes")
            .map(|m| {
                m.parse::<f64>()
                    .ok()
                    .filter(|x| *x > 0.0)
                    .map(|x| x * 60.0)
                    .ok_or_else(|| usage(format!("--minutes must be a positive number, not {m:?}")))
            })
            .transpose()?,
    };
    let device = burn::prelude::Device::flex().autodiff();
    train::run_objects(&config, &device, &mut reporter(steps))?;
    println!(
        "weights written to {}",
        config.out.join("painter.bpk").display()
    );
    Ok(())
}

/// Progress lines on stderr for a run of `total` steps.
fn reporter(total: u64) -> impl FnMut(Event) {
    let started = Instant::now();
    let mut first = None;
    move |event: Event| match event {
        Event::Step {
            step,
            loss,
            images_per_second,
        } => {
            let (from, at) = *first.get_or_insert((step.saturating_sub(10), Instant::now()));
            let per_step = at.elapsed().as_secs_f64() / (step - from).max(1) as f64;
            let eta = per_step * (total - step) as f64;
            eprintln!("step {step}/{total}  loss {loss:.4}  {images_per_second:.1} images/s  eta {:.0} min", eta / 60.0);
        }
        Event::Eval { step, report } => eprintln!(
            "step {step}: val cIoU {:.3}  gIoU {:.3}  selection {:.3}  PSNR outside {:.1} dB  ({:.0} s)",
            report.summary.ciou,
            report.summary.giou,
            report.selection,
            report.psnr_outside,
            started.elapsed().as_secs_f64()
        ),
        Event::Resumed { step } => eprintln!("resuming at step {step}"),
    }
}

fn colour(flags: &Flags) -> Result<Option<[u8; 3]>, Error> {
    flags.get("color").map(editseg::color::parse).transpose()
}

pub fn segment(argv: impl Iterator<Item = String>) -> Result<(), Error> {
    let flags = Flags::parse(
        "segment",
        argv,
        &[
            "image",
            "instruction",
            "out",
            "edit-out",
            "color",
            "weights",
            "backend",
        ],
        &[],
    )?;
    let picture = imageio::read(Path::new(flags.need("image")?))?;
    let instruction = flags.need("instruction")?;
    let out = PathBuf::from(flags.need("out")?);
    let options = editseg::Options {
        color: colour(&flags)?,
        ..Default::default()
    };
    let painter = load(
        &flags
            .get("weights")
            .map_or_else(default_weights, PathBuf::from),
    )?;
    let segmenter = segmenter(flags.get("backend").map(str::parse).transpose()?)?;
    let clock = Instant::now();
    let result = pollster::block_on(run_segment(
        &painter,
        &segmenter,
        &picture,
        instruction,
        &options,
    ))?;
    write(&out, &imageio::encode_png_gray(&result.mask))?;
    if let Some(path) = flags.get("edit-out") {
        let edit = image::imageops::resize(
            &result.painted.edit,
            picture.width(),
            picture.height(),
            image::imageops::FilterType::Triangle,
        );
        write(Path::new(path), &imageio::encode_png_rgba(&edit))?;
    }
    let area = result.mask.pixels().filter(|p| p.0[0] > 0).count();
    if area == 0 {
        eprintln!(
            "editseg: the painter found no object in the picture that {:?} names; the mask is empty",
            result.painted.instruction.expression
        );
    }
    let t = result.timings;
    println!(
        "{:?} painted #{:02x}{:02x}{:02x}: mask {}x{}, {area} pixels ({:.1}%), {:.0} ms (painter {:.0}, diff {:.0}, upsample {:.0})",
        result.painted.instruction.expression,
        result.painted.paint[0],
        result.painted.paint[1],
        result.painted.paint[2],
        picture.width(),
        picture.height(),
        100.0 * area as f64 / (picture.width() * picture.height()) as f64,
        clock.elapsed().as_secs_f64() * 1000.0,
        t.painter,
        t.diff,
        t.upsample
    );
    Ok(())
}

pub fn eval(argv: impl Iterator<Item = String>) -> Result<(), Error> {
    let flags = Flags::parse(
        "eval-painter",
        argv,
        &["weights", "split", "count", "json", "target", "seed"],
        &["oracle"],
    )?;
    let painter = if flags.has("oracle") {
        None
    } else {
        Some(load(
            &flags
                .get("weights")
                .map_or_else(default_weights, PathBuf::from),
        )?)
    };
    let split = Split::parse(flags.need("split")?)?;
    let target = Target::parse(flags.get("target").unwrap_or("paint"))?;
    let count = flags.number("count", 1000, 1..=1_000_000)?;
    let report = evaluate(
        painter.as_ref(),
        target,
        split,
        count,
        flags.number("seed", 0, 0..=u64::MAX)?,
        &progress_bar(),
    )?;
    let s = &report.summary;
    println!("| split | count | cIoU | gIoU | mIoU | Prec@0.5 | Prec@0.6 | Prec@0.7 | Prec@0.8 | Prec@0.9 | PSNR outside (dB) |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {} | {} | {:.1} | {:.1} | {:.1} | {} | {:.1} |",
        split.name(),
        s.count,
        100.0 * s.ciou,
        100.0 * s.giou,
        100.0 * s.miou,
        s.prec
            .iter()
            .map(|p| format!("{:.1}", 100.0 * p))
            .collect::<Vec<_>>()
            .join(" | "),
        report.psnr_outside
    );
    println!(
        "selection accuracy {:.1}%; cIoU when the right object is selected {:.1} ({} samples)",
        100.0 * report.selection,
        100.0 * report.when_selected.ciou,
        report.when_selected.count
    );
    for (name, k) in KINDS.iter().zip(&report.kinds) {
        if k.count > 0 {
            println!("  {name}: cIoU {:.1} over {} samples", 100.0 * k.ciou, k.count);
        }
    }
    if let Some(path) = flags.get("json") {
        write(Path::new(path), report.to_json().as_bytes())?;
    }
    Ok(())
}

/// `editseg plot-log --log LOG.csv --out curve.png`: the learning curve of a training log.
pub fn plot_log(argv: impl Iterator<Item = String>) -> Result<(), Error> {
    let flags = Flags::parse("plot-log", argv, &["log", "out"], &[])?;
    let log = PathBuf::from(flags.need("log")?);
    let text = String::from_utf8(read(&log)?)
        .map_err(|_| Error::BadOption(format!("{}: not text", log.display())))?;
    let png = editseg::plot::learning_curve(&text)?;
    let out = PathBuf::from(flags.need("out")?);
    write(&out, &png)?;
    println!("learning curve written to {}", out.display());
    Ok(())
}
