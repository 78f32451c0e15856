//! `editseg train`: training on RefScenes, on the CPU.

use editseg::training::{self, generator::Task, Event};
use editseg::Error;
use std::path::PathBuf;
use std::time::Instant;

/// Train a network on RefScenes, on the CPU. `--net perception` trains the shipped painter's
/// perception net (per-pixel category, colour, size and centre); `--net generator` the
/// end-to-end generator (words and picture in, picture out) on `--task`, from scratch or from
/// `--init` (the article's experiment). Either run resumes from --checkpoint when it holds one
/// (weights, EMA, optimiser state, step, log.csv) and can stop early with a checkpoint
/// (--stop-at, --minutes); the finished run writes OUT/painter.bpk or OUT/generator.bpk (f16
/// with its schema) and OUT/training-log.csv
#[derive(clap::Args)]
pub struct Args {
    /// perception (the shipped painter) or generator (end to end)
    #[arg(long, value_name = "NET", value_parser = ["perception", "generator"])]
    net: String,
    /// What the generator learns: paint, overlay or mask (referring segmentation drawn that
    /// way), edits (the image prior) or edits+paint
    #[arg(long, value_name = "TASK", value_parser = parse_task, required_if_eq("net", "generator"))]
    task: Option<Task>,
    /// Start the generator from these weights (the prior) instead of from scratch
    #[arg(long, value_name = "PATH")]
    init: Option<PathBuf>,
    /// The whole planned run in steps (the learning-rate cycle spans it)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    steps: u64,
    /// Where the finished run's files go
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The checkpoint folder (resumed from when it holds one, overwritten at every evaluation)
    #[arg(long, value_name = "DIR")]
    checkpoint: PathBuf,
    /// End this sitting at this step, with a checkpoint
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    stop_at: Option<u64>,
    /// End this sitting after this many minutes, with a checkpoint
    #[arg(long, value_name = "M", value_parser = positive)]
    minutes: Option<f64>,
    /// Pictures per step
    #[arg(long, value_name = "B", default_value_t = 16,
          value_parser = clap::value_parser!(u64).range(1..=1024))]
    batch: u64,
    /// Peak learning rate
    #[arg(long, value_name = "X", default_value_t = 2e-3, value_parser = learning_rate)]
    lr: f64,
    /// Picks the training samples and the initial weights
    #[arg(long, value_name = "S", default_value_t = 0)]
    seed: u64,
    /// Evaluate (and checkpoint) every this many steps
    #[arg(long, value_name = "N", default_value_t = 500,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    eval_every: u64,
    /// Samples per split at each evaluation
    #[arg(long, value_name = "N", default_value_t = 200,
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    eval_count: u64,
}

fn parse_task(s: &str) -> Result<Task, String> {
    super::reason(Task::parse(s))
}

fn positive(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|x| *x > 0.0 && x.is_finite())
        .ok_or_else(|| "expected a positive number".into())
}

fn learning_rate(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|x| *x > 0.0 && *x < 1.0)
        .ok_or_else(|| "expected a number between 0 and 1".into())
}

pub fn run(args: Args) -> Result<(), Error> {
    let device = burn::prelude::Device::flex().autodiff();
    let mut report = reporter(args.steps);
    let stop_at = args.stop_at.unwrap_or(args.steps);
    let seconds = args.minutes.map(|m| m * 60.0);
    if args.net == "perception" && (args.task.is_some() || args.init.is_some()) {
        return Err(Error::BadOption(
            "--task and --init are for --net generator; the perception net has one task and starts from scratch".into(),
        ));
    }
    let (file, finished) = match (args.net.as_str(), args.task) {
        (_, None) => {
            let config = training::perception::Config {
                steps: args.steps,
                stop_at,
                batch: args.batch as usize,
                learning_rate: args.lr,
                seed: args.seed,
                out: args.out.clone(),
                checkpoint: args.checkpoint.clone(),
                eval_every: args.eval_every,
                eval_count: args.eval_count,
                seconds,
            };
            (
                "painter.bpk",
                training::perception::run(&config, &device, &mut report)?.1,
            )
        }
        (_, Some(task)) => {
            let config = training::generator::Config {
                task,
                steps: args.steps,
                stop_at,
                seconds,
                batch: args.batch as usize,
                learning_rate: args.lr,
                seed: args.seed,
                init: args.init.clone(),
                out: args.out.clone(),
                checkpoint: args.checkpoint.clone(),
                eval_every: args.eval_every,
                eval_count: args.eval_count,
            };
            (
                "generator.bpk",
                training::generator::run(&config, &device, &mut report)?.1,
            )
        }
    };
    let path = args.out.join(file);
    if finished {
        println!("weights written to {}", path.display());
    } else {
        println!(
            "stopped with a checkpoint in {}: run the same command again to continue",
            args.checkpoint.display()
        );
    }
    Ok(())
}

/// Progress lines on stderr for a run of `total` steps.
fn reporter(total: u64) -> impl FnMut(Event) {
    let started = Instant::now();
    let mut first = None;
    move |event: Event| match event {
        Event::Step {
            step,
            loss,
            images_per_second,
        } => {
            let (from, at) = *first.get_or_insert((step.saturating_sub(10), Instant::now()));
            let per_step = at.elapsed().as_secs_f64() / (step - from).max(1) as f64;
            let eta = per_step * total.saturating_sub(step) as f64;
            eprintln!(
                "step {step}/{total}  loss {loss:.4}  {images_per_second:.1} images/s  eta {:.0} min",
                eta / 60.0
            );
        }
        Event::Logged { step, line } => eprintln!(
            "step {step}: logged {line}  ({:.0} s)",
            started.elapsed().as_secs_f64()
        ),
        Event::Resumed { step } => eprintln!("resuming at step {step}"),
    }
}
