//! `editseg plot-log`: the learning curves of training logs.

use editseg::{files, Error};
use std::path::PathBuf;

/// Draw the learning curves of one or more training logs against samples seen: the scores each
/// log has (val, testA and testB cIoU, gIoU, selection), or the generator prior's edit precision
#[derive(clap::Args)]
pub struct Args {
    /// A log a training run wrote (log.csv or training-log.csv); give several to compare runs,
    /// each named by its folder
    #[arg(long, value_name = "LOG.csv", required = true)]
    log: Vec<PathBuf>,
    /// Where to write the curves (PNG)
    #[arg(long, value_name = "CURVE.png")]
    out: PathBuf,
}

pub fn run(args: Args) -> Result<(), Error> {
    let texts = args
        .log
        .iter()
        .map(|p| files::read_text(p))
        .collect::<Result<Vec<_>, _>>()?;
    let names: Vec<String> = args
        .log
        .iter()
        .map(|p| {
            p.parent()
                .and_then(|d| d.file_name())
                .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into())
        })
        .collect();
    let logs: Vec<(&str, &str)> = names
        .iter()
        .map(String::as_str)
        .zip(texts.iter().map(String::as_str))
        .collect();
    let png = editseg::plot::learning_curve(&logs)?;
    files::write(&args.out, png)?;
    println!("learning curves written to {}", args.out.display());
    Ok(())
}
