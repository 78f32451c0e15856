//! `editseg segment`: the painter on one instruction, the mask at the image's size.

use super::{Backend, Weights};
use editseg::painter::segment::segment;
use editseg::{files, imageio, Error, Options};
use std::path::PathBuf;
use std::time::Instant;

/// Run the painter on one instruction, e.g. "paint the star in the top right purple", and write
/// the mask at the image's size (255 inside)
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
    #[command(flatten)]
    weights: Weights,
    #[command(flatten)]
    backend: Backend,
}

pub fn run(args: Args) -> Result<(), Error> {
    let options = Options {
        color: args
            .color
            .as_deref()
            .map(editseg::color::parse)
            .transpose()?,
        ..Default::default()
    };
    let picture = imageio::read(&args.image)?;
    let painter = args.weights.load()?;
    let segmenter = args.backend.open()?;
    let clock = Instant::now();
    let result = pollster::block_on(segment(
        &painter,
        &segmenter,
        &picture,
        &args.instruction,
        &options,
    ))?;
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
    let area = result.outcome.stats.area;
    if area == 0 {
        eprintln!(
            "editseg: the painter found no object in the picture that {:?} names; the mask is empty",
            result.painted.instruction.expression
        );
    }
    let t = result.timings;
    let [r, g, b] = result.painted.paint;
    println!(
        "{:?} painted #{r:02x}{g:02x}{b:02x}: mask {}x{}, {area} pixels ({:.1}%), {:.0} ms (painter {:.0}, diff {:.0}, upsample {:.0})",
        result.painted.instruction.expression,
        picture.width(),
        picture.height(),
        100.0 * result.outcome.stats.area_fraction,
        clock.elapsed().as_secs_f64() * 1000.0,
        t.painter,
        t.diff,
        t.upsample
    );
    Ok(())
}
