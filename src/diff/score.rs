//! Stage 3: change score per pixel, 0-255, in CIELAB, weighted toward the paint colour when it is
//! known; the lower of the blurred and the sharp pair's scores. GPU: `shaders/score.wgsl`.

use crate::color::{lab_u8, LabRow, LabTable};
use crate::gpu::{Gpu, Kernel};
use crate::pixels::{for_rows, Grid};

const KERNEL: Kernel = Kernel {
    source: include_str!("../../shaders/score.wgsl"),
    entry: "main",
};

/// Score units per unit of CIELAB distance: a difference of 64 saturates at 255.
pub const SCALE: f32 = 4.0;
/// Weight of a change that does not point toward the paint colour.
pub(crate) const OFF_AXIS: f32 = 1.0 / 3.0;

#[derive(Clone, Copy, Debug)]
pub struct Scoring {
    /// Edited pixel = original pixel + shift.
    pub shift: (i32, i32),
    pub paint: Option<[u8; 3]>,
}

impl Scoring {
    fn params(&self, grid: Grid) -> [u32; 10] {
        let paint = self.paint.map(lab_u8).unwrap_or([0.0; 3]);
        [
            grid.w,
            grid.h,
            self.shift.0 as u32,
            self.shift.1 as u32,
            paint[0].to_bits(),
            paint[1].to_bits(),
            paint[2].to_bits(),
            self.paint.is_some() as u32,
            SCALE.to_bits(),
            OFF_AXIS.to_bits(),
        ]
    }
}

/// One image pair as the score reads it: the drift-corrected original and the edit.
pub struct Pair<'a, B> {
    pub original: &'a B,
    pub edited: &'a B,
}

/// The CIELAB change from `o` to `e`, a change away from the paint (when known) counting a third.
pub(crate) fn change(table: &LabTable, o: u32, e: u32, paint: Option<[f32; 3]>) -> f32 {
    change_lab(table.lab(o), table.lab(e), paint)
}

/// `change` for pixels already in CIELAB; without branches, so rows of it vectorise.
#[inline(always)]
fn change_lab(o: [f32; 3], e: [f32; 3], paint: Option<[f32; 3]>) -> f32 {
    let d: [f32; 3] = std::array::from_fn(|c| e[c] - o[c]);
    let change = norm(d);
    let Some(p) = paint else {
        return change;
    };
    let toward: [f32; 3] = std::array::from_fn(|c| p[c] - o[c]);
    let reach = norm(toward);
    let cosine = (0..3).map(|c| d[c] * toward[c]).sum::<f32>() / (change * reach);
    let weighted = OFF_AXIS + (1.0 - OFF_AXIS) * cosine.max(0.0);
    // No direction to weigh by when either vector is (nearly) nothing.
    let weight = if reach > 1.0 && change > 0.0 {
        weighted
    } else {
        1.0
    };
    change * weight
}

pub fn cpu<B: AsRef<[u32]> + Sync>(
    blurred: Pair<B>,
    sharp: Pair<B>,
    grid: Grid,
    scoring: &Scoring,
) -> Vec<u32> {
    let paint = scoring.paint.map(lab_u8);
    let table = LabTable::new();
    let (w, h) = (grid.w as usize, grid.h as i32);
    let (sx, sy) = scoring.shift;
    let mut out = vec![0u32; grid.len()];
    // Row by row, in CIELAB a channel to a slice: the per-pixel arithmetic then vectorises.
    for_rows(&mut out, w, |y, row| {
        let ey = (y as i32 + sy).clamp(0, h - 1) as usize;
        let own = |img: &[u32]| img[y * w..(y + 1) * w].to_vec();
        let shifted = |img: &[u32]| -> Vec<u32> {
            let line = &img[ey * w..(ey + 1) * w];
            (0..w as i32)
                .map(|x| line[(x + sx).clamp(0, w as i32 - 1) as usize])
                .collect()
        };
        let lab = |pixels: Vec<u32>| {
            let mut r = LabRow::default();
            table.row(&pixels, &mut r);
            r
        };
        let ob = lab(own(blurred.original.as_ref()));
        let eb = lab(shifted(blurred.edited.as_ref()));
        let os = lab(own(sharp.original.as_ref()));
        let es = lab(shifted(sharp.edited.as_ref()));
        let at = |r: &LabRow, x: usize| [r.l[x], r.a[x], r.b[x]];
        for (x, s) in row.iter_mut().enumerate() {
            let c = change_lab(at(&ob, x), at(&eb, x), paint).min(change_lab(
                at(&os, x),
                at(&es, x),
                paint,
            ));
            *s = ((c * SCALE).min(255.0) + 0.5) as u32;
        }
    });
    out
}

fn norm(v: [f32; 3]) -> f32 {
    (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}

pub fn gpu(
    g: &Gpu,
    blurred: Pair<wgpu::Buffer>,
    sharp: Pair<wgpu::Buffer>,
    grid: Grid,
    scoring: &Scoring,
) -> wgpu::Buffer {
    let score = g.zeroed(grid.len());
    let buffers = [
        blurred.original,
        blurred.edited,
        sharp.original,
        sharp.edited,
        &score,
    ];
    g.run_items(KERNEL, &scoring.params(grid), &buffers, grid.len());
    score
}
