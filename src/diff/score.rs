//! Stage 3: change score per pixel, 0-255, in CIELAB, weighted toward the paint colour when it is
//! known; the lower of the blurred and the sharp pair's scores. After the scores, the paint's
//! strength per pixel for the outline (stage 5c). GPU: `shaders/score.wgsl`.

use crate::color::{lab_u8, LabRow, LabTable};
use crate::gpu::{Gpu, Kernel};
use crate::pixels::{for_rows_with, Grid};
use std::ops::Range;

const KERNEL: Kernel = Kernel {
    source: include_str!("../../shaders/score.wgsl"),
    entry: "main",
};

/// Score units per unit of CIELAB distance: a difference of 64 saturates at 255.
pub const SCALE: f32 = 4.0;
/// Weight of a change that does not point toward the paint colour.
pub(crate) const OFF_AXIS: f32 = 1.0 / 3.0;
/// The paint's strength (the sharp pair's change, unsaturated, for stage 5c's outline): steps
/// per unit of CIELAB change, and the largest.
pub(crate) const STRENGTH: f32 = 16.0;
pub(crate) const MAX_STRENGTH: u32 = 4095;

/// A change in `STRENGTH` steps.
pub(crate) fn strength(change: f32) -> u32 {
    ((change * STRENGTH + 0.5) as u32).min(MAX_STRENGTH)
}

#[derive(Clone, Copy, Debug)]
pub struct Scoring {
    /// Edited pixel = original pixel + shift.
    pub shift: (i32, i32),
    pub paint: Option<[u8; 3]>,
}

impl Scoring {
    fn params(&self, grid: Grid) -> [u32; 11] {
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
            STRENGTH.to_bits(),
        ]
    }
}

/// One image pair as the score reads it: the drift-corrected original and the edit.
pub struct Pair<'a, B> {
    pub original: &'a B,
    pub edited: &'a B,
}

/// The CIELAB change from `o` to `e`, a change away from the paint (when known) counting a third;
/// without branches, so rows of it vectorise.
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
    let weighted = OFF_AXIS + (1.0 - OFF_AXIS) * larger(cosine, 0.0);
    // No direction to weigh by when either vector is (nearly) nothing.
    let weight = if reach > 1.0 && change > 0.0 {
        weighted
    } else {
        1.0
    };
    change * weight
}

/// The CIELAB change of a row of pixel pairs at a time (`change_lab` of each), with the rows it
/// converts kept from call to call: a channel to a slice, so the per-pixel arithmetic
/// vectorises.
#[derive(Default)]
pub(crate) struct Changes {
    original: LabRow,
    edited: LabRow,
    out: Vec<f32>,
}

impl Changes {
    /// The change from `o[i]` to `e[i]` for each i (`change_lab` of their CIELAB).
    pub(crate) fn row(
        &mut self,
        table: &LabTable,
        o: &[u32],
        e: &[u32],
        paint: Option<[f32; 3]>,
    ) -> &[f32] {
        table.row(o, &mut self.original);
        table.row(e, &mut self.edited);
        let n = o.len();
        self.out.resize(n, 0.0);
        fn channels(r: &LabRow, n: usize) -> (&[f32], &[f32], &[f32]) {
            (&r.l[..n], &r.a[..n], &r.b[..n])
        }
        let (ol, oa, ob) = channels(&self.original, n);
        let (el, ea, eb) = channels(&self.edited, n);
        let out = &mut self.out[..n];
        for x in 0..n {
            out[x] = change_lab([ol[x], oa[x], ob[x]], [el[x], ea[x], eb[x]], paint);
        }
        out
    }
}

/// `columns` of row `y` of `img` (on `grid`) moved by `shift`, edge pixels repeated, appended to
/// `out`: the edited pixels that pair with the original's.
pub(crate) fn shifted_row(
    img: &[u32],
    grid: Grid,
    y: usize,
    shift: (i32, i32),
    columns: Range<usize>,
    out: &mut Vec<u32>,
) {
    let (w, h) = (grid.w as i32, grid.h as i32);
    let ey = (y as i32 + shift.1).clamp(0, h - 1) as usize;
    let line = &img[ey * w as usize..][..w as usize];
    out.extend(columns.map(|x| line[(x as i32 + shift.0).clamp(0, w - 1) as usize]));
}

/// Per thread: both pairs' changes and the shifted edit row.
#[derive(Default)]
struct Scratch {
    blurred: Changes,
    sharp: Changes,
    shifted: Vec<u32>,
}

/// The score per pixel (0-255), then the paint's strength per pixel: `2 * grid.len()` words.
/// The strength is the sharp pair's change unsaturated, what the outline (stage 5c) cuts at
/// half; measured here, where the change is computed anyway.
pub fn cpu<B: AsRef<[u32]> + Sync>(
    blurred: Pair<B>,
    sharp: Pair<B>,
    grid: Grid,
    scoring: &Scoring,
) -> Vec<u32> {
    let paint = scoring.paint.map(lab_u8);
    let table = LabTable::new();
    let w = grid.w as usize;
    let mut out = vec![0u32; 2 * grid.len()];
    let (scores, strengths) = out.split_at_mut(grid.len());
    let mut rows: Vec<(&mut [u32], &mut [u32])> =
        scores.chunks_mut(w).zip(strengths.chunks_mut(w)).collect();
    for_rows_with(&mut rows, 1, Scratch::default, |scratch, y, pair| {
        let (row, strength_row) = &mut pair[0];
        let (o_sharp, o_blurred) = (sharp.original.as_ref(), blurred.original.as_ref());
        let Scratch {
            blurred: b,
            sharp: s,
            shifted,
        } = scratch;
        shifted.clear();
        shifted_row(sharp.edited.as_ref(), grid, y, scoring.shift, 0..w, shifted);
        let sharp_change = s.row(&table, &o_sharp[y * w..][..w], shifted, paint);
        shifted.clear();
        shifted_row(
            blurred.edited.as_ref(),
            grid,
            y,
            scoring.shift,
            0..w,
            shifted,
        );
        let blurred_change = b.row(&table, &o_blurred[y * w..][..w], shifted, paint);
        for (x, (s, k)) in row.iter_mut().zip(strength_row.iter_mut()).enumerate() {
            let c = smaller(blurred_change[x], sharp_change[x]);
            *s = (smaller(c * SCALE, 255.0) + 0.5) as u32;
            *k = strength(sharp_change[x]);
        }
    });
    out
}

/// `a.min(b)` as a compare and a select. Rust's `min` and `max` return the other operand for
/// a NaN, which WebAssembly's instructions do not: there each becomes a call per pixel. The
/// changes are never NaN where they are kept (`change_lab` picks a weight of 1 where its cosine
/// is 0/0), so both agree here.
#[inline(always)]
fn smaller(a: f32, b: f32) -> f32 {
    if b < a {
        b
    } else {
        a
    }
}

/// `a.max(b)`, as [`smaller`].
#[inline(always)]
fn larger(a: f32, b: f32) -> f32 {
    if a < b {
        b
    } else {
        a
    }
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
    let score = g.zeroed(2 * grid.len());
    let srgb: Vec<u32> = LabTable::new().linear().map(f32::to_bits).into();
    let buffers = [
        blurred.original,
        blurred.edited,
        sharp.original,
        sharp.edited,
        &score,
        &g.upload(&srgb),
    ];
    g.run_items(KERNEL, &scoring.params(grid), &buffers, grid.len());
    score
}
