//! `editseg eval`: score predicted masks, or edits from any editor, against RefCOCO-format data.

use super::editor::EditorArgs;
use super::mask::Cleanup;
use super::{progress_bar, Backend, Weights};
use editseg::editor::dataset::{self, Job, Plan, Record};
use editseg::editor::prompt::{Paint, Template};
use editseg::editor::Adapter;
use editseg::eval::{self, EditorRun, Figures, Latency, Predictions, Sample};
use editseg::imageio;
use editseg::refcoco::Dataset;
use editseg::report::{self, Meta};
use editseg::rng::Rng;
use editseg::{files, Error};
use std::collections::{BTreeMap, HashSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Score one PNG per sentence, named {sent_id}.png: masks (255 = object), or with --edits
/// edited images from any editor, against RefCOCO-format data (refs(unc).p, instances.json,
/// images/). With --editor, ask the editor for every sentence first (resumable), then score
/// its edits
#[derive(clap::Args)]
pub struct Args {
    /// The RefCOCO-format dataset
    #[arg(long, value_name = "DIR", required_unless_present = "compare")]
    data: Option<PathBuf>,
    /// The predictions, {sent_id}.png
    #[arg(long, value_name = "DIR", required_unless_present_any = ["compare", "editor"], conflicts_with = "editor")]
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
    #[command(flatten)]
    editor: EditorArgs,
    #[command(flatten)]
    asking: Asking,
    #[command(flatten)]
    weights: Weights,
}

/// How `--editor` is asked over a dataset.
#[derive(clap::Args)]
struct Asking {
    /// With --editor: where the edits are saved, {sent_id}.png with a {sent_id}.json sidecar;
    /// a rerun asks only for what is not saved yet
    #[arg(long, value_name = "DIR", requires = "editor")]
    edits_dir: Option<PathBuf>,
    /// The prompt: paint, ming (the article's) or a text with {expr} and {color}
    #[arg(
        long,
        value_name = "paint|ming|TEXT",
        default_value = "paint",
        requires = "editor"
    )]
    template: String,
    /// Only this split's sentences (e.g. val, testA)
    #[arg(long, value_name = "S", requires = "editor")]
    split: Option<String>,
    /// A seeded random sample of N sentences per split (the article's protocol: 500); the
    /// sample is saved in the edits folder
    #[arg(long, value_name = "N", requires = "editor")]
    limit: Option<usize>,
    /// The sample's seed
    #[arg(long, value_name = "S", default_value_t = 0, requires = "limit")]
    sample_seed: u64,
    /// Requests in flight [default: 4 for HTTP editors, 1 for a command or the painter]
    #[arg(long, value_name = "N", requires = "editor")]
    concurrency: Option<usize>,
    /// Retries of a request that met a rate limit, a server error, a timeout or a network
    /// fault (refusals are never retried: each request may be billed)
    #[arg(long, value_name = "N", default_value_t = 4, requires = "editor")]
    retries: u32,
    /// Ask again for sentences the editor refused or answered without a picture
    #[arg(long, requires = "editor")]
    retry_failed: bool,
    /// Print the first request (the key redacted) and how many would be sent, and stop
    #[arg(long, requires = "editor")]
    dry_run: bool,
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
    if let Some(adapter) = args.editor.editor {
        return with_editor(&args, adapter);
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
        Some(s) => Predictions::Edits(s, &options, None),
        None => Predictions::Masks,
    };
    let report = eval::evaluate(&data, pred, &predictions, args.keep_going, &progress_bar())?;
    let sources = vec![
        ("data".into(), data_dir.display().to_string()),
        ("predictions".into(), pred.display().to_string()),
    ];
    publish(&args, &report, &data, pred, &predictions, sources)
}

/// Print a report's table and notes, and write its JSON and HTML as asked.
fn publish(
    args: &Args,
    report: &eval::Report,
    data: &Dataset,
    pred: &Path,
    predictions: &Predictions,
    sources: Vec<(String, String)>,
) -> Result<(), Error> {
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
        files::write_json(p, report)?;
    }
    if let Some(p) = &args.report {
        let meta = Meta {
            command: command_line(),
            sources,
        };
        let html = report::html(report, data, pred, predictions, &meta, args.gallery)?;
        files::write(p, html.as_bytes())?;
        println!("report written to {}", p.display());
    }
    Ok(())
}

