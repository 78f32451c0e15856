//! `editseg mask`: the mask of what an editor painted, from the original and the edited image;
//! with `--batch`, for every pair in a list.

use super::{progress_bar, Backend};
use editseg::{files, imageio, Differ, Error, Options};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// Write the mask of what an editor painted (255 inside), at the original's size
#[derive(clap::Args)]
pub struct Args {
    /// The picture before the edit
    #[arg(long, value_name = "PATH", required_unless_present = "batch")]
    original: Option<PathBuf>,
    /// The picture the editor returned (any size of the same aspect ratio)
    #[arg(long, value_name = "PATH", required_unless_present = "batch")]
    edited: Option<PathBuf>,
    /// Where to write the mask (PNG)
    #[arg(long, value_name = "MASK.png", required_unless_present = "batch")]
    out: Option<PathBuf>,
    /// Also write the heat map (PNG)
    #[arg(long, value_name = "PATH")]
    heat: Option<PathBuf>,
    /// Also write the mask outlined over the original (PNG)
    #[arg(long, value_name = "PATH")]
    overlay: Option<PathBuf>,
    /// Also write what the pipeline found and did (JSON)
    #[arg(long, value_name = "PATH")]
    stats: Option<PathBuf>,
    /// Also write the pixels of the original the edit's frame shows (255) and does not (0) as a
    /// mask (PNG): an editor that cropped the picture says nothing about the rest
    #[arg(long, value_name = "PATH")]
    visible_out: Option<PathBuf>,
    /// Many pairs, run in parallel: a tab-separated list with one pair per line (original,
    /// edited, out, and optionally the colour); relative paths are read from the list's folder,
    /// lines starting with # are skipped
    #[arg(
        long,
        value_name = "LIST.tsv",
        conflicts_with_all = ["original", "edited", "out", "heat", "overlay", "stats", "visible_out"]
    )]
    batch: Option<PathBuf>,
    /// Keep the components touching this point of the original
    #[arg(long, value_name = "X,Y")]
    seed: Option<String>,
    #[command(flatten)]
    backend: Backend,
    #[command(flatten)]
    cleanup: Cleanup,
}

/// The diff and cleanup options, read by [`Options::set`] as in the JS options object.
#[derive(clap::Args)]
pub struct Cleanup {
    /// The colour the editor was asked to paint: a name or #rrggbb
    #[arg(long, value_name = "NAME|#rrggbb")]
    color: Option<String>,
    /// A fixed score threshold, 0-255 [default: automatic]
    #[arg(long, value_name = "N")]
    threshold: Option<String>,
    /// Which components to keep
    #[arg(long, value_name = "all|largest")]
    keep: Option<String>,
    /// Opening disk radius [default: from the image size]
    #[arg(long, value_name = "R")]
    open: Option<String>,
    /// Closing disk radius [default: from the image size]
    #[arg(long, value_name = "R")]
    close: Option<String>,
    /// Drop components smaller than this share of the image [default: 0.0005]
    #[arg(long, value_name = "SHARE")]
    min_area: Option<String>,
    /// Fill holes no larger than this share of the image [default: 0.01]
    #[arg(long, value_name = "SHARE")]
    max_hole: Option<String>,
    /// Largest shift to search for, in the edited image's pixels [default: 2]
    #[arg(long, value_name = "PX")]
    max_shift: Option<String>,
    /// Where the outline goes: half (where the paint is at half its local strength) or
    /// threshold (around every pixel above the threshold) [default: half]
    #[arg(long, value_name = "half|threshold")]
    outline: Option<String>,
    /// How the edit's frame is brought onto the original's: auto (the simplest that explains
    /// it), shift (stretched, then a whole-pixel shift), affine (scale, turn, shift) or flow
    /// (affine plus a smooth drift) [default: auto]
    #[arg(long, value_name = "auto|shift|affine|flow")]
    register: Option<String>,
    /// Which diff finds the painted region: editseg, or ming (the article's own recipe, for
    /// comparing with its numbers) [default: editseg]
    #[arg(long, value_name = "editseg|ming")]
    diff: Option<String>,
}

impl Cleanup {
    pub fn options(&self) -> Result<Options, Error> {
        let mut options = self.options_without_color()?;
        if let Some(c) = &self.color {
            options.set("color", c)?;
        }
        Ok(options)
    }

    /// The colour option as given (`eval --editor` also takes `auto`).
    pub fn color(&self) -> Option<&str> {
        self.color.as_deref()
    }

    /// Every option but the colour, which `eval --editor` sets per edit.
    pub fn options_without_color(&self) -> Result<Options, Error> {
        let mut options = Options::default();
        for (key, value) in [
            ("threshold", &self.threshold),
            ("keep", &self.keep),
            ("open", &self.open),
            ("close", &self.close),
            ("min-area", &self.min_area),
            ("max-hole", &self.max_hole),
            ("max-shift", &self.max_shift),
            ("outline", &self.outline),
            ("register", &self.register),
            ("diff", &self.diff),
        ] {
            if let Some(value) = value {
                options.set(key, value)?;
            }
        }
        Ok(options)
    }
}

