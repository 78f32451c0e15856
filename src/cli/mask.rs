//! `editseg mask`: the mask of what an editor painted, from the original and the edited image.

use super::Backend;
use editseg::{files, imageio, Error, Options};
use std::path::PathBuf;

/// Write the mask of what an editor painted (255 inside), at the original's size
#[derive(clap::Args)]
pub struct Args {
    /// The picture before the edit
    #[arg(long, value_name = "PATH")]
    original: PathBuf,
    /// The picture the editor returned (any size of the same aspect ratio)
    #[arg(long, value_name = "PATH")]
    edited: PathBuf,
    /// Where to write the mask (PNG)
    #[arg(long, value_name = "MASK.png")]
    out: PathBuf,
    /// Also write the heat map (PNG)
    #[arg(long, value_name = "PATH")]
    heat: Option<PathBuf>,
    /// Also write the mask outlined over the original (PNG)
    #[arg(long, value_name = "PATH")]
    overlay: Option<PathBuf>,
    /// Also write what the pipeline found and did (JSON)
    #[arg(long, value_name = "PATH")]
    stats: Option<PathBuf>,
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
    /// Keep the components touching this point of the original
    #[arg(long, value_name = "X,Y")]
    seed: Option<String>,
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
}

impl Cleanup {
    pub fn options(&self) -> Result<Options, Error> {
        let mut options = Options::default();
        for (key, value) in [
            ("color", &self.color),
            ("threshold", &self.threshold),
            ("keep", &self.keep),
            ("seed", &self.seed),
            ("open", &self.open),
            ("close", &self.close),
            ("min-area", &self.min_area),
            ("max-hole", &self.max_hole),
            ("max-shift", &self.max_shift),
            ("outline", &self.outline),
        ] {
            if let Some(value) = value {
                options.set(key, value)?;
            }
        }
        Ok(options)
    }
}

pub fn run(args: Args) -> Result<(), Error> {
    let options = args.cleanup.options()?;
    let original = imageio::read(&args.original)?;
    let edited = imageio::read(&args.edited)?;
    editseg::pipeline::check_sizes(&original, &edited)?;
    let segmenter = args.backend.open()?;
    let outcome = pollster::block_on(segmenter.mask_from_edit(&original, &edited, &options))?;
    files::write(&args.out, imageio::encode_png_gray(&outcome.mask))?;
    if let Some(p) = &args.heat {
        files::write(p, imageio::encode_png_rgba(&outcome.heat))?;
    }
    if let Some(p) = &args.overlay {
        files::write(p, imageio::encode_png_rgba(&outcome.overlay))?;
    }
    if let Some(p) = &args.stats {
        files::write_json(p, &outcome.stats)?;
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
