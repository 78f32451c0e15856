//! `editseg eval-painter`: a painter's masks scored on RefScenes.

use super::{progress_bar, Loaded, Weights};
use editseg::painter::Drawing;
use editseg::pipeline::Diff;
use editseg::report::{self, Meta, PainterRun};
use editseg::scenes::Split;
use editseg::training::evaluate::{evaluate, evaluate_no_target, replay, Oracle, Paints, KINDS};
use editseg::training::generator::score_edits;
use editseg::{files, Error, Options};
use std::path::PathBuf;

/// Score a painter's masks (cIoU, gIoU, mIoU, Prec@X) and its edit's PSNR outside the target,
/// per kind of expression, and its selection accuracy (the object its mask overlaps most is the
/// named one)
#[derive(clap::Args)]
pub struct Args {
    /// val, testA, testB, or nontarget (expressions true of nothing: scored on saying so)
    #[arg(long, value_name = "SPLIT", value_parser = parse_split)]
    split: Split,
    /// Samples to score
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    count: u64,
    /// Picks the samples
    #[arg(long, value_name = "S", default_value_t = 0)]
    seed: u64,
    /// How the painter shows its choice: paint, overlay or mask [default: paint, or what a
    /// generator was trained to draw]
    #[arg(long, value_name = "DRAWING", value_parser = parse_drawing)]
    drawing: Option<Drawing>,
    /// Score the object recipe's program on perfect perception maps instead (its ceiling)
    #[arg(long)]
    oracle: bool,
    /// Also write the report as JSON
    #[arg(long, value_name = "OUT")]
    json: Option<PathBuf>,
    /// Also write a report to open in a browser (one self-contained HTML file): tables per kind
    /// of expression, plots, the worst and random samples with the painter's edits
    #[arg(long, value_name = "OUT.html")]
    report: Option<PathBuf>,
    /// Samples in each of the report's two galleries (the worst, random others)
    #[arg(long, value_name = "N", default_value_t = 24)]
    gallery: usize,
    /// The weights' training log (CSV, as `editseg train` writes it), for the report's learning
    /// curves
    #[arg(long, value_name = "LOG.csv", requires = "report")]
    log: Option<PathBuf>,
    /// Score an end-to-end generator's general edits instead (keep, repaint the background,
    /// recolour or remove a category: the image prior's tasks) on held-out samples of the split:
    /// PSNR outside the region the instruction names and inside it against the exact result
    #[arg(long, conflicts_with_all = ["oracle", "drawing", "report"])]
    edits: bool,
    /// Which diff finds the painted region in paint and overlay edits: editseg, or ming (the
    /// article's own recipe); a mask image is read by its grey level either way
    #[arg(long, value_name = "DIFF", default_value = "editseg", value_parser = parse_diff)]
    diff: Diff,
    #[command(flatten)]
    weights: Weights,
}

pub(super) fn parse_split(s: &str) -> Result<Split, String> {
    super::reason(Split::parse(s))
}

fn parse_diff(s: &str) -> Result<Diff, String> {
    let mut options = Options::default();
    super::reason(options.set("diff", s)).map(|()| options.diff)
}

fn parse_drawing(s: &str) -> Result<Drawing, String> {
    super::reason(Drawing::parse(s))
}

