//! Training the painter on the RefScenes stream with burn's autodiff and Adam.
//!
//! Every `eval_every` steps it scores the painter on val and writes a checkpoint (f32 weights,
//! the optimiser's state and the step) under `out/checkpoint/`, so that `resume` continues a run
//! that was stopped. At the end it writes `out/painter.bpk` (f16) and `out/vocab.txt`; `out/log.csv`
//! has the loss and val cIoU over the run.

use super::evaluate::{evaluate, Report};
use super::model::PainterNet;
use super::perceive::{dense, Dense, SceneNet, CATEGORIES, COLOUR_CLASSES, SIZE_CLASSES};
use super::{Encoded, Inputs, Net, Painter, Target, Vocabulary, RES};
use crate::error::{Error, Result};
use crate::files;
use crate::scenes::{Sample, Split};
use burn::module::{ModuleMapper, ModuleVisitor, Param};
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::{AdamConfig, AdamWConfig, GradientsParams, ModuleOptimizer};
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
    files::error(path, "use", e)
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

fn save_f32<M: Module>(net: &M, path: &Path) -> Result<()> {
    let mut store = BurnpackStore::from_file(path)
        .auto_extension(false)
        .overwrite(true);
    net.save_into(&mut store).map_err(|e| io(path, e))
}

fn load_f32<M: Module>(net: &mut M, path: &Path) -> Result<()> {
    let mut store = BurnpackStore::from_file(path).auto_extension(false);
    net.load_from(&mut store).map_err(|e| io(path, e))?;
    Ok(())
}

/// A run's checkpoint folder: f32 weights by name, the optimiser's state and the step reached.
struct Checkpoint {
    dir: PathBuf,
}

impl Checkpoint {
    fn open(dir: &Path) -> Result<Checkpoint> {
        files::create_dir(dir)?;
        Ok(Checkpoint {
            dir: dir.to_path_buf(),
        })
    }

    /// The step it holds, if it holds one.
    fn step(&self) -> Result<Option<u64>> {
        let file = self.dir.join("step");
        if !file.exists() {
            return Ok(None);
        }
        let text = files::read_text(&file)?;
        text.trim().parse().map(Some).map_err(|e| io(&file, e))
    }

    fn load<M: Module>(&self, name: &str, net: &mut M) -> Result<()> {
        load_f32(net, &self.dir.join(name))
    }

    fn load_optimizer(&self, optimizer: ModuleOptimizer) -> Result<ModuleOptimizer> {
        let path = self.dir.join("optimizer");
        optimizer.load(&path).map_err(|e| io(&path, e))
    }

    /// Save the named nets, then the optimiser, then the step (last, so that a run stopped
    /// while saving resumes from the previous complete checkpoint's step).
    fn save(
        &self,
        nets: &[(&str, &dyn SaveF32)],
        optimizer: &ModuleOptimizer,
        step: u64,
    ) -> Result<()> {
        for (name, net) in nets {
            net.save_f32(&self.dir.join(name))?;
        }
        let path = self.dir.join("optimizer");
        optimizer.save(&path).map_err(|e| io(&path, e))?;
        let file = self.dir.join("step");
        files::write(&file, step.to_string())
    }
}

/// A module that can be written as f32 burnpack (object-safe, for [`Checkpoint::save`]).
trait SaveF32 {
    fn save_f32(&self, path: &Path) -> Result<()>;
}

impl<M: Module> SaveF32 for M {
    fn save_f32(&self, path: &Path) -> Result<()> {
        save_f32(self, path)
    }
}

/// Start a CSV log with its header line.
fn start_log(path: &Path, header: &str) -> Result<()> {
    files::write(path, format!("{header}\n"))
}

fn append_log(path: &Path, line: &str) -> Result<()> {
    files::append_line(path, line)
}

/// Write the shipped files: f16 weights and the vocabulary.
fn ship(painter: &Painter, out: &Path) -> Result<()> {
    files::create_dir(out)?;
    files::write(&out.join("painter.bpk"), painter.weights()?)?;
    files::write(&out.join("vocab.txt"), painter.vocabulary.to_text())
}

