//! Training the painter on the RefScenes stream with burn's autodiff and Adam.
//!
//! Every `eval_every` steps it scores the painter on val and writes a checkpoint (f32 weights,
//! the optimiser's state and the step) under `out/checkpoint/`, so that `resume` continues a run
//! that was stopped. At the end it writes `out/painter.bpk` (f16) and `out/vocab.txt`; `out/log.csv`
//! has the loss and val cIoU over the run.

use super::evaluate::{evaluate, Report};
use super::model::PainterNet;
use super::{Encoded, Inputs, Painter, Target, Vocabulary, RES};
use crate::error::{Error, Result};
use crate::scenes::{Sample, Split};
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::store::{BurnpackStore, ModuleSnapshot};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Clone, Debug)]
pub struct Config {
    pub target: Target,
    pub steps: u64,
    pub batch: usize,
    pub learning_rate: f64,
    pub seed: u64,
    pub out: PathBuf,
    pub resume: bool,
    pub eval_every: u64,
    /// Val samples scored at each evaluation.
    pub eval_count: u64,
}

/// What a run reports as it goes.
pub enum Event<'a> {
    Step {
        step: u64,
        loss: f64,
        images_per_second: f64,
    },
    Eval {
        step: u64,
        report: &'a Report,
    },
    Resumed {
        step: u64,
    },
}

