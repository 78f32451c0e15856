//! `editseg eval`: score predicted masks, or edits from any editor, against RefCOCO-format data.

use super::mask::Cleanup;
use super::{progress_bar, Backend};
use editseg::eval::{self, Predictions};
use editseg::refcoco::Dataset;
use editseg::{files, Error};
use std::path::PathBuf;

/// Score one PNG per sentence, named {sent_id}.png: masks (255 = object), or with --edits
/// edited images from any editor, against RefCOCO-format data (refs(unc).p, instances.json,
/// images/)
#[derive(clap::Args)]
pub struct Args {
    /// The RefCOCO-format dataset
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// The predictions, {sent_id}.png
    #[arg(long, value_name = "DIR")]
    pred: PathBuf,
    /// The predictions are edited images: diff them against the dataset's images
    #[arg(long)]
    edits: bool,
    /// Also write the report as JSON
    #[arg(long, value_name = "OUT")]
    json: Option<PathBuf>,
    /// Skip what cannot be scored (a corrupt or wrong-sized prediction, a prediction for no
    /// sentence, an empty annotation), score the rest and list what was skipped
    #[arg(long)]
    keep_going: bool,
    #[command(flatten)]
    backend: Backend,
    #[command(flatten)]
    cleanup: Cleanup,
}

pub fn run(args: Args) -> Result<(), Error> {
    let options = args.cleanup.options()?;
    let data = Dataset::open(&args.data)?;
    let segmenter = if args.edits {
        Some(args.backend.open()?)
    } else {
        None
    };
    let predictions = match &segmenter {
        Some(s) => Predictions::Edits(s, &options),
        None => Predictions::Masks,
    };
    let report = eval::evaluate(
        &data,
        &args.pred,
        &predictions,
        args.keep_going,
        &progress_bar(),
    )?;
    print!("{}", report.table());
    if !report.skipped.is_empty() {
        eprintln!("editseg: {} skipped:", report.skipped.len());
        for s in &report.skipped {
            eprintln!("  {}: {}", s.what, s.reason);
        }
    }
    if !report.missing.is_empty() {
        eprintln!(
            "editseg: {} predictions missing (counted as empty): {:?}",
            report.missing.len(),
            report.missing
        );
    }
    if let Some(p) = &args.json {
        files::write_json(p, &report)?;
    }
    Ok(())
}
