//! EditSeg: segment the thing a sentence names by differencing a colour edit against the
//! original.
//!
//! An editor (a large image-editing model, an app, or any other) is asked to paint the referred
//! object a colour; [`Differ::mask_from_edit`] recovers the object's mask from the original and
//! the edited image. The stages run as WGSL kernels on a GPU (WebGPU in the browser, Vulkan and
//! others natively) or as their CPU twins in Rust, with the same results:
//!
//! image -> [`diff`] (1 resample, 2a-b blur and drift, 2c align, 3 score) -> [`cleanup`] (4
//! threshold, 5a morphology, 5b components, 5c outline) -> [`render`] (6: mask, heat map,
//! overlay) -> mask -> [`metrics`]; a mask made smaller than its picture (the painter's 64x64,
//! or a picture over the working size) is brought to full size along the picture's edges by
//! [`cleanup::upsample`] (7).

pub mod cleanup;
pub mod clock;
pub mod color;
pub mod diff;
pub mod editor;
mod engine;
pub mod error;
#[cfg(not(target_arch = "wasm32"))]
pub mod eval;
pub mod files;
#[cfg(not(target_arch = "wasm32"))]
pub mod generator;
pub mod gpu;
pub mod imageio;
pub mod instruction;
pub mod metrics;
pub mod painter;
pub mod pipeline;
pub mod pixels;
#[cfg(not(target_arch = "wasm32"))]
pub mod plot;
pub mod refcoco;
pub mod render;
#[cfg(not(target_arch = "wasm32"))]
pub mod report;
pub mod rng;
pub mod scenes;
pub mod synth;
#[cfg(not(target_arch = "wasm32"))]
pub mod training;
#[cfg(target_arch = "wasm32")]
pub mod web_api;

pub use error::{Error, Result};
pub use pipeline::{KeepOption, Options, Outcome, Stats};

use image::RgbaImage;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendChoice {
    /// A real GPU where there is one; the CPU where there is none, or where the only adapter
    /// is a CPU emulating a GPU (the reason is kept in `Differ::fallback`).
    Auto,
    Gpu,
    Cpu,
}

impl std::str::FromStr for BackendChoice {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(BackendChoice::Auto),
            "gpu" => Ok(BackendChoice::Gpu),
            "cpu" => Ok(BackendChoice::Cpu),
            _ => Err(Error::BadOption(format!(
                "backend {s:?}: expected auto, gpu or cpu"
            ))),
        }
    }
}

/// Stage 7 on one engine.
async fn upsample_on<E: engine::Engine>(
    engine: &E,
    mask: &image::GrayImage,
    small: &RgbaImage,
    grid: pixels::Grid,
    picture: &RgbaImage,
    full: pixels::Grid,
) -> Result<Vec<u32>> {
    use pixels::words;
    let out = engine.upsample(
        &engine.upload(
            mask.as_raw()
                .iter()
                .map(|&m| m as u32)
                .collect::<Vec<_>>()
                .into(),
        ),
        &engine.upload(words(small)),
        grid,
        &engine.upload(words(picture)),
        full,
    );
    engine.download(out, full.len()).await
}

/// The diff: owns the GPU device (or stands for the CPU path) and turns any number of
/// (original, edit) pairs into masks ([`Differ::mask_from_edit`]); the painter's `segment` uses
/// it after painting.
pub struct Differ {
    gpu: Option<gpu::Gpu>,
    /// Why the CPU path is used under `Auto`, when it is.
    pub fallback: Option<String>,
}

impl Differ {
    pub async fn new(choice: BackendChoice) -> Result<Differ> {
        match choice {
            BackendChoice::Cpu => Ok(Differ {
                gpu: None,
                fallback: None,
            }),
            BackendChoice::Gpu => Ok(Differ {
                gpu: Some(gpu::Gpu::new().await?),
                fallback: None,
            }),
            BackendChoice::Auto => match gpu::Gpu::new().await {
                // Measured on SwiftShader and lavapipe: the CPU path is 2-10x faster than a CPU
                // emulating a GPU, for the painter and for the diff.
                Ok(g) if g.emulated => Ok(Differ {
                    gpu: None,
                    fallback: Some(format!(
                        "the only GPU adapter, {}, is a CPU emulating a GPU, slower than the CPU path",
                        g.adapter
                    )),
                }),
                Ok(g) => Ok(Differ {
                    gpu: Some(g),
                    fallback: None,
                }),
                Err(e) => Ok(Differ {
                    gpu: None,
                    fallback: Some(e.to_string()),
                }),
            },
        }
    }

