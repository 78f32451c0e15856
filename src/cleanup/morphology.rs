//! Stage 5a: opening (drops specks) and closing (bridges gaps) with a disk.
//! GPU: `shaders/morphology.wgsl`. The CPU twin counts ones per row with prefix sums, so its
//! cost grows with the radius instead of its square.

use crate::gpu::{Gpu, Kernel};
use crate::pixels::Grid;

const KERNEL: Kernel = Kernel { source: include_str!("../../shaders/morphology.wgsl"), entry: "main" };

fn half_width(radius: u32, dy: i32) -> i32 {
    let room = (radius * radius) as i32 - dy * dy;
    let mut k = 0;
    while (k + 1) * (k + 1) <= room {
        k += 1;
    }
    k
}

/// One erosion (`dilate == false`) or dilation.
pub fn cpu(src: &[u32], grid: Grid, radius: u32, dilate: bool) -> Vec<u32> {
    let (w, h, r) = (grid.w as usize, grid.h as i32, radius as i32);
    // prefix[y][x] = ones in row y before column x.
    let mut prefix = vec![0u32; (w + 1) * grid.h as usize];
    for y in 0..grid.h as usize {
        for x in 0..w {
            prefix[y * (w + 1) + x + 1] = prefix[y * (w + 1) + x] + src[y * w + x];
        }
    }
    let widths: Vec<i32> = (-r..=r).map(|dy| half_width(radius, dy)).collect();
    let mut out = vec![0u32; grid.len()];
    for y in 0..h {
        for x in 0..w as i32 {
            let mut hit = false;
            for dy in (-r).max(-y)..=r.min(h - 1 - y) {
                let hw = widths[(dy + r) as usize];
                let (lo, hi) = ((x - hw).max(0) as usize, (x + hw).min(w as i32 - 1) as usize);
                let row = &prefix[(y + dy) as usize * (w + 1)..];
                let ones = (row[hi + 1] - row[lo]) as usize;
                hit = if dilate { ones > 0 } else { ones < hi + 1 - lo };
                if hit {
                    break;
                }
            }
            out[y as usize * w + x as usize] = (hit == dilate) as u32;
        }
    }
    out
}

pub fn open_close_cpu(mask: &[u32], grid: Grid, open: u32, close: u32) -> Vec<u32> {
    let mut m = mask.to_vec();
    for (radius, dilate) in [(open, false), (open, true), (close, true), (close, false)] {
        if radius > 0 {
            m = cpu(&m, grid, radius, dilate);
        }
    }
    m
}

pub fn gpu(g: &Gpu, src: &wgpu::Buffer, grid: Grid, radius: u32, dilate: bool) -> wgpu::Buffer {
    let dst = g.zeroed(grid.len());
    g.run_items(KERNEL, &[grid.w, grid.h, radius, dilate as u32], &[src, &dst], grid.len());
    dst
}

pub fn open_close_gpu(g: &Gpu, mask: &wgpu::Buffer, grid: Grid, open: u32, close: u32) -> wgpu::Buffer {
    let mut m = mask.clone();
    for (radius, dilate) in [(open, false), (open, true), (close, true), (close, false)] {
        if radius > 0 {
            m = gpu(g, &m, grid, radius, dilate);
        }
    }
    m
}