pub fn run(args: Args) -> Result<(), Error> {
    let loaded = if args.oracle {
        None
    } else {
        Some(args.weights.load()?)
    };
    let (painter, trained): (&dyn Paints, Option<Drawing>) = match &loaded {
        None => (&Oracle, None),
        Some(Loaded::Painter(p)) => (p.as_ref(), None),
        Some(Loaded::Generator(g)) => {
            let trained = g.trained.drawing();
            // A generator draws what it learnt; reading it as another drawing scores nonsense.
            if let Some(asked) = args.drawing.filter(|d| *d != trained) {
                return Err(Error::BadOption(format!(
                    "--drawing {}: this generator draws {} (it was trained on {})",
                    asked.name(),
                    trained.name(),
                    g.trained.name()
                )));
            }
            (g.as_ref(), Some(trained))
        }
    };
    if args.edits {
        return edits(&args, loaded.as_ref());
    }
    let drawing = args.drawing.or(trained).unwrap_or(Drawing::Paint);
    if args.split == Split::NonTarget {
        let r = evaluate_no_target(painter, args.count, args.seed)?;
        println!(
            "nontarget: N-acc {:.1}% over {} samples (it said the object is not there)",
            100.0 * r.n_acc,
            r.count
        );
        for (kind, acc) in &r.kinds {
            println!("  missing {kind}: {:.1}%", 100.0 * acc);
        }
        if let Some(path) = &args.json {
            files::write_json(path, &r)?;
        }
        return Ok(());
    }
    let report = evaluate(
        painter,
        drawing,
        args.diff,
        args.split,
        args.count,
        args.seed,
        &progress_bar(),
    )?;
    let s = &report.summary;
    println!("| split | count | cIoU | gIoU | mIoU | Prec@0.5 | Prec@0.6 | Prec@0.7 | Prec@0.8 | Prec@0.9 | PSNR outside (dB) |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {} | {} | {:.1} | {:.1} | {:.1} | {} | {:.1} |",
        args.split.name(),
        s.count,
        100.0 * s.ciou,
        100.0 * s.giou,
        100.0 * s.miou,
        s.prec
            .iter()
            .map(|p| format!("{:.1}", 100.0 * p))
            .collect::<Vec<_>>()
            .join(" | "),
        report.psnr_outside
    );
    println!(
        "selection accuracy {:.1}%; cIoU when the right object is selected {:.1} ({} samples)",
        100.0 * report.selection,
        100.0 * report.when_selected.ciou,
        report.when_selected.count
    );
    for (name, k) in KINDS.iter().zip(&report.kinds) {
        if k.count > 0 {
            println!(
                "  {name}: cIoU {:.1} over {} samples",
                100.0 * k.ciou,
                k.count
            );
        }
    }
    if let Some(path) = &args.json {
        files::write_json(path, &report)?;
    }
    if let Some(path) = &args.report {
        let (worst, random) = report::painter_gallery(&report, args.gallery);
        let replayed = |picks: Vec<usize>| {
            picks
                .into_iter()
                .map(|k| {
                    let s = &report.samples[k];
                    replay(painter, drawing, args.diff, args.split, s.index, args.seed)
                        .map(|p| (s, p))
                })
                .collect::<Result<Vec<_>, Error>>()
        };
        let run = PainterRun {
            report: &report,
            split: args.split.name(),
            worst: replayed(worst)?,
            random: replayed(random)?,
            log: args.log.as_deref().map(files::read_text).transpose()?,
        };
        let meta = Meta {
            command: std::env::args().collect::<Vec<_>>().join(" "),
            sources: vec![(
                "samples".into(),
                format!(
                    "RefScenes {}, {} from seed {}",
                    args.split.name(),
                    args.count,
                    args.seed
                ),
            )],
        };
        files::write(path, report::painter_html(&run, &meta)?)?;
        println!("report written to {}", path.display());
    }
    Ok(())
}

/// `--edits`: the generator's precision on held-out general edits.
fn edits(args: &Args, loaded: Option<&Loaded>) -> Result<(), Error> {
    let Some(Loaded::Generator(generator)) = loaded else {
        return Err(Error::BadOption(
            "--edits scores an end-to-end generator (editseg train --net generator); these weights are the object painter's".into(),
        ));
    };
    if args.split == Split::NonTarget {
        return Err(Error::BadOption(
            "--edits: the nontarget split has referring expressions only; use val, testA or testB"
                .into(),
        ));
    }
    let scores = score_edits(generator, args.split, args.count, args.seed)?;
    println!("| split | edits | PSNR outside the named region (dB) | PSNR inside it (dB) |");
    println!("|---|---|---|---|");
    println!(
        "| {} | {} | {:.2} | {:.2} |",
        args.split.name(),
        scores.count,
        scores.psnr_outside,
        scores.psnr_inside
    );
    if let Some(path) = &args.json {
        files::write_json(path, &scores)?;
    }
    Ok(())
}