/// The sentences to ask about: every one, one split's, or a seeded sample per split, as jobs.
/// A sample is saved in the edits folder and reused by reruns; another size or seed is refused.
fn choose(data: &Dataset, asking: &Asking, dir: &Path) -> Result<Vec<Job>, Error> {
    let mut per_split: BTreeMap<&str, Vec<(u64, &editseg::refcoco::Ref, &str)>> = BTreeMap::new();
    for r in &data.refs {
        if asking.split.as_deref().is_some_and(|s| s != r.split) {
            continue;
        }
        for s in &r.sentences {
            per_split
                .entry(&r.split)
                .or_default()
                .push((s.sent_id, r, &s.sent));
        }
    }
    if per_split.is_empty() {
        let mut splits: Vec<&str> = data.refs.iter().map(|r| r.split.as_str()).collect();
        splits.sort();
        splits.dedup();
        return Err(Error::BadOption(format!(
            "no sentences of split \"{}\": the data has {}",
            asking.split.as_deref().unwrap_or(""),
            splits.join(", ")
        )));
    }
    if let Some(n) = asking.limit {
        let sample = Drawn {
            limit: n,
            sample_seed: asking.sample_seed,
            split: asking.split.clone(),
        };
        let path = dir.join("sample.json");
        if let Ok(text) = std::fs::read_to_string(&path) {
            let had: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            let had: Option<Drawn> = serde_json::from_value(had["drawn"].clone()).ok();
            if had.as_ref() != Some(&sample) {
                return Err(Error::BadOption(format!(
                    "{} holds a sample drawn with {}; this run asks --limit {n} --sample-seed {}{}: use the same, or another --edits-dir",
                    dir.display(),
                    had.map_or("other settings".into(), |h| format!("--limit {} --sample-seed {}", h.limit, h.sample_seed)),
                    asking.sample_seed,
                    asking.split.as_deref().map(|s| format!(" --split {s}")).unwrap_or_default()
                )));
            }
        }
        for (split, sentences) in per_split.iter_mut() {
            // Fisher-Yates with a seed of its own per split, the first n kept.
            let mut rng = Rng::new(
                asking.sample_seed
                    ^ split.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
                    }),
            );
            sentences.sort_by_key(|s| s.0);
            for i in (1..sentences.len()).rev() {
                sentences.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
            }
            sentences.truncate(n);
            sentences.sort_by_key(|s| s.0);
        }
        let ids: BTreeMap<&str, Vec<u64>> = per_split
            .iter()
            .map(|(k, v)| (*k, v.iter().map(|s| s.0).collect()))
            .collect();
        files::create_dir(dir)?;
        files::write_json(
            &path,
            &serde_json::json!({"drawn": sample, "sent_ids": ids}),
        )?;
    }
    per_split
        .into_values()
        .flatten()
        .map(|(sent_id, r, sent)| {
            Ok(Job {
                sent_id,
                image: data.image_path(r)?,
                expression: sent.to_string(),
            })
        })
        .collect()
}

/// How a sample was drawn, saved with it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Drawn {
    limit: usize,
    sample_seed: u64,
    split: Option<String>,
}

