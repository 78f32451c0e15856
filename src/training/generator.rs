//! Training the end-to-end generator (words and a picture in, a picture out) for the article's
//! experiment: its image prior on general edits ([`Task::Edits`]), the same prior with
//! painted-object segmentation mixed in ([`Task::EditsAndPaint`]), and referring segmentation
//! drawn three ways ([`Task::Segmentation`]), from the prior (`init`) or from scratch. Every arm
//! draws pixels through the same head with the same loss; only the target picture differs.
//!
//! Every `eval_every` steps it scores the EMA of the weights (segmentation: cIoU on val, testA
//! and testB; edits: PSNR outside and inside the region the instruction names) and overwrites the
//! checkpoint folder (f32 weights, EMA, optimiser state, step, log.csv), so that a later sitting
//! resumes exactly where this one stopped. At the end it writes `out/generator.bpk` (f16 with its
//! schema) and `out/training-log.csv`.

use super::evaluate::evaluate;
use super::{sitting, Checkpoint, Event, Plan, State};
use crate::error::{Error, Result};
use crate::files;
use crate::generator::{Encoded, Generator, GeneratorNet, Inputs, Trained, Vocabulary};
use crate::painter::{pictures, Drawing, RES};
use crate::pipeline::Diff;
use crate::scenes::edits::Edit;
use crate::scenes::{Sample, Split};
use burn::prelude::*;
use image::RgbaImage;
use rayon::prelude::*;
use std::path::PathBuf;

/// What a run teaches the generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Task {
    /// Referring segmentation, the named object drawn as this drawing.
    Segmentation(Drawing),
    /// General edits only: the image prior.
    Edits,
    /// General edits and painted-object segmentation, alternating, at the same budget.
    EditsAndPaint,
}

impl Task {
    pub fn parse(text: &str) -> Result<Task> {
        match text {
            "edits" => Ok(Task::Edits),
            "edits+paint" => Ok(Task::EditsAndPaint),
            _ => Drawing::parse(text).map(Task::Segmentation).map_err(|_| {
                Error::BadOption(format!(
                    "unknown task {text:?}: use paint, overlay, mask, edits or edits+paint"
                ))
            }),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Task::Segmentation(d) => d.name(),
            Task::Edits => "edits",
            Task::EditsAndPaint => "edits+paint",
        }
    }