pub fn run(args: Args) -> Result<(), Error> {
    let mut options = args.cleanup.options()?;
    if let Some(seed) = &args.seed {
        options.set("seed", seed)?;
    }
    if let Some(list) = &args.batch {
        let pairs = read_list(list, &options)?;
        return run_batch(&args.backend.open()?, list, &pairs);
    }
    // clap requires these three without --batch.
    let (Some(original), Some(edited), Some(out)) = (&args.original, &args.edited, &args.out)
    else {
        unreachable!("clap requires --original, --edited and --out without --batch")
    };
    let original = imageio::read(original)?;
    let edited = imageio::read(edited)?;
    editseg::pipeline::check_sizes(&original, &edited)?;
    let differ = args.backend.open()?;
    let outcome = pollster::block_on(differ.mask_from_edit(&original, &edited, &options))?;
    files::write(out, imageio::encode_png_gray(&outcome.mask))?;
    if let Some(p) = &args.heat {
        files::write(p, imageio::encode_png_rgba(&outcome.heat))?;
    }
    if let Some(p) = &args.overlay {
        files::write(p, imageio::encode_png_rgba(&outcome.overlay))?;
    }
    if let Some(p) = &args.stats {
        files::write_json(p, &outcome.stats)?;
    }
    if let Some(p) = &args.visible_out {
        let all = || {
            image::GrayImage::from_pixel(original.width(), original.height(), image::Luma([255]))
        };
        let seen = outcome.visible.clone().unwrap_or_else(all);
        files::write(p, imageio::encode_png_gray(&seen))?;
    }
    for note in &outcome.stats.notes {
        eprintln!("editseg: {note}");
    }
    let s = &outcome.stats;
    let counts = match (s.dispatches, s.readbacks) {
        (Some(d), Some(r)) => format!(" ({d} dispatches, {r} readbacks)"),
        _ => String::new(),
    };
    let r = &s.registration;
    let frame = match r.method {
        editseg::diff::register::Method::Shift => String::new(),
        _ => format!(
            ", registered ({:?}: scale {:.3}x{:.3}, turn {:.2} deg, drift up to {:.1} px, {:.1}% seen)",
            r.method,
            r.scale[0],
            r.scale[1],
            r.rotation,
            r.largest_drift,
            100.0 * s.visible_share
        )
        .to_lowercase(),
    };
    println!(
        "mask {}x{}: {} pixels ({:.2}%), threshold {}{}, shift ({}, {}){frame}, backend {}{counts}",
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

/// One line of a batch list.
struct Pair {
    line: usize,
    original: PathBuf,
    edited: PathBuf,
    out: PathBuf,
    options: Options,
}

/// Every pair of the list, or the first line that is not one, named by its number.
fn read_list(list: &Path, options: &Options) -> Result<Vec<Pair>, Error> {
    let text = files::read_text(list)?;
    let folder = list.parent().unwrap_or(Path::new(""));
    let bad = |line: usize, reason: String| Error::BadList {
        list: list.display().to_string(),
        line,
        reason,
    };
    let mut pairs = Vec::new();
    for (i, row) in text.lines().enumerate() {
        let line = i + 1;
        if row.trim().is_empty() || row.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = row.split('\t').map(str::trim).collect();
        if !(3..=4).contains(&fields.len()) || fields[..3].iter().any(|f| f.is_empty()) {
            return Err(bad(
                line,
                format!(
                    "expected original, edited, out and optionally a colour, separated by tabs; got {} field(s)",
                    fields.len()
                ),
            ));
        }
        let mut options = options.clone();
        if let Some(color) = fields.get(3).filter(|c| !c.is_empty()) {
            options
                .set("color", color)
                .map_err(|e| bad(line, e.to_string()))?;
        }
        pairs.push(Pair {
            line,
            original: folder.join(fields[0]),
            edited: folder.join(fields[1]),
            out: folder.join(fields[2]),
            options,
        });
    }
    if pairs.is_empty() {
        return Err(bad(0, "no pairs in the list".into()));
    }
    Ok(pairs)
}

/// All pairs on all cores; a pair that fails is reported by its line and the others go on.
fn run_batch(differ: &Differ, list: &Path, pairs: &[Pair]) -> Result<(), Error> {
    let done = std::sync::atomic::AtomicUsize::new(0);
    let progress = progress_bar();
    let results: Vec<Result<(), Error>> = pairs
        .par_iter()
        .map(|p| {
            let result = (|| {
                let original = imageio::read(&p.original)?;
                let edited = imageio::read(&p.edited)?;
                let outcome =
                    pollster::block_on(differ.mask_from_edit(&original, &edited, &p.options))?;
                files::write(&p.out, imageio::encode_png_gray(&outcome.mask))
            })();
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(n, pairs.len());
            result
        })
        .collect();
    let mut failed = 0;
    for (p, r) in pairs.iter().zip(&results) {
        if let Err(e) = r {
            failed += 1;
            eprintln!("editseg: {} line {}: {e}", list.display(), p.line);
        }
    }
    println!("{} masks written, {failed} failed", pairs.len() - failed);
    if failed > 0 {
        return Err(Error::BadList {
            list: list.display().to_string(),
            line: 0,
            reason: format!("{failed} of {} pairs failed (listed above)", pairs.len()),
        });
    }
    Ok(())
}
