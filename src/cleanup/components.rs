//! Stage 5b: connected components, small-component removal, keep-largest / keep-at-seed, and hole
//! filling, on runs along the rows joined by union-find, a row at a time on the GPU
//! (`shaders/components.wgsl`) and in order here. Both label a component 1 + its smallest pixel
//! index, so their labels are equal, not just equivalent.

use crate::cleanup::bits;
use crate::error::Result;
use crate::gpu::{Gpu, Kernel};
use crate::pixels::Grid;

const SOURCE: &str = include_str!("../../shaders/components.wgsl");
const fn kernel(entry: &'static str) -> Kernel {
    Kernel {
        source: SOURCE,
        entry,
    }
}

const TOUCHES_BORDER: u32 = 1;
const TOUCHES_SEED: u32 = 2;

/// Which components of the cleaned mask to keep.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Keep {
    /// Every component of at least `min_area` pixels.
    All,
    /// Only the largest (the lowest label on a tie).
    Largest,
    /// Those with a pixel within `radius` of (x, y).
    Seed { x: i32, y: i32, radius: i32 },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Selection {
    pub keep: Keep,
    pub min_area: u32,
    /// Background regions enclosed by the mask and no larger than this are filled.
    pub max_hole: u32,
}

impl Selection {
    /// The kernels' parameters for labelling `class` of a mask, `packed` or a word a pixel.
    fn params(&self, grid: Grid, class: u32, packed: bool) -> [u32; 10] {
        let (mode, (sx, sy, sr)) = match self.keep {
            Keep::All => (0, (0, 0, 0)),
            Keep::Largest => (1, (0, 0, 0)),
            Keep::Seed { x, y, radius } => (2, (x, y, radius)),
        };
        [
            grid.w,
            grid.h,
            class,
            mode,
            self.min_area,
            self.max_hole,
            sx as u32,
            sy as u32,
            sr as u32,
            packed as u32,
        ]
    }
}

/// A stretch of one row's pixels of the labelled class: row `y`, columns `x0..x1`.
#[derive(Clone, Copy)]
struct Run {
    y: u32,
    x0: u32,
    x1: u32,
}

/// The pixels of one class as runs along the rows, joined into components where runs of
/// consecutive rows overlap (4-connectivity). Runs are in raster order, so a component's first
/// run holds its smallest pixel index; `root` names that run for every run.
struct Runs {
    runs: Vec<Run>,
    root: Vec<u32>,
}

impl Runs {
    fn of(mask: &[u32], grid: Grid, class: u32) -> Runs {
        let w = grid.w as usize;
        let mut runs = Vec::new();
        // Union by the smaller root, so a run's parent never comes after it.
        let mut parent: Vec<u32> = Vec::new();
        fn find(parent: &mut [u32], mut i: u32) -> u32 {
            while parent[i as usize] != i {
                parent[i as usize] = parent[parent[i as usize] as usize];
                i = parent[i as usize];
            }
            i
        }
        let mut above = 0..0;
        for (y, row) in mask.chunks_exact(w).enumerate() {
            let start = runs.len();
            let mut x = 0;
            while x < w {
                if row[x] != class {
                    x += 1;
                    continue;
                }
                let x0 = x;
                while x < w && row[x] == class {
                    x += 1;
                }
                parent.push(runs.len() as u32);
                runs.push(Run {
                    y: y as u32,
                    x0: x0 as u32,
                    x1: x as u32,
                });
            }
            let (mut a, mut b) = (above.start, start);
            while a < above.end && b < runs.len() {
                let (ra, rb): (Run, Run) = (runs[a], runs[b]);
                if ra.x0 < rb.x1 && rb.x0 < ra.x1 {
                    let (pa, pb) = (find(&mut parent, a as u32), find(&mut parent, b as u32));
                    parent[pa.max(pb) as usize] = pa.min(pb);
                }
                if ra.x1 < rb.x1 {
                    a += 1;
                } else {
                    b += 1;
                }
            }
            above = start..runs.len();
        }
        // Every parent comes first, so one pass in order leaves each run pointing at its root.
        for i in 0..parent.len() {
            parent[i] = parent[parent[i] as usize];
        }
        Runs { runs, root: parent }
    }

    /// 1 + the smallest pixel index of the component of run `i`: the GPU's label for it.
    fn label(&self, i: usize, w: u32) -> u32 {
        let r = self.runs[self.root[i] as usize];
        1 + r.y * w + r.x0
    }

    /// Area and flags per component, indexed by its root run.
    fn measure(&self, grid: Grid, keep: Keep) -> Measures {
        let mut m = Measures {
            area: vec![0; self.runs.len()],
            flags: vec![0; self.runs.len()],
        };
        for (run, &root) in self.runs.iter().zip(&self.root) {
            let root = root as usize;
            m.area[root] += run.x1 - run.x0;
            if run.y == 0 || run.y == grid.h - 1 || run.x0 == 0 || run.x1 == grid.w {
                m.flags[root] |= TOUCHES_BORDER;
            }
            if let Keep::Seed { x, y, radius } = keep {
                // The run's pixel nearest the seed's column.
                let nearest = x.clamp(run.x0 as i32, run.x1 as i32 - 1);
                if (nearest - x).pow(2) + (run.y as i32 - y).pow(2) <= radius * radius {
                    m.flags[root] |= TOUCHES_SEED;
                }
            }
        }
        m
    }

