//! Stage 1: bring the edit onto the original's grid (editors answer at their own resolution and,
//! for a fixed-size editor, squeezed to its aspect). GPU: `shaders/resample.wgsl`.

use crate::gpu::{Gpu, Kernel};
use crate::pixels::{for_rows, pack, unpack, Grid};

const KERNEL: Kernel = Kernel {
    source: include_str!("../../shaders/resample.wgsl"),
    entry: "main",
};

/// Samples per output pixel along one axis: one when enlarging, enough to cover the footprint
/// when shrinking.
fn taps(src: u32, dst: u32) -> u32 {
    src.div_ceil(dst).max(1)
}

fn params(src: Grid, dst: Grid) -> [u32; 6] {
    [
        src.w,
        src.h,
        dst.w,
        dst.h,
        taps(src.w, dst.w),
        taps(src.h, dst.h),
    ]
}

pub fn cpu(src: &[u32], from: Grid, to: Grid) -> Vec<u32> {
    let [_, _, _, _, taps_x, taps_y] = params(from, to);
    let texel = |x: i32, y: i32| {
        let cx = x.clamp(0, from.w as i32 - 1) as usize;
        let cy = y.clamp(0, from.h as i32 - 1) as usize;
        unpack(src[cy * from.w as usize + cx])
    };
    let mix = |a: [f32; 4], b: [f32; 4], t: f32| {
        std::array::from_fn::<f32, 4, _>(|c| a[c] * (1.0 - t) + b[c] * t)
    };
    let bilinear = |fx: f32, fy: f32| {
        let (px, py) = (fx - 0.5, fy - 0.5);
        let (x0, y0) = (px.floor(), py.floor());
        let (tx, ty) = (px - x0, py - y0);
        let (ix, iy) = (x0 as i32, y0 as i32);
        let top = mix(texel(ix, iy), texel(ix + 1, iy), tx);
        let bottom = mix(texel(ix, iy + 1), texel(ix + 1, iy + 1), tx);
        mix(top, bottom, ty)
    };
    let sx = from.w as f32 / to.w as f32;
    let sy = from.h as f32 / to.h as f32;
    let n = (taps_x * taps_y) as f32;
    let mut out = vec![0u32; to.len()];
    for_rows(&mut out, to.w as usize, |y, row| {
        for (x, o) in row.iter_mut().enumerate() {
            let mut acc = [0.0f32; 4];
            for ty in 0..taps_y {
                let fy = (y as f32 + (ty as f32 + 0.5) / taps_y as f32) * sy;
                for tx in 0..taps_x {
                    let fx = (x as f32 + (tx as f32 + 0.5) / taps_x as f32) * sx;
                    let s = bilinear(fx, fy);
                    for c in 0..4 {
                        acc[c] += s[c];
                    }
                }
            }
            *o = pack(acc.map(|a| a / n));
        }
    });
    out
}

pub fn gpu(g: &Gpu, src: &wgpu::Buffer, from: Grid, to: Grid) -> wgpu::Buffer {
    let dst = g.zeroed(to.len());
    g.run_items(KERNEL, &params(from, to), &[src, &dst], to.len());
    dst
}