    /// "cpu", or "gpu: " and the adapter's name.
    pub fn backend(&self) -> String {
        match &self.gpu {
            Some(g) => engine::Engine::name(g),
            None => engine::Engine::name(&engine::Cpu),
        }
    }

    pub fn gpu(&self) -> Option<&gpu::Gpu> {
        self.gpu.as_ref()
    }

    /// A mask made at `small` resolution brought to `picture`'s size along the picture's edges
    /// (stage 7, [`cleanup::upsample`]).
    pub async fn upsample(
        &self,
        mask: &image::GrayImage,
        small: &RgbaImage,
        picture: &RgbaImage,
    ) -> Result<image::GrayImage> {
        use pixels::Grid;
        let (grid, full) = (Grid::of(small), Grid::of(picture));
        if mask.dimensions() != small.dimensions() {
            return Err(Error::SizeMismatch(format!(
                "the mask is {}x{}, its guide {}x{}",
                mask.width(),
                mask.height(),
                grid.w,
                grid.h
            )));
        }
        let words = match &self.gpu {
            Some(g) if full.len() <= engine::Engine::max_pixels(g) => {
                upsample_on(g, mask, small, grid, picture, full).await?
            }
            _ => upsample_on(&engine::Cpu, mask, small, grid, picture, full).await?,
        };
        let bytes = words.into_iter().map(|w| w as u8).collect();
        Ok(image::GrayImage::from_raw(full.w, full.h, bytes).expect("one byte a pixel"))
    }

    /// The mask of what the editor painted, with the heat map, an overlay and stats.
    pub async fn mask_from_edit(
        &self,
        original: &RgbaImage,
        edited: &RgbaImage,
        options: &Options,
    ) -> Result<Outcome> {
        // Natively the CPU path runs on a thread of the pool its stages split their rows over,
        // with the pool's other threads kept polling: each stage starts on every core at once,
        // where from outside the pool, or with the others asleep, it would wait for them to
        // wake. It never waits on anything else.
        #[cfg(not(target_arch = "wasm32"))]
        if self.gpu.is_none() {
            return crate::pixels::awake(|| {
                pollster::block_on(pipeline::run(
                    &engine::Cpu,
                    original,
                    edited,
                    options,
                    &|_| {},
                ))
            });
        }
        self.mask_from_edit_telling(original, edited, options, &|_| {})
            .await
    }

    /// [`Differ::mask_from_edit`], calling `progress` as each stage begins.
    pub async fn mask_from_edit_telling(
        &self,
        original: &RgbaImage,
        edited: &RgbaImage,
        options: &Options,
        progress: &dyn Fn(pipeline::Stage),
    ) -> Result<Outcome> {
        match &self.gpu {
            Some(g) => pipeline::run(g, original, edited, options, progress).await,
            None => pipeline::run(&engine::Cpu, original, edited, options, progress).await,
        }
    }
}

/// The dependencies' static constructors (burn's and cubecl's registries), run once on the web
/// before anything reads what they register: when the module is instantiated and, for builds
/// whose host skips that (the wasm test runner), where the GPU and the painter start. Without a
/// call of its own the linker makes the module a "command" that runs them at the start of every
/// exported function, including those the JS glue calls for each value handed to wasm, which
/// makes every WebGPU call from wasm cost a millisecond or more. Native platforms run them at
/// load.
pub(crate) fn run_static_constructors() {
    #[cfg(target_arch = "wasm32")]
    {
        extern "C" {
            fn __wasm_call_ctors();
        }
        static ONCE: std::sync::Once = std::sync::Once::new();
        // SAFETY: the linker's constructor function, run once, before any registry is read.
        ONCE.call_once(|| unsafe { __wasm_call_ctors() });
    }
}