    /// Fill each run of `out` with its value (by run index), where it has one.
    fn fill(&self, out: &mut [u32], w: u32, value: impl Fn(usize) -> Option<u32>) {
        for (i, run) in self.runs.iter().enumerate() {
            if let Some(v) = value(i) {
                let at = (run.y * w) as usize;
                out[at + run.x0 as usize..at + run.x1 as usize].fill(v);
            }
        }
    }
}

/// Component labels of the pixels equal to `class` (0 elsewhere).
pub fn labels_cpu(mask: &[u32], grid: Grid, class: u32) -> Vec<u32> {
    let runs = Runs::of(mask, grid, class);
    let mut labels = vec![0u32; grid.len()];
    runs.fill(&mut labels, grid.w, |i| Some(runs.label(i, grid.w)));
    labels
}

struct Measures {
    area: Vec<u32>,
    flags: Vec<u32>,
}

/// Keep the chosen components of `mask` (packed bits, as the open/close leaves it), then fill its
/// small holes; the result has a word a pixel.
pub fn cpu(mask: &[u32], grid: Grid, selection: &Selection) -> Vec<u32> {
    let objects = Runs::of(&bits::unpack(mask, grid), grid, 1);
    let m = objects.measure(grid, selection.keep);
    let roots = || (0..objects.runs.len()).filter(|&i| objects.root[i] as usize == i);
    // Roots are in pixel order, so the lowest label wins a tie.
    let largest = roots().max_by_key(|&i| (m.area[i], std::cmp::Reverse(i)));
    let mut kept = vec![0u32; grid.len()];
    objects.fill(&mut kept, grid.w, |i| {
        let root = objects.root[i] as usize;
        let keep = match selection.keep {
            Keep::All => m.area[root] >= selection.min_area,
            Keep::Largest => Some(root) == largest,
            Keep::Seed { .. } => m.flags[root] & TOUCHES_SEED != 0,
        };
        keep.then_some(1)
    });
    let holes = Runs::of(&kept, grid, 0);
    let hm = holes.measure(grid, Keep::All);
    holes.fill(&mut kept, grid.w, |i| {
        let root = holes.root[i] as usize;
        let hole = hm.flags[root] & TOUCHES_BORDER == 0 && hm.area[root] <= selection.max_hole;
        hole.then_some(1)
    });
    kept
}

/// The GPU's buffers for one labelling of one class: run slots (half a row each, the most runs a
/// row can hold), runs per row, the union-find's parents, area and flags per root, and the
/// largest area with its first root.
struct Labelling {
    runs: wgpu::Buffer,
    count: wgpu::Buffer,
    parent: wgpu::Buffer,
    measures: wgpu::Buffer,
    scalars: wgpu::Buffer,
}

impl Labelling {
    /// Find, join and measure the runs of the class `params` name; no readback.
    fn run(
        g: &Gpu,
        mask: &wgpu::Buffer,
        out: &wgpu::Buffer,
        params: &[u32],
        grid: Grid,
    ) -> Labelling {
        let slots = grid.h as usize * grid.w.div_ceil(2) as usize;
        let l = Labelling {
            runs: g.zeroed(2 * slots),
            count: g.zeroed(grid.h as usize),
            parent: g.zeroed(slots),
            measures: g.zeroed(2 * slots),
            scalars: g.upload(&[0, 0, u32::MAX]),
        };
        for entry in ["find_runs", "join", "measure"] {
            l.pass(g, entry, mask, out, params, grid);
        }
        l
    }

    /// One invocation a row.
    fn pass(
        &self,
        g: &Gpu,
        entry: &'static str,
        mask: &wgpu::Buffer,
        out: &wgpu::Buffer,
        params: &[u32],
        grid: Grid,
    ) {
        g.run_items(
            kernel(entry),
            params,
            &[
                mask,
                &self.runs,
                &self.count,
                &self.parent,
                &self.measures,
                &self.scalars,
                out,
            ],
            grid.h as usize,
        );
    }
}

/// Labels as the GPU computes them, for comparison with `labels_cpu` (`mask` a word a pixel).
pub async fn labels_gpu(g: &Gpu, mask: &wgpu::Buffer, grid: Grid, class: u32) -> Result<Vec<u32>> {
    let labels = g.zeroed(grid.len());
    let params = Selection {
        keep: Keep::All,
        min_area: 0,
        max_hole: 0,
    }
    .params(grid, class, false);
    Labelling::run(g, mask, &labels, &params, grid).pass(g, "labels", mask, &labels, &params, grid);
    g.read(&labels, grid.len()).await
}

/// As [`cpu`]: `mask` packed bits in, a word a pixel out.
pub fn gpu(g: &Gpu, mask: &wgpu::Buffer, grid: Grid, selection: &Selection) -> wgpu::Buffer {
    let kept = g.zeroed(grid.len());
    let params = selection.params(grid, 1, true);
    let objects = Labelling::run(g, mask, &kept, &params, grid);
    if selection.keep == Keep::Largest {
        objects.pass(g, "largest_area", mask, &kept, &params, grid);
        objects.pass(g, "largest_root", mask, &kept, &params, grid);
    }
    objects.pass(g, "select_components", mask, &kept, &params, grid);
    let filled = g.zeroed(grid.len());
    let params = selection.params(grid, 0, false);
    Labelling::run(g, &kept, &filled, &params, grid).pass(g, "fill", &kept, &filled, &params, grid);
    filled
}
