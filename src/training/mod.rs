//! Training on RefScenes with burn's autodiff, on the CPU (or any burn device): the shipped
//! painter's perception net ([`perception`]), the end-to-end generator and its prior
//! ([`generator`]), and the scores both are judged by ([`evaluate`]). A run checkpoints at one
//! folder, overwritten, and resumes from it exactly where it stopped.

pub mod evaluate;
pub mod generator;
pub mod perception;

use crate::error::{Error, Result};
use crate::files;
use burn::module::{ModuleMapper, ModuleVisitor, Param};
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::store::{BurnpackStore, ModuleSnapshot};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What a run reports as it goes.
pub enum Event {
    Step {
        step: u64,
        loss: f64,
        images_per_second: f64,
    },
    Resumed {
        step: u64,
    },
    /// A line of the run's log.csv, as written at a checkpoint.
    Logged {
        step: u64,
        line: String,
    },
}

pub(crate) fn io(path: &Path, e: impl std::fmt::Display) -> Error {
    files::error(path, "use", e)
}

fn save_f32<M: Module>(net: &M, path: &Path) -> Result<()> {
    let mut store = BurnpackStore::from_file(path)
        .auto_extension(false)
        .overwrite(true);
    net.save_into(&mut store).map_err(|e| io(path, e))
}

/// Read whole into memory: a store opened on the file reads tensors lazily, after the next
/// checkpoint may have replaced the file.
fn load_f32<M: Module>(net: &mut M, path: &Path) -> Result<()> {
    let bytes = burn::tensor::Bytes::from_bytes_vec(files::read(path)?);
    let mut store = BurnpackStore::from_bytes(Some(bytes));
    net.load_from(&mut store).map_err(|e| io(path, e))?;
    Ok(())
}

/// A run's checkpoint folder: f32 weights by name, the optimiser's state and the step reached.
pub struct Checkpoint {
    dir: PathBuf,
}

impl Checkpoint {
    pub fn open(dir: &Path) -> Result<Checkpoint> {
        files::create_dir(dir)?;
        Ok(Checkpoint {
            dir: dir.to_path_buf(),
        })
    }

    /// The step it holds, if it holds one.
    pub fn step(&self) -> Result<Option<u64>> {
        let file = self.dir.join("step");
        if !file.exists() {
            return Ok(None);
        }
        let text = files::read_text(&file)?;
        text.trim().parse().map(Some).map_err(|e| io(&file, e))
    }

    pub fn load<M: Module>(&self, name: &str, net: &mut M) -> Result<()> {
        load_f32(net, &self.dir.join(name))
    }

    pub fn load_optimizer(&self, optimizer: ModuleOptimizer) -> Result<ModuleOptimizer> {
        let path = self.dir.join("optimizer");
        optimizer.load(&path).map_err(|e| io(&path, e))
    }

