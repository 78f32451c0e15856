//! Stage 2c: the shift search. Costs are capped colour differences on a grid of sample pixels,
//! so the painted object (a large difference at every shift) does not steer the choice.
//! GPU: `shaders/align.wgsl`.

use crate::diff::drift::Drift;
use crate::error::Result;
use crate::gpu::{Gpu, Kernel};
use crate::pixels::{for_rows_with, Grid};

const KERNEL: Kernel = Kernel {
    source: include_str!("../../shaders/align.wgsl"),
    entry: "main",
};

/// Largest difference one pixel may add (sum over R, G and B).
const CAP: u32 = 48;
/// Sample about this many pixels at most: the pictures compared are blurred, and the quality
/// benchmark gives the same numbers, to the last digit, with four times as many.
const SAMPLES: usize = 1 << 14;
/// The refinement around a coarser grid's answer compares the pictures unblurred at full size,
/// grain and all: it samples twice as many (twice as many again gave the same numbers).
const REFINE_SAMPLES: usize = 1 << 15;

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
        Search::sampling(grid, centre, radius, SAMPLES)
    }

    /// As [`Search::around`], on more sampled pixels (the pictures unblurred, at full size): for
    /// refining a coarser grid's answer on a large picture.
    pub fn refine(grid: Grid, centre: (i32, i32), radius: u32) -> Search {
        Search::sampling(grid, centre, radius, REFINE_SAMPLES)
    }

    fn sampling(grid: Grid, centre: (i32, i32), radius: u32, samples: usize) -> Search {
        let reach = |r: u32| r + centre.0.unsigned_abs().max(centre.1.unsigned_abs());
        let fits = |r: u32| grid.w > 4 * reach(r) + 4 && grid.h > 4 * reach(r) + 4;
        let (radius, centre) = match (fits(radius), fits(0)) {
            (true, _) => (radius, centre),
            (false, true) => (0, centre),
            (false, false) => (0, (0, 0)),
        };
        let margin = reach(radius);
        let stride = ((grid.len() / samples) as f64).sqrt().ceil().max(1.0) as u32;
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

    fn params(&self, grid: Grid, drift: Option<&Drift>) -> Vec<u32> {
        let mut words = vec![
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
            drift.is_some() as u32,
            0,
        ];
        words.extend(drift.unwrap_or(&Drift::NONE).words());
        words
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

/// Cost per (shift, sampled row), shift-major, as the GPU writes them. With a `drift`, the
/// original's pixels are compared drift-corrected (stage 2b applied where they are sampled).
pub fn cpu(
    original: &[u32],
    edited: &[u32],
    grid: Grid,
    search: &Search,
    drift: Option<&Drift>,
) -> Vec<u32> {
    let side = search.side() as usize;
    let shifts = side * side;
    let r = search.radius as i32;
    let (rows, cols) = (search.rows as usize, search.cols as usize);
    let (margin, stride, w) = (
        search.margin() as usize,
        search.stride as usize,
        grid.w as usize,
    );
    // A sampled row at a time, all shifts of it together: the few edited rows they read stay in
    // cache. Row-major here, shift-major once all rows are in.
    let mut by_row = vec![0u32; rows * shifts];
    // Per thread: a row's sampled pixels of the original, and of the edit at one shift.
    type Scratch = (Vec<u32>, Vec<u32>);
    for_rows_with(
        &mut by_row,
        shifts,
        Scratch::default,
        |(samples, edits): &mut Scratch, row, costs| {
            let y = margin + row * stride;
            let along = drift.map(|d| d.along(y, grid));
            let columns = || (0..cols).map(|col| margin + col * stride);
            samples.clear();
            samples.extend(columns().map(|x| {
                let p = original[y * w + x];
                along.as_ref().map_or(p, |a| a.at(p, x, grid))
            }));
            for (s, c) in costs.iter_mut().enumerate() {
                let dx = (s % side) as i32 - r + search.centre.0;
                let dy = (s / side) as i32 - r + search.centre.1;
                let line = &edited[(y as i32 + dy) as usize * w..][..w];
                // The shifted pixels side by side first: the differences then vectorise.
                edits.clear();
                edits.extend(columns().map(|x| line[(x as i32 + dx) as usize]));
                *c = samples
                    .iter()
                    .zip(edits.iter())
                    .map(|(&p, &q)| channel_diff(p, q).min(CAP))
                    .sum();
            }
        },
    );
    let mut cost = vec![0u32; shifts * rows];
    for (row, costs) in by_row.chunks_exact(shifts).enumerate() {
        for (s, &c) in costs.iter().enumerate() {
            cost[s * rows + row] = c;
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
    drift: Option<&Drift>,
) -> Result<Vec<u32>> {
    let n = (search.side() * search.side() * search.rows) as usize;
    let cost = g.zeroed(n);
    g.run_items(
        KERNEL,
        &search.params(grid, drift),
        &[original, edited, &cost],
        n,
    );
    g.read(&cost, n).await
}