/// Train as configured on `device` (an autodiff device).
pub fn run(config: &Config, device: &Device, report: &mut dyn FnMut(Event)) -> Result<Painter> {
    let vocabulary = Vocabulary::builtin();
    let checkpoint = Checkpoint::open(&config.out.join("checkpoint"))?;
    let mut net = PainterNet::new(vocabulary.len(), device);
    let mut optimizer = AdamConfig::new().init();
    let mut start = 0;
    let log_path = config.out.join("log.csv");
    match checkpoint.step()? {
        Some(step) if config.resume => {
            start = step;
            checkpoint.load("model.bpk", &mut net)?;
            optimizer = checkpoint.load_optimizer(optimizer)?;
            report(Event::Resumed { step: start });
        }
        _ => start_log(
            &log_path,
            "step,loss,val_ciou,val_giou,psnr_outside,seconds",
        )?,
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
            return Err(Error::Training(format!(
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
            let painter = Painter::new(
                Net::EndToEnd(net.valid()),
                vocabulary.clone(),
                device.clone().inner(),
            );
            let scores = evaluate(
                Some(&painter),
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
                "{done},{:.5},{:.4},{:.4},{:.2},{:.0}",
                loss_sum / loss_n as f64,
                scores.summary.ciou,
                scores.summary.giou,
                scores.psnr_outside,
                clock.elapsed().as_secs_f64()
            );
            append_log(&log_path, &line)?;
            checkpoint.save(&[("model.bpk", &net)], &optimizer, done)?;
            (loss_sum, loss_n, window) = (0.0, 0, Instant::now());
        }
    }
    let painter = Painter::new(
        Net::EndToEnd(net.valid()),
        vocabulary,
        device.clone().inner(),
    );
    ship(&painter, &config.out)?;
    Ok(painter)
}

/// How the object recipe's run is set up; the run continues exactly where its checkpoint stopped.
#[derive(Clone, Debug)]
pub struct ObjectsConfig {
    /// The whole planned run: the learning-rate cycle spans it.
    pub steps: u64,
    /// Stop after this step in this sitting (a run longer than one sitting resumes later).
    pub stop_at: u64,
    pub batch: usize,
    pub learning_rate: f64,
    pub seed: u64,
    /// Where `painter.bpk`, `vocab.txt` and `log.csv` go.
    pub out: PathBuf,
    /// The checkpoint folder (weights, EMA, optimiser state, step), read on resume, overwritten.
    pub checkpoint: PathBuf,
    pub eval_every: u64,
    pub eval_count: u64,
    /// Stop cleanly (checkpoint written) after this many seconds of this sitting.
    pub seconds: Option<f64>,
}

/// One cycle: linear warm-up over the first 3%, then cosine down to 2% of the peak.
fn one_cycle(config: &ObjectsConfig, step: u64) -> f64 {
    let total = config.steps.max(1) as f64;
    let warm = (0.03 * total).max(1.0);
    let s = step as f64;
    if s < warm {
        return config.learning_rate * (0.05 + 0.95 * s / warm);
    }
    let progress = ((s - warm) / (total - warm).max(1.0)).min(1.0);
    config.learning_rate * (0.02 + 0.98 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()))
}

/// Class ids as one-hot planes [B, classes, RES, RES].
fn one_hot(ids: &[Vec<i64>], classes: usize, device: &Device) -> Tensor<4> {
    let n = (RES * RES) as usize;
    let mut data = vec![0f32; ids.len() * classes * n];
    for (b, v) in ids.iter().enumerate() {
        for (i, &c) in v.iter().enumerate() {
            data[(b * classes + c as usize) * n + i] = 1.0;
        }
    }
    Tensor::from_data(
        TensorData::new(data, [ids.len(), classes, RES as usize, RES as usize]),
        device,
    )
}

fn planes(values: Vec<f32>, b: usize, c: usize, device: &Device) -> Tensor<4> {
    Tensor::from_data(
        TensorData::new(values, [b, c, RES as usize, RES as usize]),
        device,
    )
}

/// Cross-entropy per pixel [B, 1, H, W] of `logits` against one-hot `truth`.
fn cross_entropy(logits: Tensor<4>, truth: Tensor<4>) -> Tensor<4> {
    -(burn::tensor::activation::log_softmax(logits, 1) * truth).sum_dim(1)
}

/// How much more an object pixel counts than a background pixel in the category loss.
const OBJECT_PIXEL_WEIGHT: f32 = 3.0;

/// The loss of the perception maps on the train batch for `step`.
fn objects_loss(net: &SceneNet, config: &ObjectsConfig, step: u64, device: &Device) -> Tensor<1> {
    let b = config.batch as u64;
    let items: Vec<(image::RgbaImage, Dense)> = (step * b..(step + 1) * b)
        .into_par_iter()
        .map(|i| {
            let s = Sample::generate(Split::Train, i, config.seed);
            (s.image(RES, RES), dense(&s, RES))
        })
        .collect();
    let n = items.len();
    let images: Vec<&image::RgbaImage> = items.iter().map(|(i, _)| i).collect();
    let raw = net.forward(super::pictures(&images, device));
    let [_, _, h, w] = raw.dims();
    let part =
        |from: usize, count: usize| raw.clone().slice([0..n, from..from + count, 0..h, 0..w]);
    let cat_truth = one_hot(
        &items
            .iter()
            .map(|(_, d)| d.category.clone())
            .collect::<Vec<_>>(),
        CATEGORIES,
        device,
    );
    let colour_truth = one_hot(
        &items
            .iter()
            .map(|(_, d)| d.colour.clone())
            .collect::<Vec<_>>(),
        COLOUR_CLASSES,
        device,
    );
    let size_truth = one_hot(
        &items
            .iter()
            .map(|(_, d)| d.size.clone())
            .collect::<Vec<_>>(),
        SIZE_CLASSES,
        device,
    );
    let object = planes(
        items.iter().flat_map(|(_, d)| d.object.clone()).collect(),
        n,
        1,
        device,
    );
    let offset = planes(
        items
            .iter()
            .flat_map(|(_, d)| d.offset.iter().flatten().copied().collect::<Vec<_>>())
            .collect(),
        n,
        2,
        device,
    );
    let objects = object.clone().sum().add_scalar(1.0);
    let weight = object
        .clone()
        .mul_scalar(OBJECT_PIXEL_WEIGHT - 1.0)
        .add_scalar(1.0);
    let category =
        (cross_entropy(part(0, CATEGORIES), cat_truth) * weight.clone()).sum() / weight.sum();
    let colour = (cross_entropy(part(CATEGORIES, COLOUR_CLASSES), colour_truth) * object.clone())
        .sum()
        / objects.clone();
    let size = (cross_entropy(part(CATEGORIES + COLOUR_CLASSES, SIZE_CLASSES), size_truth)
        * object.clone())
    .sum()
        / objects.clone();
    let centre = ((part(CATEGORIES + COLOUR_CLASSES + SIZE_CLASSES, 2) - offset).abs() * object)
        .sum()
        / objects;
    category + colour + size + centre
}

/// Every float parameter of a module, flattened, in visiting order.
struct Gather(Vec<Tensor<1>>);

impl ModuleVisitor for Gather {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let t = param.val();
        let n = t.shape().num_elements();
        self.0.push(t.reshape([n]));
    }
}

