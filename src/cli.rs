//! The command line.
//!
//!   editseg mask --original PATH --edited PATH --out MASK.png [--color NAME|#rrggbb]
//!                [--heat PATH] [--overlay PATH] [--stats PATH] [--backend auto|gpu|cpu]
//!                [--threshold N] [--keep all|largest] [--seed X,Y] [--open R] [--close R]
//!                [--min-area SHARE] [--max-hole SHARE] [--max-shift PX]

use editseg::{imageio, BackendChoice, Error, Options, Segmenter};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: editseg mask --original PATH --edited PATH --out MASK.png [--color NAME|#rrggbb] \
[--heat PATH] [--overlay PATH] [--stats PATH] [--backend auto|gpu|cpu] [--threshold N] [--keep all|largest] \
[--seed X,Y] [--open R] [--close R] [--min-area SHARE] [--max-hole SHARE] [--max-shift PX]";

#[derive(Default)]
struct Args {
    original: Option<PathBuf>,
    edited: Option<PathBuf>,
    out: Option<PathBuf>,
    heat: Option<PathBuf>,
    overlay: Option<PathBuf>,
    stats: Option<PathBuf>,
    backend: Option<BackendChoice>,
    options: Options,
}

fn parse(mut argv: impl Iterator<Item = String>) -> Result<Args, Error> {
    let usage = |why: String| Error::BadOption(format!("{why} (see editseg --help)"));
    match argv.next().as_deref() {
        Some("mask") => {}
        Some("--help" | "-h" | "help") => {
            println!("{USAGE}");
            std::process::exit(0);
        }
        Some(other) => return Err(usage(format!("unknown command {other:?}"))),
        None => return Err(usage("no command given".into())),
    }
    let mut args = Args::default();
    while let Some(flag) = argv.next() {
        let key = flag.strip_prefix("--").ok_or_else(|| usage(format!("unexpected argument {flag:?}")))?;
        let value = argv.next().ok_or_else(|| usage(format!("{flag} needs a value")))?;
        let path = || Some(PathBuf::from(&value));
        match key {
            "original" => args.original = path(),
            "edited" => args.edited = path(),
            "out" => args.out = path(),
            "heat" => args.heat = path(),
            "overlay" => args.overlay = path(),
            "stats" => args.stats = path(),
            "backend" => args.backend = Some(value.parse()?),
            _ => args.options.set(key, &value)?,
        }
    }
    for (given, flag) in [(&args.original, "--original"), (&args.edited, "--edited"), (&args.out, "--out")] {
        if given.is_none() {
            return Err(usage(format!("{flag} is required")));
        }
    }
    Ok(args)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    std::fs::write(path, bytes).map_err(|e| Error::Io { what: path.display().to_string(), reason: format!("cannot write: {e}") })
}

fn run() -> Result<(), Error> {
    let args = parse(std::env::args().skip(1))?;
    let original = imageio::read(args.original.as_deref().expect("checked"))?;
    let edited = imageio::read(args.edited.as_deref().expect("checked"))?;
    editseg::pipeline::check_sizes(&original, &edited)?;
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        // Mesa's Vulkan drivers print a warning to stderr when this is unset.
        std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir());
    }
    let segmenter = pollster::block_on(Segmenter::new(args.backend.unwrap_or(BackendChoice::Auto)))?;
    if let Some(why) = &segmenter.fallback {
        eprintln!("editseg: using the CPU path ({why})");
    }
    let outcome = pollster::block_on(segmenter.mask_from_edit(&original, &edited, &args.options))?;
    write(args.out.as_deref().expect("checked"), &imageio::encode_png_gray(&outcome.mask))?;
    if let Some(p) = &args.heat {
        write(p, &imageio::encode_png_rgba(&outcome.heat))?;
    }
    if let Some(p) = &args.overlay {
        write(p, &imageio::encode_png_rgba(&outcome.overlay))?;
    }
    if let Some(p) = &args.stats {
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
            ExitCode::from(if matches!(e, Error::BadOption(_)) { 2 } else { 1 })
        }
    }
}