/// `eval --editor`: every chosen sentence asked of the editor (what is saved is not asked
/// again), then scored as `eval --edits` scores a folder, each edit with its own colour.
fn with_editor(args: &Args, adapter: Adapter) -> Result<(), Error> {
    let data_dir = args
        .data
        .as_ref()
        .expect("clap requires --data without --compare");
    let Some(dir) = &args.asking.edits_dir else {
        return Err(Error::BadOption(
            "--editor needs --edits-dir DIR: where the edits are saved and a rerun resumes".into(),
        ));
    };
    let template: Template = args.asking.template.parse()?;
    let paint: Paint = args.cleanup.color().unwrap_or("auto").parse()?;
    let options = args.cleanup.options_without_color()?;
    let data = Dataset::open(data_dir)?;
    let jobs = choose(&data, &args.asking, dir)?;
    let opened = args.editor.open(adapter, &args.weights)?;
    let record = Record {
        adapter: adapter.name().into(),
        endpoint: opened.endpoint.clone(),
        model: opened.model.clone(),
        template: template.name().into(),
        color: paint.name().into(),
    };
    if args.asking.dry_run {
        let first = &jobs[0];
        let picture = imageio::read(&first.image)?;
        let (words, _) = paint.for_picture(&template, &picture);
        let prompt = template.render(&first.expression, &words);
        let png = imageio::encode_png_rgba(&picture);
        let saved = jobs
            .iter()
            .filter(|j| dir.join(format!("{}.png", j.sent_id)).exists())
            .count();
        println!("{}", opened.editor.show(&png, &prompt, args.editor.seed));
        println!(
            "\n{} sentences chosen: {} requests would be sent ({saved} edits already saved in {})",
            jobs.len(),
            jobs.len() - saved,
            dir.display()
        );
        return Ok(());
    }
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // A second Ctrl-C ends at once; files are never half written either way.
        let _ = ctrlc::set_handler(move || {
            if stop.swap(true, Ordering::Relaxed) {
                std::process::exit(130);
            }
            eprintln!("\neditseg: stopping: what is saved stays saved");
        });
    }
    let plan = Plan {
        editor: opened.editor.clone(),
        record: record.clone(),
        template: template.clone(),
        paint: paint.clone(),
        seed: args.editor.seed,
        dir: dir.clone(),
        concurrency: args
            .asking
            .concurrency
            .unwrap_or(adapter.default_concurrency()),
        retries: args.asking.retries,
        retry_failed: args.asking.retry_failed,
        backoff: Duration::from_secs(1),
        key: opened.key.clone(),
    };
    let outcome = dataset::run(plan, &jobs, stop, &editor_progress())?;
    eprintln!(
        "editseg: {} edits saved now, {} from earlier runs, {} failed; {} requests ({} retries)",
        outcome.saved,
        outcome.reused,
        outcome.failed.len(),
        outcome.requests,
        outcome.retries
    );
    for f in &outcome.failed {
        eprintln!(
            "  sentence {}: {}: {}",
            f.sent_id,
            f.class.name(),
            f.message
        );
    }
    if outcome.interrupted {
        return Err(Error::Interrupted(format!(
            "{} edits are saved in {}: run the same command again to ask for the rest",
            outcome.saved + outcome.reused,
            dir.display()
        )));
    }
    // Score the chosen sentences only, each edit with the colour it was asked for.
    let chosen: HashSet<u64> = jobs.iter().map(|j| j.sent_id).collect();
    let mut asked = data.clone();
    for r in &mut asked.refs {
        r.sentences.retain(|s| chosen.contains(&s.sent_id));
    }
    asked.refs.retain(|r| !r.sentences.is_empty());
    let ids: Vec<u64> = jobs.iter().map(|j| j.sent_id).collect();
    let colours = dataset::colours(dir, &ids);
    let differ = args.backend.open()?;
    let predictions = Predictions::Edits(&differ, &options, Some(&colours));
    let mut report = eval::evaluate(&asked, dir, &predictions, args.keep_going, &progress_bar())?;
    let answered: Vec<Sample> = report
        .samples
        .iter()
        .filter(|s| !s.missing)
        .cloned()
        .collect();
    let (overall, splits) = eval::summarise(&answered);
    let latencies: Vec<f64> = ids
        .iter()
        .filter(|id| dir.join(format!("{id}.png")).exists())
        .filter_map(|&id| dataset::read_sidecar(dir, id)?.latency_ms)
        .collect();
    report.editor = Some(EditorRun {
        adapter: record.adapter,
        endpoint: record.endpoint,
        model: record.model,
        template: record.template,
        color: record.color,
        seed: args.editor.seed,
        sentences: jobs.len(),
        requests: outcome.requests,
        retries: outcome.retries,
        reused: outcome.reused,
        failed: outcome.failed,
        latency_ms: Latency::of(latencies.clone()),
        latencies,
        answered: Figures {
            overall: overall.clone(),
            splits,
        },
    });
    eprintln!(
        "Over the {} sentences the editor answered: cIoU {:.2} %, gIoU {:.2} %",
        answered.len(),
        100.0 * overall.ciou,
        100.0 * overall.giou
    );
    let sources = vec![
        ("data".into(), data_dir.display().to_string()),
        ("edits".into(), dir.display().to_string()),
        (
            "editor".into(),
            format!(
                "{} {}",
                adapter.name(),
                opened.model.as_deref().unwrap_or("")
            ),
        ),
    ];
    publish(args, &report, &asked, dir, &predictions, sources)
}

/// Done, failed and retrying, with the time left, on one line of a terminal.
fn editor_progress() -> impl Fn(usize, usize, usize, usize) {
    let show = std::io::stderr().is_terminal();
    let start = Instant::now();
    move |done, failed, retrying, total| {
        if !show || total == 0 {
            return;
        }
        let left = if done > 0 {
            let s = start.elapsed().as_secs_f64() / done as f64 * (total - done) as f64;
            format!(
                ", about {:.0} min {:02.0} s left",
                (s / 60.0).floor(),
                s % 60.0
            )
        } else {
            String::new()
        };
        eprint!("\r\x1b[K{done}/{total} done, {failed} failed, {retrying} retrying{left}");
        if done == total {
            eprintln!();
        }
    }
}