    /// Save the named nets, then the optimiser, then the step (last, so that a run stopped
    /// while saving resumes from the previous complete checkpoint's step).
    pub fn save(
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
pub trait SaveF32 {
    fn save_f32(&self, path: &Path) -> Result<()>;
}

impl<M: Module> SaveF32 for M {
    fn save_f32(&self, path: &Path) -> Result<()> {
        save_f32(self, path)
    }
}

/// Start a CSV log with its header line.
pub fn start_log(path: &Path, header: &str) -> Result<()> {
    files::write(path, format!("{header}\n"))
}

pub fn append_log(path: &Path, line: &str) -> Result<()> {
    files::append_line(path, line)
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
pub const EMA_EVERY: u64 = 5;
/// Its decay per update: it averages over about the last 500 steps.
const EMA_DECAY: f32 = 0.99;

/// One step of an exponential moving average of `net`'s weights.
pub fn ema_update<M: Module>(ema: M, net: &M) -> M {
    let mut gather = Gather(Vec::new());
    net.visit(&mut gather);
    ema.map(&mut Blend {
        from: gather.0.into_iter(),
        decay: EMA_DECAY,
    })
}

/// One learning-rate cycle over a run of `steps`: linear warm-up over the first 3%, then cosine
/// down to 2% of the `peak`.
pub fn one_cycle(peak: f64, steps: u64, step: u64) -> f64 {
    let total = steps.max(1) as f64;
    let warm = (0.03 * total).max(1.0);
    let s = step as f64;
    if s < warm {
        return peak * (0.05 + 0.95 * s / warm);
    }
    let progress = ((s - warm) / (total - warm).max(1.0)).min(1.0);
    peak * (0.02 + 0.98 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()))
}

/// How one sitting of a run goes.
pub struct Plan {
    /// The whole planned run: the learning-rate cycle spans it.
    pub steps: u64,
    /// Stop after this step in this sitting.
    pub stop_at: u64,
    /// Stop cleanly, with a checkpoint, after this many seconds.
    pub seconds: Option<f64>,
    pub batch: usize,
    pub learning_rate: f64,
    pub eval_every: u64,
}

/// A run's state between steps.
pub struct State<M> {
    pub net: M,
    /// The moving average of the weights: what is scored and shipped.
    pub ema: M,
    pub optimizer: ModuleOptimizer,
    pub step: u64,
}

impl<M: Module> State<M> {
    /// The state `checkpoint` holds, read into `net` (on the autodiff device) and `ema` (on
    /// the plain one); or, when it holds none, `net` as it is with its EMA a copy of it, and
    /// the log started with `header`. Both recipes optimise with AdamW (weight decay 1e-4,
    /// gradients clipped at norm 1).
    pub fn resume_or_start(
        checkpoint: &Checkpoint,
        mut net: M,
        mut ema: M,
        header: &str,
        report: &mut dyn FnMut(Event),
    ) -> Result<State<M>> {
        let optimizer = burn::optim::AdamWConfig::new()
            .with_weight_decay(1e-4)
            .with_grad_clipping(Some(
                burn::optim::grad_clipping::GradientClippingConfig::Norm(1.0),
            ))
            .init();
        match checkpoint.step()? {
            Some(step) => {
                checkpoint.load("model.bpk", &mut net)?;
                checkpoint.load("ema.bpk", &mut ema)?;
                let optimizer = checkpoint.load_optimizer(optimizer)?;
                report(Event::Resumed { step });
                Ok(State {
                    net,
                    ema,
                    optimizer,
                    step,
                })
            }
            None => {
                start_log(&checkpoint.dir.join("log.csv"), header)?;
                Ok(State {
                    ema: net.valid(),
                    net,
                    optimizer,
                    step: 0,
                })
            }
        }
    }
}

/// The steps of one sitting, the same for every recipe: a step of `loss` on the batch for each
/// step, the EMA every [`EMA_EVERY`] steps, progress every 10, and at each evaluation (and when
/// the sitting's time is up) a log line (step, samples, loss, `score`'s columns of the EMA,
/// seconds) and a checkpoint of both nets, the optimiser and the step.
pub fn sitting<M: Module>(
    plan: &Plan,
    mut state: State<M>,
    checkpoint: &Checkpoint,
    loss: &dyn Fn(&M, u64) -> Tensor<1>,
    score: &dyn Fn(&M) -> Result<String>,
    report: &mut dyn FnMut(Event),
) -> Result<State<M>> {
    let log = checkpoint.dir.join("log.csv");
    let clock = Instant::now();
    let (mut loss_sum, mut loss_n, mut window) = (0.0, 0u64, Instant::now());
    let end = plan.stop_at.min(plan.steps);
    while state.step < end {
        let step = state.step;
        let loss = loss(&state.net, step);
        let value = loss.clone().into_scalar::<f32>() as f64;
        if !value.is_finite() {
            return Err(Error::Training(format!(
                "the loss became {value} at step {step}: lower --lr"
            )));
        }
        let grads = GradientsParams::from_grads(loss.backward(), &state.net);
        let rate = one_cycle(plan.learning_rate, plan.steps, step);
        state.net = state.optimizer.step(rate, state.net, grads);
        state.step += 1;
        let step = state.step;
        if step.is_multiple_of(EMA_EVERY) {
            state.ema = ema_update(state.ema, &state.net.valid());
        }
        (loss_sum, loss_n) = (loss_sum + value, loss_n + 1);
        if step.is_multiple_of(10) || step == end {
            let rate = (loss_n as usize * plan.batch) as f64 / window.elapsed().as_secs_f64();
            report(Event::Step {
                step,
                loss: loss_sum / loss_n as f64,
                images_per_second: rate,
            });
        }
        let out_of_time = plan
            .seconds
            .is_some_and(|s| clock.elapsed().as_secs_f64() >= s);
        if step.is_multiple_of(plan.eval_every) || step == end || out_of_time {
            let line = format!(
                "{step},{},{:.5},{},{:.0}",
                step * plan.batch as u64,
                loss_sum / loss_n.max(1) as f64,
                score(&state.ema)?,
                clock.elapsed().as_secs_f64()
            );
            report(Event::Logged {
                step,
                line: line.clone(),
            });
            append_log(&log, &line)?;
            checkpoint.save(
                &[("model.bpk", &state.net), ("ema.bpk", &state.ema)],
                &state.optimizer,
                step,
            )?;
            (loss_sum, loss_n, window) = (0.0, 0, Instant::now());
        }
        if out_of_time {
            break;
        }
    }
    Ok(state)
}