fn io(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Io {
        what: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Warm up over 100 steps, then cosine decay to a tenth.
fn learning_rate(config: &Config, step: u64) -> f64 {
    let warm = (step as f64 + 1.0) / 100.0;
    let progress = step as f64 / config.steps.max(1) as f64;
    config.learning_rate
        * warm.min(1.0)
        * (0.1 + 0.9 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()))
}

/// How much more a pixel of the named object counts in the loss than any other: without it the
/// network settles on changing nothing, since the object is a few percent of the picture.
const OBJECT_WEIGHT: f32 = 10.0;

/// The batch for `step`: train samples step * batch .. (step + 1) * batch, inputs, targets, and
/// per-pixel loss weights [B, 1, RES, RES].
fn batch(
    config: &Config,
    vocabulary: &Vocabulary,
    step: u64,
    device: &Device,
) -> (Inputs, Tensor<4>, Tensor<4>) {
    let b = config.batch as u64;
    let samples: Vec<(Sample, crate::scenes::Targets)> = (step * b..(step + 1) * b)
        .into_par_iter()
        .map(|i| {
            let s = Sample::generate(Split::Train, i, config.seed);
            let t = s.targets(RES, RES);
            (s, t)
        })
        .collect();
    let images: Vec<&image::RgbaImage> = samples.iter().map(|(_, t)| &t.image).collect();
    let encoded: Vec<Encoded> = samples
        .iter()
        .map(|(s, _)| vocabulary.encode(&s.expression))
        .collect();
    let paints: Vec<[u8; 3]> = samples.iter().map(|(_, t)| t.paint).collect();
    let mask_images: Vec<image::RgbaImage> = match config.target {
        Target::Mask => samples
            .iter()
            .map(|(_, t)| image::DynamicImage::ImageLuma8(t.mask.clone()).to_rgba8())
            .collect(),
        _ => vec![],
    };
    let goals: Vec<&image::RgbaImage> = match config.target {
        Target::Paint => samples.iter().map(|(_, t)| &t.painted).collect(),
        Target::Overlay => samples.iter().map(|(_, t)| &t.overlay).collect(),
        Target::Mask => mask_images.iter().collect(),
    };
    let weights: Vec<f32> = samples
        .iter()
        .flat_map(|(_, t)| {
            t.mask
                .pixels()
                .map(|p| if p.0[0] > 0 { OBJECT_WEIGHT } else { 1.0 })
                .collect::<Vec<_>>()
        })
        .collect();
    let weights = Tensor::from_data(
        TensorData::new(weights, [samples.len(), 1, RES as usize, RES as usize]),
        device,
    );
    (
        Inputs::new(&images, &encoded, &paints, device),
        super::pictures(&goals, device),
        weights,
    )
}

fn save_f32(net: &PainterNet, path: &Path) -> Result<()> {
    let mut store = BurnpackStore::from_file(path)
        .auto_extension(false)
        .overwrite(true);
    net.save_into(&mut store).map_err(|e| io(path, e))
}

fn load_f32(net: &mut PainterNet, path: &Path) -> Result<()> {
    let mut store = BurnpackStore::from_file(path).auto_extension(false);
    net.load_from(&mut store).map_err(|e| io(path, e))?;
    Ok(())
}

/// Train as configured on `device` (an autodiff device).
pub fn run(config: &Config, device: &Device, report: &mut dyn FnMut(Event)) -> Result<Painter> {
    let vocabulary = Vocabulary::builtin();
    let checkpoint = config.out.join("checkpoint");
    std::fs::create_dir_all(&checkpoint).map_err(|e| io(&checkpoint, e))?;
    let mut net = PainterNet::new(vocabulary.len(), device);
    let mut optimizer = AdamConfig::new().init();
    let mut start = 0;
    let step_file = checkpoint.join("step");
    let log_path = config.out.join("log.csv");
    if config.resume && step_file.exists() {
        start = std::fs::read_to_string(&step_file)
            .map_err(|e| io(&step_file, e))?
            .trim()
            .parse()
            .map_err(|e| io(&step_file, e))?;
        load_f32(&mut net, &checkpoint.join("model.bpk"))?;
        optimizer = optimizer
            .load(checkpoint.join("optimizer"))
            .map_err(|e| io(&checkpoint.join("optimizer"), e))?;
        report(Event::Resumed { step: start });
    } else {
        std::fs::write(
            &log_path,
            "step,loss,val_ciou,val_giou,psnr_outside,seconds\n",
        )
        .map_err(|e| io(&log_path, e))?;
    }
    let clock = Instant::now();
    let (mut loss_sum, mut loss_n, mut window) = (0.0, 0u64, Instant::now());
    for step in start..config.steps {
        let (inputs, goal, weights) = batch(config, &vocabulary, step, device);
        let out = net.forward(inputs.image, inputs.tokens, inputs.keep, inputs.paint);
        // Squared error: where the network is unsure whether a pixel is the object, it paints it
        // partly (the mean) rather than not at all (the median an absolute error would give),
        // which keeps a gradient toward finding the object.
        let diff = out - goal;
        let loss = (diff.clone() * diff * weights).mean();
        let value = loss.clone().into_scalar::<f32>() as f64;
        if !value.is_finite() {
            return Err(Error::BadOption(format!(
                "the loss became {value} at step {step}: lower --lr"
            )));
        }
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        net = optimizer.step(learning_rate(config, step), net, grads);
        (loss_sum, loss_n) = (loss_sum + value, loss_n + 1);
        let done = step + 1;
        if done % 10 == 0 || done == config.steps {
            let rate = (loss_n as usize * config.batch) as f64 / window.elapsed().as_secs_f64();
            report(Event::Step {
                step: done,
                loss: loss_sum / loss_n as f64,
                images_per_second: rate,
            });
        }
        if done % config.eval_every == 0 || done == config.steps {
            let painter = Painter {
                net: net.valid(),
                vocabulary: vocabulary.clone(),
                device: device.clone().inner(),
            };
            let scores = evaluate(
                &painter,
                config.target,
                Split::Val,
                config.eval_count,
                0,
                &|_, _| {},
            )?;
            report(Event::Eval {
                step: done,
                report: &scores,
            });
            let line = format!(
                "{done},{:.5},{:.4},{:.4},{:.2},{:.0}\n",
                loss_sum / loss_n as f64,
                scores.summary.ciou,
                scores.summary.giou,
                scores.psnr_outside,
                clock.elapsed().as_secs_f64()
            );
            let mut log = std::fs::OpenOptions::new()
                .append(true)
                .open(&log_path)
                .map_err(|e| io(&log_path, e))?;
            std::io::Write::write_all(&mut log, line.as_bytes()).map_err(|e| io(&log_path, e))?;
            save_f32(&net, &checkpoint.join("model.bpk"))?;
            optimizer
                .save(checkpoint.join("optimizer"))
                .map_err(|e| io(&checkpoint.join("optimizer"), e))?;
            std::fs::write(&step_file, done.to_string()).map_err(|e| io(&step_file, e))?;
            (loss_sum, loss_n, window) = (0.0, 0, Instant::now());
        }
    }
    let painter = Painter {
        net: net.valid(),
        vocabulary,
        device: device.clone().inner(),
    };
    let weights = config.out.join("painter.bpk");
    std::fs::write(&weights, painter.weights()?).map_err(|e| io(&weights, e))?;
    let vocab = config.out.join("vocab.txt");
    std::fs::write(&vocab, painter.vocabulary.to_text()).map_err(|e| io(&vocab, e))?;
    Ok(painter)
}
