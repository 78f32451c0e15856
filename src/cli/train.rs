//! `editseg train`: the painter's training on RefScenes, on the CPU.

use super::eval_painter::parse_target;
use editseg::painter::train::{self, Config, Event, ObjectsConfig};
use editseg::painter::Target;
use editseg::Error;
use std::path::PathBuf;
use std::time::Instant;

/// Train the painter on RefScenes, on the CPU. `--target objects` trains the shipped painter's
/// perception net (per-pixel category, colour, size and centre) and resumes from --checkpoint
/// when it holds one (weights, EMA, optimiser state, step, log.csv); paint, overlay and mask
/// train the end-to-end painter (words in, edited picture out) with checkpoints in
/// OUT/checkpoint. OUT gets painter.bpk (f16 weights) and vocab.txt
#[derive(clap::Args)]
pub struct Args {
    /// objects (the shipped recipe), or paint, overlay or mask (end to end)
    #[arg(long, value_name = "TARGET", value_parser = parse_recipe)]
    target: Recipe,
    /// The whole planned run in steps (the learning-rate cycle spans it)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    steps: u64,
    /// Where the shipped files go
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The object recipe's checkpoint folder (resumed from when it holds one)
    #[arg(long, value_name = "DIR", required_if_eq("target", "objects"))]
    checkpoint: Option<PathBuf>,
    /// End this sitting at this step, with a checkpoint (object recipe)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    stop_at: Option<u64>,
    /// End this sitting after this many minutes, with a checkpoint (object recipe)
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
    /// Evaluate on val every this many steps
    #[arg(long, value_name = "N", default_value_t = 500,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    eval_every: u64,
    /// Val samples per evaluation
    #[arg(long, value_name = "N", default_value_t = 200,
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    eval_count: u64,
    /// Continue the end-to-end run from OUT/checkpoint
    #[arg(long)]
    resume: bool,
}

#[derive(Clone, Copy)]
enum Recipe {
    Objects,
    EndToEnd(Target),
}

fn parse_recipe(s: &str) -> Result<Recipe, String> {
    match s {
        "objects" => Ok(Recipe::Objects),
        _ => parse_target(s)
            .map(Recipe::EndToEnd)
            .map_err(|e| format!("{e}, or objects")),
    }
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
    match args.target {
        Recipe::Objects => {
            let config = ObjectsConfig {
                steps: args.steps,
                stop_at: args.stop_at.unwrap_or(args.steps),
                batch: args.batch as usize,
                learning_rate: args.lr,
                seed: args.seed,
                out: args.out.clone(),
                checkpoint: args
                    .checkpoint
                    .clone()
                    .expect("clap requires it for objects"),
                eval_every: args.eval_every,
                eval_count: args.eval_count,
                seconds: args.minutes.map(|m| m * 60.0),
            };
            train::run_objects(&config, &device, &mut report)?;
        }
        Recipe::EndToEnd(target) => {
            let config = Config {
                target,
                steps: args.steps,
                batch: args.batch as usize,
                learning_rate: args.lr,
                seed: args.seed,
                out: args.out.clone(),
                resume: args.resume,
                eval_every: args.eval_every,
                eval_count: args.eval_count,
            };
            train::run(&config, &device, &mut report)?;
        }
    }
    println!(
        "weights written to {}",
        args.out.join("painter.bpk").display()
    );
    Ok(())
}

/// Progress lines on stderr for a run of `total` steps.
fn reporter(total: u64) -> impl FnMut(Event) {
    let started = Instant::now();
    let mut first = None;
    move |event: Event| {
        match event {
        Event::Step {
            step,
            loss,
            images_per_second,
        } => {
            let (from, at) = *first.get_or_insert((step.saturating_sub(10), Instant::now()));
            let per_step = at.elapsed().as_secs_f64() / (step - from).max(1) as f64;
            let eta = per_step * total.saturating_sub(step) as f64;
            eprintln!("step {step}/{total}  loss {loss:.4}  {images_per_second:.1} images/s  eta {:.0} min", eta / 60.0);
        }
        Event::Eval { step, report } => eprintln!(
            "step {step}: val cIoU {:.3}  gIoU {:.3}  selection {:.3}  PSNR outside {:.1} dB  ({:.0} s)",
            report.summary.ciou,
            report.summary.giou,
            report.selection,
            report.psnr_outside,
            started.elapsed().as_secs_f64()
        ),
        Event::Resumed { step } => eprintln!("resuming at step {step}"),
    }
    }
}
