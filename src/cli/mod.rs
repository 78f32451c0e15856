//! The command line.
//!
//!   editseg mask --original PATH --edited PATH --out MASK.png [--color NAME|#rrggbb]
//!                [--heat PATH] [--overlay PATH] [--stats PATH] [--backend auto|gpu|cpu]
//!                [--threshold N] [--keep all|largest] [--seed X,Y] [--open R] [--close R]
//!                [--min-area SHARE] [--max-hole SHARE] [--max-shift PX]
//!   editseg eval --data DIR --pred DIR [--edits] [--color NAME] [--json OUT] [mask options]
//!   editseg data preview|export --split NAME --count N --out PATH [--seed S] [--size PX]
//!   editseg segment --image PATH --instruction TEXT --out MASK.png [--edit-out PATH] [--color C] [--weights W]
//!   editseg train --target objects --steps N --out DIR --checkpoint DIR [--stop-at N] [--minutes M] ...
//!   editseg train --target paint|overlay|mask --steps N --out DIR [--batch B] [--lr X] [--seed S] [--resume]
//!   editseg eval-painter --split NAME [--count N] [--weights W] [--target T] [--json OUT]
//!   editseg plot-log --log LOG.csv --out CURVE.png

mod data;
mod painter;

use editseg::eval::{self, Predictions};
use editseg::refcoco::Dataset;
use editseg::{imageio, BackendChoice, Error, Options, Segmenter};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: editseg mask --original PATH --edited PATH --out MASK.png [--color NAME|#rrggbb] \
[--heat PATH] [--overlay PATH] [--stats PATH] [--backend auto|gpu|cpu] [--threshold N] [--keep all|largest] \
[--seed X,Y] [--open R] [--close R] [--min-area SHARE] [--max-hole SHARE] [--max-shift PX]
       editseg eval --data DIR --pred DIR [--edits] [--color NAME|#rrggbb] [--json OUT] [--backend auto|gpu|cpu] \
[mask options]
  eval scores one PNG per sentence in --pred, named {sent_id}.png: masks (255 = object), or with --edits
  edited images from any editor, against RefCOCO-format data in --data (refs(unc).p, instances.json, images/).
       editseg data preview --split train|val|testA|testB --count N --out SHEET.png [--seed S] [--size PX]
       editseg data export --split train|val|testA|testB|all --count N --out DIR [--seed S] [--size PX]
  data draws RefScenes samples: preview as a contact sheet (target outlined, expression below), export as a
  RefCOCO-format dataset (refs(unc).p, instances.json with polygons, images/); `all` is val, testA and testB.
  --size is the picture's side in pixels (default 128), --seed picks the samples (default 0).
       editseg segment --image PATH --instruction TEXT --out MASK.png [--edit-out PATH] [--color NAME|#rrggbb] [--weights W]
  segment runs the painter (default: the shipped weights, www/model/painter.bpk) on one instruction, e.g.
  \"paint the star in the top right purple\", and writes the mask at the image's size (255 inside).
       editseg train --target objects --steps N --out DIR --checkpoint CKPT [--stop-at N] [--minutes M] [--batch 16]
                     [--lr 0.002] [--seed S] [--eval-every 500] [--eval-count 200]
  train --target objects trains the shipped painter's perception net (per-pixel category, colour, size and centre)
  on RefScenes on the CPU. The run continues from CKPT when it holds a checkpoint (weights, EMA, optimiser state,
  step, CKPT/log.csv); --steps is the whole planned run (the learning-rate cycle spans it), --stop-at and
  --minutes end this sitting early with a checkpoint. DIR gets painter.bpk (f16 EMA weights) and vocab.txt.
       editseg train --target paint|overlay|mask --steps N --out DIR [--batch 16] [--lr 0.002] [--seed S] [--resume]
                     [--eval-every 500] [--eval-count 200]
  train with another target trains the end-to-end painter (words in, edited picture out), with checkpoints in
  DIR/checkpoint (--resume continues), DIR/log.csv, and DIR/painter.bpk (f16) + DIR/vocab.txt at the end.
       editseg eval-painter --split val|testA|testB [--count 1000] [--weights W] [--target paint|overlay|mask] [--json OUT]
                            [--oracle]
  eval-painter scores a painter's masks (cIoU, gIoU, mIoU, Prec@X) and its edit's PSNR outside the target,
  per kind of expression, and its selection accuracy (the object its mask overlaps most is the named one).
  --oracle scores the object recipe's program on perfect perception maps instead (the recipe's ceiling).
       editseg plot-log --log LOG.csv --out CURVE.png
  plot-log draws a training log's learning curve (val cIoU, gIoU, selection against samples seen) as PNG.";

#[derive(Clone, Copy, PartialEq)]
enum Command {
    Mask,
    Eval,
}

struct Args {
    command: Command,
    /// Path-valued flags by name (original, edited, out, heat, overlay, stats, data, pred, json).
    paths: std::collections::HashMap<String, PathBuf>,
    edits: bool,
    backend: Option<BackendChoice>,
    options: Options,
}

const PATH_FLAGS: &[&str] = &[
    "original", "edited", "out", "heat", "overlay", "stats", "data", "pred", "json",
];

fn parse(mut argv: impl Iterator<Item = String>) -> Result<Args, Error> {
    let usage = |why: String| Error::BadOption(format!("{why} (see editseg --help)"));
    let command = match argv.next().as_deref() {
        Some("mask") => Command::Mask,
        Some("eval") => Command::Eval,
        Some("--help" | "-h" | "help") => {
            println!("{USAGE}");
            std::process::exit(0);
        }
        Some(other) => {
            return Err(usage(format!(
                "unknown command {other:?}: use mask, eval or data"
            )))
        }
        None => return Err(usage("no command given".into())),
    };
    let mut args = Args {
        command,
        paths: Default::default(),
        edits: false,
        backend: None,
        options: Options::default(),
    };
    while let Some(flag) = argv.next() {
        let key = flag
            .strip_prefix("--")
            .ok_or_else(|| usage(format!("unexpected argument {flag:?}")))?;
        if key == "edits" && command == Command::Eval {
            args.edits = true;
            continue;
        }
        let value = argv
            .next()
            .ok_or_else(|| usage(format!("{flag} needs a value")))?;
        match key {
            k if PATH_FLAGS.contains(&k) => {
                args.paths.insert(k.into(), PathBuf::from(&value));
            }
            "backend" => args.backend = Some(value.parse()?),
            _ => args.options.set(key, &value)?,
        }
    }
    let required: &[&str] = match command {
        Command::Mask => &["original", "edited", "out"],
        Command::Eval => &["data", "pred"],
    };
    for flag in required {
        if !args.paths.contains_key(*flag) {
            return Err(usage(format!("--{flag} is required")));
        }
    }
    Ok(args)
}

pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    std::fs::write(path, bytes).map_err(|e| Error::Io {
        what: path.display().to_string(),
        reason: format!("cannot write: {e}"),
    })
}

pub(crate) fn segmenter(backend: Option<BackendChoice>) -> Result<Segmenter, Error> {
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        // Mesa's Vulkan drivers print a warning to stderr when this is unset.
        std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir());
    }
    let segmenter = pollster::block_on(Segmenter::new(backend.unwrap_or(BackendChoice::Auto)))?;
    if let Some(why) = &segmenter.fallback {
        eprintln!("editseg: using the CPU path ({why})");
    }
    Ok(segmenter)
}

