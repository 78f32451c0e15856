//! Stage 2c: the shift search. Costs are capped colour differences on a grid of sample pixels,
//! so the painted object (a large difference at every shift) does not steer the choice.
//! GPU: `shaders/align.wgsl`.

use crate::error::Result;
use crate::gpu::{Gpu, Kernel};
use crate::pixels::Grid;

const KERNEL: Kernel = Kernel {
    source: include_str!("../../shaders/align.wgsl"),
    entry: "main",
};

/// Largest difference one pixel may add (sum over R, G and B).
const CAP: u32 = 48;
/// Sample about this many pixels at most.
const SAMPLES: usize = 1 << 18;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Search {
    pub radius: u32,
    stride: u32,
    rows: u32,
    cols: u32,
}

impl Search {
    /// Shifts up to `radius` pixels each way; none when the image is too small to shift.
    pub fn new(grid: Grid, radius: u32) -> Search {
        let radius = if grid.w > 4 * radius + 4 && grid.h > 4 * radius + 4 {
            radius
        } else {
            0
        };
        let stride = ((grid.len() / SAMPLES) as f64).sqrt().ceil().max(1.0) as u32;
        let rows = (grid.h - 2 * radius).div_ceil(stride);
        let cols = (grid.w - 2 * radius).div_ceil(stride);
        Search {
            radius,
            stride,
            rows,
            cols,
        }
    }

    fn side(&self) -> u32 {
        2 * self.radius + 1
    }

    fn params(&self, grid: Grid) -> [u32; 7] {
        [
            grid.w,
            grid.h,
            self.radius,
            self.stride,
            self.rows,
            self.cols,
            CAP,
        ]
    }

    /// The cheapest shift `(dx, dy)` (edited pixel = original pixel + shift). Ties go to the
    /// smaller shift, so an unshifted edit stays unshifted.
    pub fn best(&self, row_costs: &[u32]) -> (i32, i32) {
        let r = self.radius as i32;
        let side = self.side() as usize;
        (0..side * side)
            .map(|s| {
                let total: u64 = row_costs[s * self.rows as usize..][..self.rows as usize]
                    .iter()
                    .map(|&c| c as u64)
                    .sum();
                let (dx, dy) = ((s % side) as i32 - r, (s / side) as i32 - r);
                (total, dx.abs() + dy.abs(), dx, dy)
            })
            .min()
            .map(|(_, _, dx, dy)| (dx, dy))
            .unwrap_or((0, 0))
    }
}

fn channel_diff(a: u32, b: u32) -> u32 {
    (0..3)
        .map(|c| ((a >> (8 * c)) & 255).abs_diff((b >> (8 * c)) & 255))
        .sum()
}

/// Cost per (shift, sampled row), shift-major, as the GPU writes them.
pub fn cpu(original: &[u32], edited: &[u32], grid: Grid, search: &Search) -> Vec<u32> {
    let side = search.side();
    let r = search.radius as i32;
    let mut cost = Vec::with_capacity((side * side * search.rows) as usize);
    for shift in 0..side * side {
        let (dx, dy) = ((shift % side) as i32 - r, (shift / side) as i32 - r);
        for row in 0..search.rows {
            let y = search.radius + row * search.stride;
            let ey = (y as i32 + dy) as u32;
            let sum: u32 = (0..search.cols)
                .map(|col| {
                    let x = search.radius + col * search.stride;
                    let ex = (x as i32 + dx) as u32;
                    channel_diff(
                        original[(y * grid.w + x) as usize],
                        edited[(ey * grid.w + ex) as usize],
                    )
                    .min(CAP)
                })
                .sum();
            cost.push(sum);
        }
    }
    cost
}

pub async fn gpu(
    g: &Gpu,
    original: &wgpu::Buffer,
    edited: &wgpu::Buffer,
    grid: Grid,
    search: &Search,
) -> Result<Vec<u32>> {
    let n = (search.side() * search.side() * search.rows) as usize;
    let cost = g.zeroed(n);
    g.run_items(KERNEL, &search.params(grid), &[original, edited, &cost], n);
    g.read(&cost, n).await
}
