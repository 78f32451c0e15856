//! `editseg plot-log`: the learning curve of a training log.

use editseg::{files, Error};
use std::path::PathBuf;

/// Draw a training log's learning curve (val cIoU, gIoU and selection against samples seen)
#[derive(clap::Args)]
pub struct Args {
    /// The log a training run wrote (log.csv or training-log.csv)
    #[arg(long, value_name = "LOG.csv")]
    log: PathBuf,
    /// Where to write the curve (PNG)
    #[arg(long, value_name = "CURVE.png")]
    out: PathBuf,
}

pub fn run(args: Args) -> Result<(), Error> {
    let png = editseg::plot::learning_curve(&files::read_text(&args.log)?)?;
    files::write(&args.out, png)?;
    println!("learning curve written to {}", args.out.display());
    Ok(())
}