    fn trained(self) -> Trained {
        match self {
            Task::Segmentation(d) => Trained::Segmentation(d),
            Task::Edits | Task::EditsAndPaint => Trained::Edits,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub task: Task,
    /// The whole planned run: the learning-rate cycle spans it.
    pub steps: u64,
    /// Stop after this step in this sitting (a run longer than one sitting resumes later).
    pub stop_at: u64,
    /// Stop cleanly (checkpoint written) after this many seconds of this sitting.
    pub seconds: Option<f64>,
    pub batch: usize,
    pub learning_rate: f64,
    /// Picks the training examples and the initial weights.
    pub seed: u64,
    /// Start from these f16 weights (the prior) instead of a fresh network.
    pub init: Option<PathBuf>,
    /// Where `generator.bpk` and `training-log.csv` go.
    pub out: PathBuf,
    /// The checkpoint folder, read on resume, overwritten.
    pub checkpoint: PathBuf,
    pub eval_every: u64,
    /// Samples per split (or held-out edits) at each evaluation.
    pub eval_count: u64,
}

/// How much more a pixel the instruction names counts in the loss than any other: without it
/// the network settles on changing nothing, since the object is a few percent of the picture.
const REGION_WEIGHT: f32 = 10.0;

/// One training example: the picture, what is asked, the exact answer and where the change is.
struct Example {
    image: RgbaImage,
    instruction: String,
    paint: [u8; 3],
    goal: RgbaImage,
    /// How much of each pixel the instruction names.
    region: Vec<f32>,
}

fn segmentation(split: Split, index: u64, seed: u64, drawing: Drawing) -> Example {
    let s = Sample::generate(split, index, seed);
    let t = s.targets(RES, RES);
    let goal = match drawing {
        Drawing::Paint => t.painted,
        Drawing::Overlay => t.overlay,
        Drawing::Mask => image::DynamicImage::ImageLuma8(t.mask.clone()).to_rgba8(),
    };
    Example {
        region: t.mask.pixels().map(|p| p.0[0] as f32 / 255.0).collect(),
        image: t.image,
        instruction: s.instruction,
        paint: t.paint,
        goal,
    }
}

fn edit(split: Split, index: u64, seed: u64) -> Example {
    let e = Edit::generate(split, index, seed);
    let p = e.pictures(RES);
    Example {
        image: p.before,
        instruction: e.instruction,
        paint: e.paint,
        goal: p.after,
        region: p.region,
    }
}

/// The training example `i` of a task.
fn example(task: Task, i: u64, seed: u64) -> Example {
    match task {
        Task::Segmentation(d) => segmentation(Split::Train, i, seed, d),
        Task::Edits => edit(Split::Train, i, seed),
        Task::EditsAndPaint if i.is_multiple_of(2) => edit(Split::Train, i / 2, seed),
        Task::EditsAndPaint => segmentation(Split::Train, i / 2, seed, Drawing::Paint),
    }
}

/// The batch for `step`: inputs, goals and per-pixel loss weights [B, 1, RES, RES].
fn batch(
    config: &Config,
    vocabulary: &Vocabulary,
    step: u64,
    device: &Device,
) -> (Inputs, Tensor<4>, Tensor<4>) {
    let b = config.batch as u64;
    let examples: Vec<Example> = (step * b..(step + 1) * b)
        .into_par_iter()
        .map(|i| example(config.task, i, config.seed))
        .collect();
    let images: Vec<&RgbaImage> = examples.iter().map(|e| &e.image).collect();
    let goals: Vec<&RgbaImage> = examples.iter().map(|e| &e.goal).collect();
    let encoded: Vec<Encoded> = examples
        .iter()
        .map(|e| vocabulary.encode(&e.instruction))
        .collect();
    let paints: Vec<[u8; 3]> = examples.iter().map(|e| e.paint).collect();
    let weights: Vec<f32> = examples
        .iter()
        .flat_map(|e| e.region.iter().map(|r| 1.0 + (REGION_WEIGHT - 1.0) * r))
        .collect();
    let weights = Tensor::from_data(
        TensorData::new(weights, [examples.len(), 1, RES as usize, RES as usize]),
        device,
    );
    (
        Inputs::new(&images, &encoded, &paints, device),
        pictures(&goals, device),
        weights,
    )
}

/// How precisely a generator carries out held-out edits.
#[derive(Clone, Copy, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EditScores {
    pub count: u64,
    /// PSNR (dB) against the exact result, outside the region the instruction names.
    pub psnr_outside: f64,
    /// The same inside it (edits that name a region only).
    pub psnr_inside: f64,
}

fn psnr(squared: f64, n: u64) -> f64 {
    let mse = squared / n.max(1) as f64;
    if mse == 0.0 {
        99.0
    } else {
        (10.0 * (255.0f64 * 255.0 / mse).log10()).min(99.0)
    }
}

/// Score `generator` on `count` held-out edits of `split` (batches of 16).
pub fn score_edits(
    generator: &Generator,
    split: Split,
    count: u64,
    seed: u64,
) -> Result<EditScores> {
    let (mut out_sq, mut out_n, mut in_sq, mut in_n) = (0f64, 0u64, 0f64, 0u64);
    let indices: Vec<u64> = (0..count).collect();
    for chunk in indices.chunks(16) {
        let examples: Vec<Example> = chunk.iter().map(|&i| edit(split, i, seed)).collect();
        let images: Vec<&RgbaImage> = examples.iter().map(|e| &e.image).collect();
        let instructions: Vec<&str> = examples.iter().map(|e| e.instruction.as_str()).collect();
        let paints: Vec<[u8; 3]> = examples.iter().map(|e| e.paint).collect();
        let outputs = generator.edit(&images, &instructions, &paints)?;
        for (e, out) in examples.iter().zip(&outputs) {
            for ((a, b), r) in out.pixels().zip(e.goal.pixels()).zip(&e.region) {
                let d: f64 = (0..3)
                    .map(|k| (a.0[k] as f64 - b.0[k] as f64).powi(2))
                    .sum::<f64>()
                    / 3.0;
                if *r == 0.0 {
                    (out_sq, out_n) = (out_sq + d, out_n + 1);
                } else if *r >= 0.5 {
                    (in_sq, in_n) = (in_sq + d, in_n + 1);
                }
            }
        }
    }
    Ok(EditScores {
        count,
        psnr_outside: psnr(out_sq, out_n),
        psnr_inside: psnr(in_sq, in_n),
    })
}

/// The splits a segmentation arm is scored on.
pub const SCORED: [Split; 3] = [Split::Val, Split::TestA, Split::TestB];

const LOG_HEADER: &str =
    "step,samples,loss,val_ciou,testA_ciou,testB_ciou,psnr_outside,psnr_inside,seconds";

/// The scores logged at a checkpoint: cIoU per scored split (where the generator paints or draws
/// masks), and edit precision (where it learnt edits).
fn scores(generator: &Generator, task: Task, count: u64) -> Result<String> {
    let drawing = match task {
        Task::Segmentation(d) => Some(d),
        Task::EditsAndPaint => Some(Drawing::Paint),
        Task::Edits => None,
    };
    let mut cells = Vec::new();
    for split in SCORED {
        cells.push(match drawing {
            Some(d) => format!(
                "{:.4}",
                evaluate(generator, d, Diff::EditSeg, split, count, 0, &|_, _| {})?
                    .summary
                    .ciou
            ),
            None => String::new(),
        });
    }
    match task {
        Task::Segmentation(_) => cells.extend([String::new(), String::new()]),
        Task::Edits | Task::EditsAndPaint => {
            let e = score_edits(generator, Split::Val, count, 0)?;
            cells.extend([
                format!("{:.2}", e.psnr_outside),
                format!("{:.2}", e.psnr_inside),
            ]);
        }
    }
    Ok(cells.join(","))
}

/// What identifies a run, kept in its checkpoint: resuming another run's checkpoint is refused.
fn identity(config: &Config) -> String {
    format!(
        "task {}, steps {}, batch {}, lr {}, seed {}, from {}",
        config.task.name(),
        config.steps,
        config.batch,
        config.learning_rate,
        config.seed,
        config
            .init
            .as_ref()
            .map_or("scratch".into(), |p| p.display().to_string())
    )
}

/// Train as configured on `device` (an autodiff device). The EMA of the weights is what gets
/// scored and shipped; a finished run clears its checkpoint's step, so the next run can use it.
/// Returns the generator and whether the run finished (its weights written).
pub fn run(
    config: &Config,
    device: &Device,
    report: &mut dyn FnMut(Event),
) -> Result<(Generator, bool)> {
    let vocabulary = Vocabulary::builtin();
    let checkpoint = Checkpoint::open(&config.checkpoint)?;
    let run_file = config.checkpoint.join("run.txt");
    let me = identity(config);
    if checkpoint.step()?.is_some() {
        let held = files::read_text(&run_file)?;
        if held.trim() != me {
            return Err(Error::BadOption(format!(
                "the checkpoint {} holds another run ({}), not this one ({me}): finish that run or give another --checkpoint",
                config.checkpoint.display(),
                held.trim()
            )));
        }
    } else {
        files::write(&run_file, format!("{me}\n"))?;
    }
    let inner = device.clone().inner();
    let log_path = config.checkpoint.join("log.csv");
    let mut net = GeneratorNet::new(vocabulary.len(), device);
    if let (None, Some(path)) = (checkpoint.step()?, &config.init) {
        let prior = Generator::load(&files::read(path)?, inner.clone())
            .map_err(|e| Error::Weights(format!("{}: {e}", path.display())))?;
        if prior.vocabulary != vocabulary {
            return Err(Error::Weights(format!(
                "{}: its vocabulary differs from this build's",
                path.display()
            )));
        }
        net = net.load_record(prior.net.into_record());
    }
    let state = State::resume_or_start(
        &checkpoint,
        net,
        GeneratorNet::new(vocabulary.len(), &inner),
        LOG_HEADER,
        report,
    )?;
    let generator_of = |ema: &GeneratorNet| Generator {
        net: ema.clone(),
        vocabulary: vocabulary.clone(),
        trained: config.task.trained(),
        device: inner.clone(),
    };
    let plan = Plan {
        steps: config.steps,
        stop_at: config.stop_at,
        seconds: config.seconds,
        batch: config.batch,
        learning_rate: config.learning_rate,
        eval_every: config.eval_every,
    };
    let loss = |net: &GeneratorNet, step: u64| {
        let (inputs, goal, weights) = batch(config, &vocabulary, step, device);
        let out = net.forward(inputs.image, inputs.tokens, inputs.keep, inputs.paint);
        // Squared error: where the network is unsure whether a pixel is named, it changes it
        // partly (the mean) rather than not at all (the median an absolute error would give),
        // which keeps a gradient toward finding it.
        let diff = out - goal;
        (diff.clone() * diff * weights).mean()
    };
    let score = |ema: &GeneratorNet| scores(&generator_of(ema), config.task, config.eval_count);
    let state = sitting(&plan, state, &checkpoint, &loss, &score, report)?;
    let (ema, step) = (state.ema, state.step);
    let generator = generator_of(&ema);
    let finished = step >= config.steps;
    if finished {
        files::create_dir(&config.out)?;
        files::write(&config.out.join("generator.bpk"), generator.weights()?)?;
        files::copy(&log_path, &config.out.join("training-log.csv"))?;
        // The next run may use the folder: without a step and an identity it starts afresh.
        // (Its weight files stay: tensors read from them may still be read lazily.)
        for name in ["step", "run.txt", "log.csv"] {
            let path = config.checkpoint.join(name);
            std::fs::remove_file(&path).map_err(|e| super::io(&path, e))?;
        }
    }
    Ok((generator, finished))
}
