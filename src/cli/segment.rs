//! `editseg segment`: the painter on one instruction, the mask at the image's size, or the
//! reason there is none (exit status 3).

use super::{Backend, Weights};
use editseg::painter::segment::{segment, Answer, NotFound};
use editseg::{color, files, imageio, Error, Options};
use std::path::PathBuf;
use std::time::Instant;

/// Run the painter on one instruction, e.g. "paint the star in the top right purple", and write
/// the mask at the image's size (255 inside). When nothing in the picture fits, it writes no
/// mask, says why and exits with status 3
#[derive(clap::Args)]
pub struct Args {
    /// The picture
    #[arg(long, value_name = "PATH")]
    image: PathBuf,
    /// What to paint, e.g. "paint the small heart left of the box red"
    #[arg(long, value_name = "TEXT")]
    instruction: String,
    /// Where to write the mask (PNG)
    #[arg(long, value_name = "MASK.png")]
    out: PathBuf,
    /// Also write the painter's edit, at the image's size (PNG)
    #[arg(long, value_name = "PATH")]
    edit_out: Option<PathBuf>,
    /// The paint, overriding the instruction's: a name or #rrggbb
    #[arg(long, value_name = "NAME|#rrggbb")]
    color: Option<String>,
    /// Also write what was found as JSON: {found, reason, note, sceneLikeness, expression,
    /// paint, stats}
    #[arg(long, value_name = "PATH")]
    stats: Option<PathBuf>,
    /// Paint even when the picture does not look like a RefScenes scene
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    weights: Weights,
    #[command(flatten)]
    backend: Backend,
}

/// What `--stats` holds.
#[derive(serde::Serialize)]
struct Report<'a> {
    found: bool,
    #[serde(flatten)]
    not_found: Option<&'a NotFound>,
    expression: &'a str,
    paint: Option<String>,
    stats: Option<&'a editseg::Stats>,
}

/// Whether a mask was written: `Ok(false)` when nothing in the picture fits.
pub fn run(args: Args) -> Result<bool, Error> {
    let options = Options {
        color: args.color.as_deref().map(color::parse).transpose()?,
        ..Default::default()
    };
    let picture = imageio::read(&args.image)?;
    let painter = args.weights.painter()?;
    let differ = args.backend.open()?;
    let clock = Instant::now();
    let answer = pollster::block_on(segment(
        &painter,
        &differ,
        &picture,
        &args.instruction,
        &options,
        args.force,
    ))?;
    let result = match answer {
        Answer::Found(result) => result,
        Answer::NotFound {
            expression,
            not_found,
            ..
        } => {
            if let Some(path) = &args.stats {
                let report = Report {
                    found: false,
                    not_found: Some(&not_found),
                    expression: &expression,
                    paint: None,
                    stats: None,
                };
                files::write_json(path, &report)?;
            }
            eprintln!("editseg: {}; no mask written", not_found.note);
            return Ok(false);
        }
    };
    files::write(&args.out, imageio::encode_png_gray(&result.outcome.mask))?;
    if let Some(path) = &args.edit_out {
        let edit = image::imageops::resize(
            &result.painted.edit,
            picture.width(),
            picture.height(),
            image::imageops::FilterType::Triangle,
        );
        files::write(path, imageio::encode_png_rgba(&edit))?;
    }
    if let Some(path) = &args.stats {
        let report = Report {
            found: true,
            not_found: None,
            expression: &result.painted.instruction.expression,
            paint: Some(color::hex(result.painted.paint)),
            stats: Some(&result.outcome.stats),
        };
        files::write_json(path, &report)?;
    }
    for note in &result.outcome.stats.notes {
        eprintln!("editseg: {note}");
    }
    let area = result.outcome.stats.area;
    let t = result.timings;
    println!(
        "{:?} painted {}: mask {}x{}, {area} pixels ({:.1}%), {:.0} ms (painter {:.0}, diff {:.0}, upsample {:.0})",
        result.painted.instruction.expression,
        color::hex(result.painted.paint),
        picture.width(),
        picture.height(),
        100.0 * result.outcome.stats.area_fraction,
        clock.elapsed().as_secs_f64() * 1000.0,
        t.painter,
        t.diff,
        t.upsample
    );
    Ok(true)
}
