//! Stage 5a: opening (drops specks) and closing (bridges gaps) with a disk.
//! GPU: `shaders/morphology.wgsl`. The CPU twin works from per-row distances, so its cost grows
//! with the radius instead of its square.

use crate::gpu::{Gpu, Kernel};
use crate::pixels::{for_rows, Grid};

const KERNEL: Kernel = Kernel {
    source: include_str!("../../shaders/morphology.wgsl"),
    entry: "main",
};

fn half_width(radius: u32, dy: i32) -> i32 {
    let room = (radius * radius) as i32 - dy * dy;
    let mut k = 0;
    while (k + 1) * (k + 1) <= room {
        k += 1;
    }
    k
}

/// Per pixel, the distance along its row to the nearest pixel equal to `wanted` (255 if none
/// within 255).
fn row_distances(mask: &[u32], grid: Grid, wanted: u32) -> Vec<u8> {
    let mut near = vec![255u8; grid.len()];
    for_rows(&mut near, grid.w as usize, |y, out| {
        let row = &mask[y * grid.w as usize..][..grid.w as usize];
        let mut d = 255u8;
        for (o, &m) in out.iter_mut().zip(row) {
            d = if m == wanted { 0 } else { d.saturating_add(1) };
            *o = d;
        }
        d = 255;
        for (o, &m) in out.iter_mut().zip(row).rev() {
            d = if m == wanted { 0 } else { d.saturating_add(1) };
            *o = (*o).min(d);
        }
    });
    near
}

/// One erosion (`dilate == false`) or dilation. A pixel of the disk's row at offset dy reaches
/// a `wanted` pixel exactly when that row's distance to one is within the row's half-width, so
/// each output row is a few vectorised compares per disk row.
pub fn cpu(src: &[u32], grid: Grid, radius: u32, dilate: bool) -> Vec<u32> {
    // Erosion finds a 0 in the disk; dilation finds a 1.
    let wanted = dilate as u32;
    let near = row_distances(src, grid, wanted);
    let (w, h, r) = (grid.w as usize, grid.h as i32, radius as i32);
    let mut out = vec![0u32; grid.len()];
    for_rows(&mut out, w, |y, row| {
        let y = y as i32;
        for dy in (-r).max(-y)..=r.min(h - 1 - y) {
            let hw = half_width(radius, dy).min(255) as u8;
            let near_row = &near[(y + dy) as usize * w..][..w];
            for (o, &d) in row.iter_mut().zip(near_row) {
                *o |= (d <= hw) as u32;
            }
        }
        if !dilate {
            row.iter_mut().for_each(|o| *o ^= 1);
        }
    });
    out
}

/// Opening (erode, dilate) then closing (dilate, erode): the passes as (radius, dilate), those
/// with a radius of 0 left out. Both twins run this schedule.
fn schedule(open: u32, close: u32) -> impl Iterator<Item = (u32, bool)> {
    [(open, false), (open, true), (close, true), (close, false)]
        .into_iter()
        .filter(|(radius, _)| *radius > 0)
}

pub fn open_close_cpu(mask: &[u32], grid: Grid, open: u32, close: u32) -> Vec<u32> {
    schedule(open, close).fold(mask.to_vec(), |m, (radius, dilate)| {
        cpu(&m, grid, radius, dilate)
    })
}

pub fn gpu(g: &Gpu, src: &wgpu::Buffer, grid: Grid, radius: u32, dilate: bool) -> wgpu::Buffer {
    let dst = g.zeroed(grid.len());
    g.run_items(
        KERNEL,
        &[grid.w, grid.h, radius, dilate as u32],
        &[src, &dst],
        grid.len(),
    );
    dst
}

pub fn open_close_gpu(
    g: &Gpu,
    mask: &wgpu::Buffer,
    grid: Grid,
    open: u32,
    close: u32,
) -> wgpu::Buffer {
    schedule(open, close).fold(mask.clone(), |m, (radius, dilate)| {
        gpu(g, &m, grid, radius, dilate)
    })
}