fn run_eval(args: &Args) -> Result<(), Error> {
    let data = Dataset::open(&args.paths["data"])?;
    let segmenter = if args.edits {
        Some(segmenter(args.backend)?)
    } else {
        None
    };
    let predictions = match &segmenter {
        Some(s) => Predictions::Edits(s, &args.options),
        None => Predictions::Masks,
    };
    let report = eval::evaluate(&data, &args.paths["pred"], &predictions, &progress_bar())?;
    print!("{}", report.table());
    if !report.missing.is_empty() {
        eprintln!(
            "editseg: {} predictions missing (counted as empty): {:?}",
            report.missing.len(),
            report.missing
        );
    }
    if let Some(p) = args.paths.get("json") {
        write(p, report.to_json().as_bytes())?;
    }
    Ok(())
}

/// `--key value` flags and `--switch`es of one command, checked against the ones it takes.
pub(crate) struct Flags {
    command: String,
    values: HashMap<String, String>,
    switches: Vec<String>,
}

pub(crate) fn usage(why: String) -> Error {
    Error::BadOption(format!("{why} (see editseg --help)"))
}

impl Flags {
    pub(crate) fn parse(
        command: &str,
        mut argv: impl Iterator<Item = String>,
        values: &[&str],
        switches: &[&str],
    ) -> Result<Flags, Error> {
        let mut flags = Flags {
            command: command.into(),
            values: HashMap::new(),
            switches: Vec::new(),
        };
        while let Some(flag) = argv.next() {
            match flag.strip_prefix("--") {
                Some(k) if switches.contains(&k) => flags.switches.push(k.into()),
                Some(k) if values.contains(&k) => {
                    let value = argv
                        .next()
                        .ok_or_else(|| usage(format!("{flag} needs a value")))?;
                    flags.values.insert(k.into(), value);
                }
                _ => return Err(usage(format!("unexpected argument {flag:?} for {command}"))),
            }
        }
        Ok(flags)
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    pub(crate) fn need(&self, key: &str) -> Result<&str, Error> {
        self.get(key)
            .ok_or_else(|| usage(format!("{} needs --{key}", self.command)))
    }

    pub(crate) fn has(&self, switch: &str) -> bool {
        self.switches.iter().any(|s| s == switch)
    }

    /// A whole number in `range`, or `default` when the flag is absent.
    pub(crate) fn number(
        &self,
        key: &str,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<u64, Error> {
        self.get(key).map_or(Ok(default), |v| {
            v.parse::<u64>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| {
                    usage(format!(
                        "--{key} must be a whole number from {} to {}, not {v:?}",
                        range.start(),
                        range.end()
                    ))
                })
        })
    }
}

/// A bar on stderr when it is a terminal, else nothing.
pub(crate) fn progress_bar() -> impl Fn(usize, usize) + Sync {
    let show = std::io::stderr().is_terminal();
    move |done: usize, total: usize| {
        if show {
            let filled = 30 * done / total.max(1);
            eprint!(
                "\r[{}{}] {done}/{total}",
                "#".repeat(filled),
                " ".repeat(30 - filled)
            );
            if done == total {
                eprintln!();
            }
        }
    }
}

fn run() -> Result<(), Error> {
    let mut argv = std::env::args().skip(1).peekable();
    match argv.peek().map(String::as_str) {
        Some("data") => return data::run(argv.skip(1)),
        Some("train") => return painter::train(argv.skip(1)),
        Some("segment") => return painter::segment(argv.skip(1)),
        Some("eval-painter") => return painter::eval(argv.skip(1)),
        Some("plot-log") => return painter::plot_log(argv.skip(1)),
        _ => {}
    }
    let args = parse(argv)?;
    if args.command == Command::Eval {
        return run_eval(&args);
    }
    let original = imageio::read(&args.paths["original"])?;
    let edited = imageio::read(&args.paths["edited"])?;
    editseg::pipeline::check_sizes(&original, &edited)?;
    let segmenter = segmenter(args.backend)?;
    let outcome = pollster::block_on(segmenter.mask_from_edit(&original, &edited, &args.options))?;
    write(&args.paths["out"], &imageio::encode_png_gray(&outcome.mask))?;
    if let Some(p) = args.paths.get("heat") {
        write(p, &imageio::encode_png_rgba(&outcome.heat))?;
    }
    if let Some(p) = args.paths.get("overlay") {
        write(p, &imageio::encode_png_rgba(&outcome.overlay))?;
    }
    if let Some(p) = args.paths.get("stats") {
        write(p, outcome.stats.to_json().as_bytes())?;
    }
    for note in &outcome.stats.notes {
        eprintln!("editseg: {note}");
    }
    let s = &outcome.stats;
    println!(
        "mask {}x{}: {} pixels ({:.2}%), threshold {}{}, shift ({}, {}), backend {}",
        s.width,
        s.height,
        s.area,
        100.0 * s.area_fraction,
        s.threshold,
        if s.threshold_auto { " (auto)" } else { "" },
        s.shift.0,
        s.shift.1,
        s.backend
    );
    Ok(())
}

pub fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("editseg: {e}");
            ExitCode::from(if matches!(e, Error::BadOption(_)) {
                2
            } else {
                1
            })
        }
    }
}
