//! Stage 2c: the shift search. Costs are capped colour differences on a grid of sample pixels,
//! so the painted object (a large difference at every shift) does not steer the choice.
//! GPU: `shaders/align.wgsl`.

use crate::error::Result;
use crate::gpu::{Gpu, Kernel};
use crate::pixels::{for_rows, Grid};

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
    /// The shift the candidates are centred on.
    pub centre: (i32, i32),
    stride: u32,
    rows: u32,
    cols: u32,
}

impl Search {
    /// Shifts up to `radius` pixels each way; none when the image is too small to shift.
    pub fn new(grid: Grid, radius: u32) -> Search {
        Search::around(grid, (0, 0), radius)
    }

    /// Shifts up to `radius` pixels each way from `centre` (a coarser search's answer brought to
    /// this grid); `centre` alone when the image is too small to shift.
    pub fn around(grid: Grid, centre: (i32, i32), radius: u32) -> Search {
        let reach = |r: u32| r + centre.0.unsigned_abs().max(centre.1.unsigned_abs());
        let fits = |r: u32| grid.w > 4 * reach(r) + 4 && grid.h > 4 * reach(r) + 4;
        let (radius, centre) = match (fits(radius), fits(0)) {
            (true, _) => (radius, centre),
            (false, true) => (0, centre),
            (false, false) => (0, (0, 0)),
        };
        let margin = reach(radius);
        let stride = ((grid.len() / SAMPLES) as f64).sqrt().ceil().max(1.0) as u32;
        let rows = (grid.h - 2 * margin).div_ceil(stride);
        let cols = (grid.w - 2 * margin).div_ceil(stride);
        Search {
            radius,
            centre,
            stride,
            rows,
            cols,
        }
    }

    /// How far from the border the sampled pixels stay, so that every candidate stays inside.
    fn margin(&self) -> u32 {
        self.radius
            + self
                .centre
                .0
                .unsigned_abs()
                .max(self.centre.1.unsigned_abs())
    }

    fn side(&self) -> u32 {
        2 * self.radius + 1
    }

    fn params(&self, grid: Grid) -> [u32; 10] {
        [
            grid.w,
            grid.h,
            self.radius,
            self.stride,
            self.rows,
            self.cols,
            CAP,
            self.margin(),
            self.centre.0 as u32,
            self.centre.1 as u32,
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
            .map(|(_, _, dx, dy)| (dx + self.centre.0, dy + self.centre.1))
            .unwrap_or(self.centre)
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
    let rows = search.rows as usize;
    let mut cost = vec![0u32; side as usize * side as usize * rows];
    let margin = search.margin();
    // One shift's row costs at a time, shifts in parallel.
    for_rows(&mut cost, rows.max(1), |shift, costs| {
        let shift = shift as u32;
        let (dx, dy) = (
            (shift % side) as i32 - r + search.centre.0,
            (shift / side) as i32 - r + search.centre.1,
        );
        for (row, c) in costs.iter_mut().enumerate() {
            let y = margin + row as u32 * search.stride;
            let ey = (y as i32 + dy) as u32;
            *c = (0..search.cols)
                .map(|col| {
                    let x = margin + col * search.stride;
                    let ex = (x as i32 + dx) as u32;
                    channel_diff(
                        original[(y * grid.w + x) as usize],
                        edited[(ey * grid.w + ex) as usize],
                    )
                    .min(CAP)
                })
                .sum();
        }
    });
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
