//! Stage 5b: connected components, small-component removal, keep-largest / keep-at-seed, and hole
//! filling. GPU: `shaders/components.wgsl` (label propagation); CPU twin: union-find. Both label
//! a component 1 + its smallest pixel index, so their labels are equal, not just equivalent.

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

/// Propagation rounds between two checks for convergence (did the last round change anything?):
/// with pointer jumping to the end of the chain most masks converge within a few, and a check
/// (one small readback) costs less than the rounds a longer batch would run after convergence.
const ROUNDS: usize = 3;
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

/// Component labels of the pixels equal to `class` (0 elsewhere).
pub fn labels_cpu(mask: &[u32], grid: Grid, class: u32) -> Vec<u32> {
    let mut parent: Vec<u32> = (0..grid.len() as u32).collect();
    fn find(parent: &mut [u32], mut i: u32) -> u32 {
        while parent[i as usize] != i {
            parent[i as usize] = parent[parent[i as usize] as usize];
            i = parent[i as usize];
        }
        i
    }
    let w = grid.w as usize;
    for i in 0..grid.len() {
        if mask[i] != class {
            continue;
        }
        for j in [(i % w > 0).then(|| i - 1), (i >= w).then(|| i - w)]
            .into_iter()
            .flatten()
        {
            if mask[j] == class {
                let (a, b) = (find(&mut parent, i as u32), find(&mut parent, j as u32));
                parent[a.max(b) as usize] = a.min(b);
            }
        }
    }
    (0..grid.len())
        .map(|i| {
            if mask[i] == class {
                find(&mut parent, i as u32) + 1
            } else {
                0
            }
        })
        .collect()
}

struct Measures {
    area: Vec<u32>,
    flags: Vec<u32>,
}

fn measure_cpu(labels: &[u32], grid: Grid, keep: Keep) -> Measures {
    let mut m = Measures {
        area: vec![0; grid.len()],
        flags: vec![0; grid.len()],
    };
    let (w, h) = (grid.w as i32, grid.h as i32);
    for (i, &l) in labels.iter().enumerate() {
        if l == 0 {
            continue;
        }
        let root = l as usize - 1;
        m.area[root] += 1;
        let (x, y) = (i as i32 % w, i as i32 / w);
        if x == 0 || y == 0 || x == w - 1 || y == h - 1 {
            m.flags[root] |= TOUCHES_BORDER;
        }
        if let Keep::Seed {
            x: sx,
            y: sy,
            radius,
        } = keep
        {
            if (x - sx).pow(2) + (y - sy).pow(2) <= radius * radius {
                m.flags[root] |= TOUCHES_SEED;
            }
        }
    }
    m
}

/// Keep the chosen components of `mask` (packed bits, as the open/close leaves it), then fill its
/// small holes; the result has a word a pixel.
pub fn cpu(mask: &[u32], grid: Grid, selection: &Selection) -> Vec<u32> {
    let labels = labels_cpu(&bits::unpack(mask, grid), grid, 1);
    let m = measure_cpu(&labels, grid, selection.keep);
    let largest = (0..grid.len())
        .filter(|&i| labels[i] == i as u32 + 1)
        .max_by_key(|&i| (m.area[i], std::cmp::Reverse(i)));
    let kept: Vec<u32> = labels
        .iter()
        .map(|&l| {
            let keep = l > 0 && {
                let root = l as usize - 1;
                match selection.keep {
                    Keep::All => m.area[root] >= selection.min_area,
                    Keep::Largest => Some(root) == largest,
                    Keep::Seed { .. } => m.flags[root] & TOUCHES_SEED != 0,
                }
            };
            keep as u32
        })
        .collect();
    let holes = labels_cpu(&kept, grid, 0);
    let hm = measure_cpu(&holes, grid, Keep::All);
    kept.iter()
        .zip(&holes)
        .map(|(&k, &l)| {
            let hole = l > 0
                && hm.flags[l as usize - 1] & TOUCHES_BORDER == 0
                && hm.area[l as usize - 1] <= selection.max_hole;
            (k == 1 || hole) as u32
        })
        .collect()
}

/// The GPU's buffers for one labelling of one class.
struct Labelling {
    label: wgpu::Buffer,
    area: wgpu::Buffer,
    flags: wgpu::Buffer,
    scalars: wgpu::Buffer,
}

impl Labelling {
    async fn run(
        g: &Gpu,
        mask: &wgpu::Buffer,
        out: &wgpu::Buffer,
        params: &[u32],
        n: usize,
    ) -> Result<Labelling> {
        let l = Labelling {
            label: g.zeroed(n),
            area: g.zeroed(n),
            flags: g.zeroed(n),
            scalars: g.upload(&[0, 0, u32::MAX]),
        };
        l.pass(g, "init", mask, out, params, n);
        // A round that changes nothing is a fixed point, so only a batch's last round is watched.
        loop {
            for _ in 1..ROUNDS {
                l.pass(g, "propagate", mask, out, params, n);
            }
            g.write(&l.scalars, &[0]);
            l.pass(g, "propagate", mask, out, params, n);
            if g.read(&l.scalars, 1).await?[0] == 0 {
                break;
            }
        }
        l.pass(g, "measure", mask, out, params, n);
        Ok(l)
    }

    fn pass(
        &self,
        g: &Gpu,
        entry: &'static str,
        mask: &wgpu::Buffer,
        out: &wgpu::Buffer,
        params: &[u32],
        n: usize,
    ) {
        g.run_items(
            kernel(entry),
            params,
            &[
                mask,
                &self.label,
                &self.area,
                &self.flags,
                &self.scalars,
                out,
            ],
            n,
        );
    }
}

/// Labels as the GPU computes them, for comparison with `labels_cpu`.
pub async fn labels_gpu(g: &Gpu, mask: &wgpu::Buffer, grid: Grid, class: u32) -> Result<Vec<u32>> {
    let n = grid.len();
    let scratch = g.zeroed(n);
    let params = Selection {
        keep: Keep::All,
        min_area: 0,
        max_hole: 0,
    }
    .params(grid, class, false);
    let l = Labelling::run(g, mask, &scratch, &params, n).await?;
    g.read(&l.label, n).await
}

pub async fn gpu(
    g: &Gpu,
    mask: &wgpu::Buffer,
    grid: Grid,
    selection: &Selection,
) -> Result<wgpu::Buffer> {
    let n = grid.len();
    let kept = g.zeroed(n);
    let params = selection.params(grid, 1, true);
    let objects = Labelling::run(g, mask, &kept, &params, n).await?;
    if selection.keep == Keep::Largest {
        objects.pass(g, "largest_area", mask, &kept, &params, n);
        objects.pass(g, "largest_label", mask, &kept, &params, n);
    }
    objects.pass(g, "select_components", mask, &kept, &params, n);
    let filled = g.zeroed(n);
    let params = selection.params(grid, 0, false);
    let holes = Labelling::run(g, &kept, &filled, &params, n).await?;
    holes.pass(g, "fill", &kept, &filled, &params, n);
    Ok(filled)
}
