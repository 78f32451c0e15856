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
use burn::optim::ModuleOptimizer;
use burn::prelude::*;
use burn::store::{BurnpackStore, ModuleSnapshot};
use evaluate::Report;
use std::path::{Path, PathBuf};

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

fn load_f32<M: Module>(net: &mut M, path: &Path) -> Result<()> {
    let mut store = BurnpackStore::from_file(path).auto_extension(false);
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
