//! Training the shipped painter's perception net on the RefScenes stream (AdamW, one learning
//! rate cycle, an EMA of the weights), with its dense per-pixel targets.
//!
//! Every `eval_every` steps it scores the painter on val and overwrites the checkpoint folder
//! (f32 weights, EMA, the optimiser's state, the step, log.csv), so that a later sitting
//! continues exactly where this one stopped. At the end it writes `out/painter.bpk` (f16 with its
//! schema) and `out/training-log.csv`.

use super::evaluate::evaluate;
use super::{sitting, Checkpoint, Event, Plan, State};
use crate::error::Result;
use crate::files;
use crate::painter::perceive::{
    SceneNet, CATEGORIES, CHANNELS, COLOUR_CLASSES, OFFSET_UNIT, SIZE_CLASSES,
};
use crate::painter::{pictures, Drawing, Painter, RES};
use crate::scenes::{Category, Sample, Scene, Split};
use burn::prelude::*;
use rayon::prelude::*;
use std::path::PathBuf;

/// How the object recipe's run is set up; the run continues exactly where its checkpoint stopped.
#[derive(Clone, Debug)]
pub struct Config {
    /// The whole planned run: the learning-rate cycle spans it.
    pub steps: u64,
    /// Stop after this step in this sitting (a run longer than one sitting resumes later).
    pub stop_at: u64,
    pub batch: usize,
    pub learning_rate: f64,
    pub seed: u64,
    /// Where `painter.bpk` and `training-log.csv` go.
    pub out: PathBuf,
    /// The checkpoint folder (weights, EMA, optimiser state, step), read on resume, overwritten.
    pub checkpoint: PathBuf,
    pub eval_every: u64,
    pub eval_count: u64,
    /// Stop cleanly (checkpoint written) after this many seconds of this sitting.
    pub seconds: Option<f64>,
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
fn objects_loss(net: &SceneNet, config: &Config, step: u64, device: &Device) -> Tensor<1> {
    let b = config.batch as u64;
    let items: Vec<(image::RgbaImage, Dense)> = (step * b..(step + 1) * b)
        .into_par_iter()
        .map(|i| {
            let s = Sample::generate(Split::Train, i, config.seed);
            (s.image(RES, RES), dense(&s.scene, RES))
        })
        .collect();
    let n = items.len();
    let images: Vec<&image::RgbaImage> = items.iter().map(|(i, _)| i).collect();
    let raw = net.forward(pictures(&images, device));
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

/// Train the perception net of the object recipe on `device` (an autodiff device). The EMA of
/// its weights is what gets evaluated and shipped.
/// Returns the painter and whether the run finished (its weights written).
pub fn run(
    config: &Config,
    device: &Device,
    report: &mut dyn FnMut(Event),
) -> Result<(Painter, bool)> {
    let checkpoint = Checkpoint::open(&config.checkpoint)?;
    let inner = device.clone().inner();
    let log_path = config.checkpoint.join("log.csv");
    let state = State::resume_or_start(
        &checkpoint,
        SceneNet::new(device),
        SceneNet::new(&inner),
        "step,samples,loss,val_ciou,val_giou,val_selection,seconds",
        report,
    )?;
    let painter_of = |ema: &SceneNet| Painter::new(ema.clone(), inner.clone());
    let plan = Plan {
        steps: config.steps,
        stop_at: config.stop_at,
        seconds: config.seconds,
        batch: config.batch,
        learning_rate: config.learning_rate,
        eval_every: config.eval_every,
    };
    let score = |ema: &SceneNet| {
        let scores = evaluate(
            &painter_of(ema),
            Drawing::Paint,
            crate::pipeline::Diff::EditSeg,
            Split::Val,
            config.eval_count,
            0,
            &|_, _| {},
        )?;
        Ok(format!(
            "{:.4},{:.4},{:.4}",
            scores.summary.ciou, scores.summary.giou, scores.selection
        ))
    };
    let state = sitting(
        &plan,
        state,
        &checkpoint,
        &|net, step| objects_loss(net, config, step, device),
        &score,
        report,
    )?;
    let painter = painter_of(&state.ema);
    let finished = state.step >= config.steps;
    if finished {
        files::create_dir(&config.out)?;
        files::write(&config.out.join("painter.bpk"), painter.weights()?)?;
        files::copy(&log_path, &config.out.join("training-log.csv"))?;
    }
    Ok((painter, finished))
}

/// What every pixel of a scene shows, as the training targets of [`SceneNet`].
pub struct Dense {
    /// 0 for background, else 1 + the category's index.
    pub category: Vec<i64>,
    /// The object's colour index (0 on background, where it is not scored).
    pub colour: Vec<i64>,
    /// The object's size class (0 on background, where it is not scored).
    pub size: Vec<i64>,
    /// 1 on object pixels, 0 on background.
    pub object: Vec<f32>,
    /// The offset from the pixel to its object's centre, in units of [`OFFSET_UNIT`] pixels.
    pub offset: [Vec<f32>; 2],
}

/// Dense targets of `scene` at `side` x `side`: a pixel belongs to the object that covers at
/// least half of it where nothing in front hides it (the same rule as the target's mask).
pub fn dense(scene: &Scene, side: u32) -> Dense {
    let n = (side * side) as usize;
    let mut d = Dense {
        category: vec![0; n],
        colour: vec![0; n],
        size: vec![0; n],
        object: vec![0.0; n],
        offset: [vec![0.0; n], vec![0.0; n]],
    };
    for (k, o) in scene.objects.iter().enumerate() {
        let cover = crate::scenes::draw::visible_cover(scene, k, side, side);
        let cat = 1 + Category::ALL
            .iter()
            .position(|c| *c == o.category)
            .expect("every category is listed") as i64;
        for (i, c) in cover.iter().enumerate() {
            if *c >= 0.5 {
                let (x, y) = (
                    (i as u32 % side) as f32 + 0.5,
                    (i as u32 / side) as f32 + 0.5,
                );
                d.category[i] = cat;
                d.colour[i] = o.colour as i64;
                d.size[i] = o.size as i64;
                d.object[i] = 1.0;
                d.offset[0][i] = (o.centre[0] * side as f32 - x) / OFFSET_UNIT;
                d.offset[1][i] = (o.centre[1] * side as f32 - y) / OFFSET_UNIT;
            }
        }
    }
    d
}

impl Dense {
    /// The maps a perfect [`SceneNet`] would give (certain classes, exact offsets), channel-major
    /// as [`SceneNet::perceive`] lays them out: what the program alone can reach.
    pub fn as_maps(&self) -> Vec<f32> {
        let n = self.category.len();
        let mut maps = vec![0f32; CHANNELS * n];
        for i in 0..n {
            maps[self.category[i] as usize * n + i] = 1.0;
            maps[(CATEGORIES + self.colour[i] as usize) * n + i] = 1.0;
            maps[(CATEGORIES + COLOUR_CLASSES + self.size[i] as usize) * n + i] = 1.0;
            for a in 0..2 {
                maps[(CHANNELS - 2 + a) * n + i] = self.offset[a][i];
            }
        }
        maps
    }
}
