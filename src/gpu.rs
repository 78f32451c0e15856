//! One WebGPU (browser) or Vulkan/Metal/DX12 (native) device, and the plumbing every stage kernel
//! shares: storage buffers, a dispatch helper and async readback.
//!
//! Every kernel binds a uniform block of `u32` words at binding 0 and read-write storage buffers
//! at bindings 1.., so one explicit layout per buffer count serves all entry points of a shader
//! (auto layouts would drop the bindings an entry point does not touch).

use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use wgpu::util::DeviceExt;

/// Invocations per workgroup in every per-pixel kernel (`@workgroup_size(256)`).
pub const WORKGROUP: u32 = 256;
/// Helpers every kernel may call, put in front of its source.
const PRELUDE: &str = include_str!("../shaders/prelude.wgsl");

pub struct Gpu {
    // Kept for handing the device to burn's runtime (`burn_device`), which the browser build uses.
    #[cfg(target_arch = "wasm32")]
    instance: wgpu::Instance,
    #[cfg(target_arch = "wasm32")]
    adapter_handle: wgpu::Adapter,
    device: wgpu::Device,
    queue: wgpu::Queue,
    pub adapter: String,
    /// The adapter is a CPU emulating a GPU (a browser's fallback adapter such as SwiftShader,
    /// or Mesa's lavapipe): there the CPU path is faster.
    pub emulated: bool,
    /// Largest storage buffer a kernel may bind, in bytes.
    pub max_binding: u64,
    /// Set by the device-lost callback; checked after every readback.
    lost: Arc<Mutex<Option<String>>>,
    /// The first uncaptured validation / out-of-memory error.
    failed: Arc<Mutex<Option<String>>>,
    layouts: Mutex<HashMap<usize, wgpu::BindGroupLayout>>,
    pipelines: Mutex<HashMap<(usize, &'static str), wgpu::ComputePipeline>>,
    /// Work recorded since the last submission: dispatches and copies go into one command
    /// encoder, submitted when the host waits for a result (a per-submission cost dominates on
    /// emulated adapters such as SwiftShader).
    pending: Mutex<Option<wgpu::CommandEncoder>>,
    /// Kernel dispatches and host readbacks since the device was opened.
    dispatches: AtomicU32,
    readbacks: AtomicU32,
}

/// A kernel: its WGSL source and the entry point to run.
#[derive(Clone, Copy)]
pub struct Kernel {
    pub source: &'static str,
    pub entry: &'static str,
}

impl Kernel {
    /// The entry point `entry` of the WGSL `source`.
    pub const fn new(source: &'static str, entry: &'static str) -> Kernel {
        Kernel { source, entry }
    }
}

impl Gpu {
    /// Find an adapter and open a device on it. On the web this is WebGPU; natively any backend
    /// wgpu was built with. A CPU adapter (lavapipe, SwiftShader) is accepted: it is still the
    /// same WGSL path.
    pub async fn new() -> Result<Gpu> {
        crate::run_static_constructors();
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        if cfg!(target_arch = "wasm32") {
            if !wgpu::util::is_browser_webgpu_supported().await {
                return Err(Error::NoGpu("navigator.gpu is missing or offers no adapter: this browser has no WebGPU or it is turned off".into()));
            }
            desc.backends = wgpu::Backends::BROWSER_WEBGPU;
        }
        let instance = wgpu::Instance::new(desc);
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| Error::NoGpu(e.to_string()))?;
        let info = adapter.get_info();
        let limits = adapter.limits();
        // Everything the adapter offers, as burn's runtime asks for it: the painter network runs
        // on this same device (see `painter_device`).
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("editseg"),
                required_features: adapter
                    .features()
                    .difference(wgpu::Features::MAPPABLE_PRIMARY_BUFFERS),
                required_limits: limits,
                memory_hints: wgpu::MemoryHints::MemoryUsage,
                ..Default::default()
            })
            .await
            .map_err(|e| Error::NoGpu(format!("{}: {e}", info.name)))?;
        let lost = Arc::new(Mutex::new(None));
        let failed = Arc::new(Mutex::new(None));
        {
            let lost = lost.clone();
            device.set_device_lost_callback(move |reason, message| {
                *lost.lock().unwrap() = Some(format!("{reason:?}: {message}"));
            });
            let failed = failed.clone();
            device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
                failed.lock().unwrap().get_or_insert_with(|| e.to_string());
            }));
        }
        let max_binding = device
            .limits()
            .max_storage_buffer_binding_size
            .min(device.limits().max_buffer_size);
        Ok(Gpu {
            #[cfg(target_arch = "wasm32")]
            instance,
            #[cfg(target_arch = "wasm32")]
            adapter_handle: adapter,
            device,
            queue,
            // Browsers hide the adapter's name.
            adapter: format!(
                "{} ({:?}, {:?})",
                if info.name.is_empty() {
                    "WebGPU"
                } else {
                    &info.name
                },
                info.backend,
                info.device_type
            ),
            emulated: info.device_type == wgpu::DeviceType::Cpu,
            max_binding,
            lost,
            failed,
            layouts: Mutex::new(HashMap::new()),
            pipelines: Mutex::new(HashMap::new()),
            pending: Mutex::new(None),
            dispatches: AtomicU32::new(0),
            readbacks: AtomicU32::new(0),
        })
    }

    /// burn's device on this same GPU device and queue, so that the painter network and the
    /// diff stages share one `GPUDevice`. Each call registers a new burn runtime.
    #[cfg(target_arch = "wasm32")]
    pub fn burn_device(&self) -> Result<burn::prelude::Device> {
        let setup = burn::tensor::wgpu::WgpuSetup {
            instance: self.instance.clone(),
            adapter: self.adapter_handle.clone(),
            device: self.device.clone(),
            queue: self.queue.clone(),
            backend: wgpu::Backend::BrowserWebGpu,
        };
        burn::prelude::Device::wgpu_options()
            .setup(setup)
            .init()
            .map_err(|e| Error::Gpu(format!("the painter cannot use this GPU device: {e}")))
    }

    /// Make the device unusable, as a driver reset would; later requests fail with `DeviceLost`.
    pub fn destroy(&self) {
        self.device.destroy();
    }

    fn check(&self) -> Result<()> {
        if let Some(m) = self.lost.lock().unwrap().clone() {
            return Err(Error::DeviceLost(m));
        }
        if let Some(m) = self.failed.lock().unwrap().clone() {
            return Err(Error::Gpu(m));
        }
        Ok(())
    }

    pub fn upload(&self, words: &[u32]) -> wgpu::Buffer {
        // A zero-length binding is invalid; keep at least one word.
        let data: &[u32] = if words.is_empty() { &[0] } else { words };
        self.device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: None,
                contents: bytemuck::cast_slice(data),
                usage: wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_SRC
                    | wgpu::BufferUsages::COPY_DST,
            })
    }

    pub fn zeroed(&self, words: usize) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size: 4 * words.max(1) as u64,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    fn layout(&self, storage: usize) -> wgpu::BindGroupLayout {
        self.layouts
            .lock()
            .unwrap()
            .entry(storage)
            .or_insert_with(|| {
                let entry = |binding: u32, ty| wgpu::BindGroupLayoutEntry {
                    binding,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                };
                let mut entries = vec![entry(0, wgpu::BufferBindingType::Uniform)];
                for b in 1..=storage as u32 {
                    entries.push(entry(
                        b,
                        wgpu::BufferBindingType::Storage { read_only: false },
                    ));
                }
                self.device
                    .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                        label: None,
                        entries: &entries,
                    })
            })
            .clone()
    }

    fn pipeline(&self, kernel: Kernel, storage: usize) -> wgpu::ComputePipeline {
        let key = (kernel.source.as_ptr() as usize, kernel.entry);
        if let Some(p) = self.pipelines.lock().unwrap().get(&key) {
            return p.clone();
        }
        let source = format!("{PRELUDE}\n{}", kernel.source);
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(kernel.entry),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            });
        let layout = self
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: None,
                bind_group_layouts: &[Some(&self.layout(storage))],
                immediate_size: 0,
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(kernel.entry),
                layout: Some(&layout),
                module: &module,
                entry_point: Some(kernel.entry),
                compilation_options: Default::default(),
                cache: None,
            });
        self.pipelines.lock().unwrap().insert(key, pipeline.clone());
        pipeline
    }

    /// Run one kernel over `groups` workgroups with `params` as its uniform block.
    pub fn run(&self, kernel: Kernel, params: &[u32], buffers: &[&wgpu::Buffer], groups: [u32; 3]) {
        let mut words = params.to_vec();
        words.resize(params.len().div_ceil(4).max(1) * 4, 0);
        let uniform = self
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: None,
                contents: bytemuck::cast_slice(&words),
                usage: wgpu::BufferUsages::UNIFORM,
            });
        let pipeline = self.pipeline(kernel, buffers.len());
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: uniform.as_entire_binding(),
        }];
        for (i, b) in buffers.iter().enumerate() {
            entries.push(wgpu::BindGroupEntry {
                binding: i as u32 + 1,
                resource: b.as_entire_binding(),
            });
        }
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &self.layout(buffers.len()),
            entries: &entries,
        });
        self.record(|encoder| {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups(groups[0], groups[1], groups[2]);
        });
        self.dispatches.fetch_add(1, Ordering::Relaxed);
        #[cfg(not(target_arch = "wasm32"))]
        self.profile(kernel, groups);
    }

    /// With `EDITSEG_GPU_PROFILE` set (native builds), each kernel is run to completion on its own
    /// and its time printed to stderr: where a request's GPU time goes.
    #[cfg(not(target_arch = "wasm32"))]
    fn profile(&self, kernel: Kernel, groups: [u32; 3]) {
        static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        if !*ON.get_or_init(|| std::env::var_os("EDITSEG_GPU_PROFILE").is_some()) {
            return;
        }
        let start = std::time::Instant::now();
        self.flush();
        let _ = self.device.poll(wgpu::PollType::wait_indefinitely());
        // Every shader starts with "// Stage N: ...".
        let stage = kernel
            .source
            .lines()
            .next()
            .unwrap_or("")
            .trim_start_matches("// ");
        eprintln!(
            "{:<10} {:<18} {:>9} invocations {:8.2} ms",
            stage.split(':').next().unwrap_or(stage),
            kernel.entry,
            groups.iter().product::<u32>() * WORKGROUP,
            start.elapsed().as_secs_f64() * 1000.0
        );
    }

    /// Add commands to the pending encoder, in order after everything recorded before.
    fn record(&self, commands: impl FnOnce(&mut wgpu::CommandEncoder)) {
        let mut pending = self.pending.lock().unwrap();
        commands(
            pending.get_or_insert_with(|| self.device.create_command_encoder(&Default::default())),
        );
    }

    /// Submit everything recorded so far.
    fn flush(&self) {
        if let Some(encoder) = self.pending.lock().unwrap().take() {
            self.queue.submit([encoder.finish()]);
        }
    }

    /// Kernel dispatches and readbacks so far on this device, for the per-request counts in the
    /// stats (requests overlapping on one device share the counters).
    pub fn counts(&self) -> (u32, u32) {
        (
            self.dispatches.load(Ordering::Relaxed),
            self.readbacks.load(Ordering::Relaxed),
        )
    }

    /// Run a kernel with one invocation per item (`n` items, 256 per workgroup, folded into a 2-D
    /// grid so that no dimension passes the 65535-workgroup limit). Kernels recover the item with
    /// the prelude's `item_index`.
    pub fn run_items(&self, kernel: Kernel, params: &[u32], buffers: &[&wgpu::Buffer], n: usize) {
        let groups = (n as u32).div_ceil(WORKGROUP).max(1);
        let x = groups.min(32768);
        self.run(kernel, params, buffers, [x, groups.div_ceil(x), 1]);
    }

    /// Overwrite the start of `buffer` with `words`, in order with the recorded kernels.
    pub fn write(&self, buffer: &wgpu::Buffer, words: &[u32]) {
        let source = self
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: None,
                contents: bytemuck::cast_slice(words),
                usage: wgpu::BufferUsages::COPY_SRC,
            });
        let size = 4 * words.len() as u64;
        self.record(|encoder| encoder.copy_buffer_to_buffer(&source, 0, buffer, 0, size));
    }

    /// Copy `words` words back to the host. Awaits the GPU (never blocks on the web).
    pub async fn read(&self, buffer: &wgpu::Buffer, words: usize) -> Result<Vec<u32>> {
        let mut all = self.read_all(&[(buffer, words)]).await?;
        Ok(all.remove(0))
    }

    /// The first words of several buffers, in one readback: each one waits for the GPU to
    /// finish and, in a browser, for a round trip to the GPU process.
    pub async fn read_all(&self, buffers: &[(&wgpu::Buffer, usize)]) -> Result<Vec<Vec<u32>>> {
        self.check()?;
        self.readbacks.fetch_add(1, Ordering::Relaxed);
        let sizes: Vec<u64> = buffers.iter().map(|&(_, w)| 4 * w.max(1) as u64).collect();
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size: sizes.iter().sum(),
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.record(|encoder| {
            let mut offset = 0;
            for (&(buffer, _), &size) in buffers.iter().zip(&sizes) {
                encoder.copy_buffer_to_buffer(buffer, 0, &staging, offset, size);
                offset += size;
            }
        });
        self.flush();
        let (tx, rx) = futures_channel::oneshot::channel();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        #[cfg(not(target_arch = "wasm32"))]
        if let Err(e) = self.device.poll(wgpu::PollType::wait_indefinitely()) {
            self.check()?;
            return Err(Error::DeviceLost(e.to_string()));
        }
        let mapped = rx.await;
        self.check()?;
        match mapped {
            Ok(Ok(())) => {
                let view = staging
                    .slice(..)
                    .get_mapped_range()
                    .map_err(|e| Error::Gpu(format!("{e:?}")))?;
                let all = bytemuck::cast_slice::<u8, u32>(&view);
                let mut start = 0;
                let data = buffers
                    .iter()
                    .zip(&sizes)
                    .map(|(&(_, words), &size)| {
                        let part = all[start..start + words].to_vec();
                        start += size as usize / 4;
                        part
                    })
                    .collect();
                drop(view);
                staging.unmap();
                Ok(data)
            }
            Ok(Err(e)) => Err(Error::DeviceLost(format!("readback failed: {e}"))),
            Err(_) => Err(Error::DeviceLost("readback was cancelled".into())),
        }
    }
}
