//! Every WGSL stage against its CPU twin through native wgpu (Mesa's lavapipe on machines
//! without a GPU). The checks themselves are in `common`, shared with the browser tests.

#![cfg(not(target_arch = "wasm32"))]

mod common;

use editseg::gpu::Gpu;
use pollster::block_on;

fn gpu() -> Gpu {
    block_on(Gpu::new())
        .expect("no GPU adapter: install mesa-vulkan-drivers (lavapipe) to run the GPU tests")
}

macro_rules! native {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                block_on(common::$name(&gpu()));
            }
        )*
    };
}

for_each_gpu_check!(native);

#[test]
fn the_whole_pipeline_gives_the_same_mask_on_gpu_and_cpu() {
    block_on(common::the_whole_pipeline_gives_the_same_mask_on_gpu_and_cpu());
}

#[test]
fn a_framed_edit_gives_the_same_mask_on_gpu_and_cpu() {
    block_on(common::a_framed_edit_gives_the_same_mask_on_gpu_and_cpu());
}