/// Blend gathered parameters into a module's: `p <- decay * p + (1 - decay) * q`.
struct Blend {
    from: std::vec::IntoIter<Tensor<1>>,
    decay: f32,
}

impl ModuleMapper for Blend {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let q = self.from.next().expect("the same module");
        let decay = self.decay;
        param.map(|p| {
            let shape = p.shape();
            p.mul_scalar(decay) + q.reshape(shape).mul_scalar(1.0 - decay)
        })
    }
}

/// The EMA is updated every this many steps.
const EMA_EVERY: u64 = 5;
/// Its decay per update: it averages over about the last 500 steps.
const EMA_DECAY: f32 = 0.99;

fn ema_update(ema: SceneNet, net: &SceneNet) -> SceneNet {
    let mut gather = Gather(Vec::new());
    net.visit(&mut gather);
    ema.map(&mut Blend {
        from: gather.0.into_iter(),
        decay: EMA_DECAY,
    })
}

/// Train the perception net of the object recipe on `device` (an autodiff device). The EMA of
/// its weights is what gets evaluated and shipped.
pub fn run_objects(
    config: &ObjectsConfig,
    device: &Device,
    report: &mut dyn FnMut(Event),
) -> Result<Painter> {
    let vocabulary = Vocabulary::builtin();
    let checkpoint = Checkpoint::open(&config.checkpoint)?;
    let inner = device.clone().inner();
    let mut net = SceneNet::new(device);
    let mut ema = SceneNet::new(&inner);
    let mut optimizer = AdamWConfig::new()
        .with_weight_decay(1e-4)
        .with_grad_clipping(Some(GradientClippingConfig::Norm(1.0)))
        .init();
    let log_path = config.checkpoint.join("log.csv");
    let mut start = 0;
    match checkpoint.step()? {
        Some(step) => {
            start = step;
            checkpoint.load("model.bpk", &mut net)?;
            checkpoint.load("ema.bpk", &mut ema)?;
            optimizer = checkpoint.load_optimizer(optimizer)?;
            report(Event::Resumed { step: start });
        }
        None => {
            ema = net.valid();
            start_log(
                &log_path,
                "step,samples,loss,val_ciou,val_giou,val_selection,seconds",
            )?;
        }
    }
    let painter_of =
        |ema: &SceneNet| Painter::new(Net::Objects(ema.clone()), vocabulary.clone(), inner.clone());
    let clock = Instant::now();
    let (mut loss_sum, mut loss_n, mut window) = (0.0, 0u64, Instant::now());
    let end = config.stop_at.min(config.steps);
    let mut step = start;
    while step < end {
        let loss = objects_loss(&net, config, step, device);
        let value = loss.clone().into_scalar::<f32>() as f64;
        if !value.is_finite() {
            return Err(Error::Training(format!(
                "the loss became {value} at step {step}: lower --lr"
            )));
        }
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        net = optimizer.step(one_cycle(config, step), net, grads);
        step += 1;
        if step % EMA_EVERY == 0 {
            ema = ema_update(ema, &net.valid());
        }
        (loss_sum, loss_n) = (loss_sum + value, loss_n + 1);
        if step % 10 == 0 || step == end {
            let rate = (loss_n as usize * config.batch) as f64 / window.elapsed().as_secs_f64();
            report(Event::Step {
                step,
                loss: loss_sum / loss_n as f64,
                images_per_second: rate,
            });
        }
        let out_of_time = config
            .seconds
            .is_some_and(|s| clock.elapsed().as_secs_f64() >= s);
        if step % config.eval_every == 0 || step == end || out_of_time {
            let scores = evaluate(
                Some(&painter_of(&ema)),
                Target::Paint,
                Split::Val,
                config.eval_count,
                0,
                &|_, _| {},
            )?;
            report(Event::Eval {
                step,
                report: &scores,
            });
            let line = format!(
                "{step},{},{:.5},{:.4},{:.4},{:.4},{:.0}",
                step * config.batch as u64,
                loss_sum / loss_n.max(1) as f64,
                scores.summary.ciou,
                scores.summary.giou,
                scores.selection,
                clock.elapsed().as_secs_f64()
            );
            append_log(&log_path, &line)?;
            checkpoint.save(&[("model.bpk", &net), ("ema.bpk", &ema)], &optimizer, step)?;
            (loss_sum, loss_n, window) = (0.0, 0, Instant::now());
        }
        if out_of_time {
            break;
        }
    }
    let painter = painter_of(&ema);
    ship(&painter, &config.out)?;
    let log = config.out.join("training-log.csv");
    files::copy(&log_path, &log)?;
    Ok(painter)
}
