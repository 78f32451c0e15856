//! `editseg eval`: score predicted masks, or edits from any editor, against RefCOCO-format data.

use super::mask::Cleanup;
use super::{progress_bar, Backend};
use editseg::eval::{self, Predictions, Sample};
use editseg::refcoco::Dataset;
use editseg::report::{self, Meta};
use editseg::{files, Error};
use std::path::{Path, PathBuf};

/// Score one PNG per sentence, named {sent_id}.png: masks (255 = object), or with --edits
/// edited images from any editor, against RefCOCO-format data (refs(unc).p, instances.json,
/// images/)
#[derive(clap::Args)]
pub struct Args {
    /// The RefCOCO-format dataset
    #[arg(long, value_name = "DIR", required_unless_present = "compare")]
    data: Option<PathBuf>,
    /// The predictions, {sent_id}.png
    #[arg(long, value_name = "DIR", required_unless_present = "compare")]
    pred: Option<PathBuf>,
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
    /// Also write a report to open in a browser (one self-contained HTML file): tables, plots,
    /// the worst and random samples with their pictures
    #[arg(long, value_name = "OUT.html")]
    report: Option<PathBuf>,
    /// Samples in each of the report's two galleries (the worst, random others)
    #[arg(long, value_name = "N", default_value_t = 24)]
    gallery: usize,
    /// Compare two editors instead: two reports written by --json, side by side in --report
    #[arg(long, num_args = 2, value_names = ["A.json", "B.json"],
          conflicts_with_all = ["data", "pred", "edits", "json"], requires = "report")]
    compare: Option<Vec<PathBuf>>,
    #[command(flatten)]
    backend: Backend,
    #[command(flatten)]
    cleanup: Cleanup,
}

/// The command line as typed, for the report.
fn command_line() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}

/// The scored samples of a report `--json` wrote.
fn samples(path: &Path) -> Result<Vec<Sample>, Error> {
    let bad = |reason: String| Error::BadData {
        what: path.display().to_string(),
        reason,
    };
    let json: serde_json::Value = serde_json::from_str(&files::read_text(path)?)
        .map_err(|e| bad(format!("not valid JSON: {e}")))?;
    serde_json::from_value(json.get("samples").cloned().unwrap_or_default()).map_err(|e| {
        bad(format!(
            "not a report written by `editseg eval --json` ({e})"
        ))
    })
}

fn compare(args: &Args, paths: &[PathBuf]) -> Result<(), Error> {
    let out = args
        .report
        .as_ref()
        .expect("clap requires --report with --compare");
    // Each report by its file name, or by its folder where the names are the same.
    let stem = |p: &PathBuf| p.file_stem().map(|s| s.to_string_lossy().into_owned());
    let same = stem(&paths[0]) == stem(&paths[1]);
    let name = |p: &PathBuf| {
        let folder = p
            .parent()
            .and_then(|f| f.file_name())
            .map(|f| f.to_string_lossy().into_owned());
        match (same, folder, stem(p)) {
            (true, Some(folder), _) => folder,
            (_, _, Some(stem)) => stem,
            _ => p.display().to_string(),
        }
    };
    let (a, b) = (samples(&paths[0])?, samples(&paths[1])?);
    let meta = Meta {
        command: command_line(),
        sources: paths
            .iter()
            .map(|p| ("report".to_string(), p.display().to_string()))
            .collect(),
    };
    let html = report::compare(
        (&name(&paths[0]), &a),
        (&name(&paths[1]), &b),
        &meta,
        args.gallery,
    )?;
    files::write(out, html.as_bytes())?;
    println!("comparison written to {}", out.display());
    Ok(())
}

pub fn run(args: Args) -> Result<(), Error> {
    if let Some(paths) = &args.compare {
        return compare(&args, paths);
    }
    // clap requires both without --compare.
    let (Some(data_dir), Some(pred)) = (&args.data, &args.pred) else {
        unreachable!("clap requires --data and --pred without --compare")
    };
    let options = args.cleanup.options()?;
    let data = Dataset::open(data_dir)?;
    let differ = if args.edits {
        Some(args.backend.open()?)
    } else {
        None
    };
    let predictions = match &differ {
        Some(s) => Predictions::Edits(s, &options),
        None => Predictions::Masks,
    };
    let report = eval::evaluate(&data, pred, &predictions, args.keep_going, &progress_bar())?;
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
    if !report.redrawn.is_empty() {
        eprintln!(
            "editseg: {} edits differ from their original over most of the picture (redrawn, not only painted; scored all the same): {:?}",
            report.redrawn.len(),
            report.redrawn
        );
    }
    if let Some(seen) = &report.seen_pixels {
        eprintln!(
            "editseg: {} edits did not show all of the original (cropped by the editor; the official figures count those pixels outside the mask): {:?}\nOver the pixels each edit showed: cIoU {:.2} %, gIoU {:.2} %",
            report.cropped.len(),
            report.cropped,
            100.0 * seen.overall.ciou,
            100.0 * seen.overall.giou
        );
    }
    if let Some(p) = &args.json {
        files::write_json(p, &report)?;
    }
    if let Some(p) = &args.report {
        let meta = Meta {
            command: command_line(),
            sources: vec![
                ("data".into(), data_dir.display().to_string()),
                ("predictions".into(), pred.display().to_string()),
            ],
        };
        let html = report::html(&report, &data, pred, &predictions, &meta, args.gallery)?;
        files::write(p, html.as_bytes())?;
        println!("report written to {}", p.display());
    }
    Ok(())
}
