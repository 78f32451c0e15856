//! Stage 5c: the outline placed where the paint is at half its local strength.
//!
//! The threshold of stage 4 finds the faintest visible change, which is right for finding the
//! paint and wrong for placing its edge: editors fade their paint over a few pixels, and every
//! faintly tinted pixel of that fade would count as the object. So along the outline of the
//! cleaned mask, each mask pixel is decided again against the local paint: half way between the
//! strongest change among the mask pixels nearby (the paint's local plateau, which a fade
//! reaches within a few pixels) and the weakest among the pixels outside nearby. A hard edge
//! keeps its place; a feathered one moves in to its 50% line. Only mask pixels are decided
//! again: the threshold already took every pixel above the faintest change, so the half line
//! lies inside the mask, and a thin, weakly painted part keeps its own plateau.
//! GPU: `shaders/outline.wgsl`.
//!
//! Four passes: `average` smooths the paint's strength per pixel of the detection grid (which the
//! score measured, stage 3), `classify` marks the band along the outline (pixels with a pixel of
//! the other label within `radius`), `plan` gives each band pixel its cut (or keeps its label
//! where one side has no deep pixels nearby), `place` decides. All but `place` run on the
//! detection grid; `place` runs on the fine grid, which may be larger (each fine pixel reads the
//! plan of the detection pixel it falls in), so the outline can be placed at full resolution; on
//! the detection grid itself `place_own` reads the averaged strengths.

use crate::color::{lab_u8, LabTable};
use crate::diff::drift::Drift;
use crate::diff::score::{shifted_row, strength, Changes, OFF_AXIS, STRENGTH};
use crate::gpu::{Gpu, Kernel};
use crate::pixels::{for_rows, for_rows_with, nearest, runs, Grid};
use std::ops::Range;

const SOURCE: &str = include_str!("../../shaders/outline.wgsl");
const AVERAGE: Kernel = Kernel::new(SOURCE, "average");
const CLASSIFY: Kernel = Kernel::new(SOURCE, "classify");
/// Radius 1 or 2, four pixels an invocation, the window written out.
const CLASSIFY_NEAR: Kernel = Kernel::new(SOURCE, "classify_near");
const PLAN: Kernel = Kernel::new(SOURCE, "plan");
const PLACE: Kernel = Kernel::new(SOURCE, "place");
const PLACE_OWN: Kernel = Kernel::new(SOURCE, "place_own");

/// Classes from `classify`: deep outside, deep inside, and the band pixels with their label.
const OUTSIDE: u32 = 0;
const INSIDE: u32 = 1;
const BAND: u32 = 2;
/// Plan words at or above this are a cut: `CUT + t` means "inside when the strength >= t".
const CUT: u32 = 2;
/// The widest window `plan` reads (GPU invocations scan it whole).
const MAX_REACH: u32 = 16;

/// How far from the outline pixels are decided again, and how far their background is looked
/// for (fine-grid pixels): the threshold of stage 4 takes about this much of a fade of 1.6 px
/// (Gaussian sigma) beyond its half line. Wider, it would also cut into parts of the object the
/// paint barely changed (a red stripe painted red) wherever they meet the outline.
const RADIUS: u32 = 2;
/// How far the paint's plateau is looked for (fine-grid pixels): near enough that a more
/// strongly changed part of the object further in does not count, far enough that a fade of
/// 1.6 px reaches most of its plateau.
const REACH: u32 = 2;

/// Where to decide again and what to compare with, in detection-grid pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Band {
    /// Band half-width: mask pixels within this of a pixel outside are decided again, against
    /// the weakest outside pixel within it.
    pub radius: u32,
    /// Window half-width for the plateau: the strongest mask pixel within it.
    pub reach: u32,
    /// Whether pixels just outside the mask are decided again too. On one grid the threshold
    /// already took every pixel above the faintest change, so only mask pixels need it; a
    /// coarser detection grid's outline is a detection pixel off either way.
    pub grow: bool,
}

impl Band {
    /// The band for a detection grid `scale` times coarser than the fine grid.
    pub fn new(scale: f64) -> Band {
        let on_detection = |fine: u32| ((fine as f64 / scale.max(1.0)).ceil() as u32).max(1);
        Band {
            radius: on_detection(RADIUS).min(MAX_REACH),
            reach: on_detection(REACH).min(MAX_REACH),
            grow: scale > 1.0,
        }
    }
}

/// What the paint's strength is measured on: the original and the edit on one grid (unblurred),
/// the drift that corrects the original (`None`: already corrected), the shift between them and
/// the paint.
#[derive(Debug)]
pub struct Sharp<'a, B> {
    pub original: &'a B,
    pub edited: &'a B,
    pub grid: Grid,
    /// Applied to the original's pixels where they are read, as stage 2b would.
    pub drift: Option<Drift>,
    /// Edited pixel = original pixel + shift, in fine-grid pixels.
    pub shift: (i32, i32),
    pub paint: Option<[u8; 3]>,
}

// Copyable whatever the buffer type: it only holds references.
impl<B> Clone for Sharp<'_, B> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<B> Copy for Sharp<'_, B> {}

/// Per pixel: `OUTSIDE`, `INSIDE`, or `BAND +` its label when a pixel of the other label lies
/// within `radius`.
pub fn classify_cpu(mask: &[u32], grid: Grid, radius: u32) -> Vec<u32> {
    const ONE: u8 = 1;
    const ZERO: u8 = 2;
    let (w, h, r) = (grid.w as usize, grid.h as usize, radius as usize);
    // Which labels lie within the square of `radius`, as bits ORed over it: along the row
    // (padded with copies of its end pixels, which lie in every window that reaches past the
    // end), then down the column.
    let mut across = vec![0u8; grid.len()];
    for_rows_with(&mut across, w, Vec::new, |padded: &mut Vec<u8>, y, out| {
        let row = &mask[y * w..][..w];
        let side = |m: u32| if m != 0 { ONE } else { ZERO };
        padded.clear();
        padded.extend((0..w + 2 * r).map(|x| side(row[x.saturating_sub(r).min(w - 1)])));
        for k in 0..=2 * r {
            for (o, &v) in out.iter_mut().zip(&padded[k..]) {
                *o |= v;
            }
        }
    });
    let mut classes = vec![0u32; grid.len()];
    for_rows_with(&mut classes, w, Vec::new, |near: &mut Vec<u8>, y, out| {
        near.clear();
        near.resize(w, 0);
        for yy in y.saturating_sub(r)..=(y + r).min(h - 1) {
            for (n, &v) in near.iter_mut().zip(&across[yy * w..][..w]) {
                *n |= v;
            }
        }
        for ((o, &n), &m) in out.iter_mut().zip(near.iter()).zip(&mask[y * w..][..w]) {
            let inside = m != 0;
            let other = n & if inside { ZERO } else { ONE } != 0;
            // OUTSIDE or INSIDE, plus BAND near the other label: arithmetic, which vectorises.
            *o = if inside { INSIDE } else { OUTSIDE } + BAND * u32::from(other);
        }
    });
    classes
}

/// The cut for one band pixel of the mask, half way between the strongest strength among the
/// mask pixels in its window (the paint's local plateau) and the weakest among the others (the
/// local background): `CUT + ceil((strongest + weakest) / 2)`; its `label` kept when no pixel
/// outside the mask is near or the inside is not the stronger.
fn cut(label: u32, strongest: u32, weakest: Option<u32>) -> u32 {
    match weakest {
        Some(weakest) if strongest > weakest => CUT + (strongest + weakest).div_ceil(2),
        _ => label,
    }
}

/// Per pixel: its label away from the outline and outside the mask, or a cut for the mask's band
/// (see [`cut`]). `strength` gives a pixel's strength; it is asked only within reach of the band.
pub fn plan_cpu(
    classes: &[u32],
    grid: Grid,
    band: Band,
    strength: impl Fn(usize) -> u32 + Sync,
) -> Vec<u32> {
    let inside = |c: u32| c == INSIDE || c == BAND + INSIDE;
    let (w, h) = (grid.w as i32, grid.h as i32);
    let reach = band.reach.min(MAX_REACH) as i32;
    let radius = band.radius.min(MAX_REACH) as i32;
    let r = reach.max(radius);
    let mut plan = vec![0u32; grid.len()];
    for_rows(&mut plan, w as usize, |y, out| {
        let y = y as i32;
        let row = &classes[(y * w) as usize..][..w as usize];
        for ((x, o), &c) in (0..).zip(out.iter_mut()).zip(row) {
            if !(c == BAND + INSIDE || (band.grow && c == BAND + OUTSIDE)) {
                *o = c % BAND;
                continue;
            }
            // The mask's strongest strength within `reach` (its plateau) and the others'
            // weakest within `radius` (the background).
            let (mut strongest, mut weakest) = (0, None::<u32>);
            for yy in (y - r).max(0)..=(y + r).min(h - 1) {
                for xx in (x - r).max(0)..=(x + r).min(w - 1) {
                    let j = (yy * w + xx) as usize;
                    let (dx, dy) = ((xx - x).abs(), (yy - y).abs());
                    if inside(classes[j]) {
                        if dx <= reach && dy <= reach {
                            strongest = strongest.max(strength(j));
                        }
                    } else if dx <= radius && dy <= radius {
                        let s = strength(j);
                        weakest = Some(weakest.map_or(s, |v| v.min(s)));
                    }
                }
            }
            *o = cut(c - BAND, strongest, weakest);
        }
    });
    plan
}

/// The paint's strength per pixel of the detection grid as the score measured it (stage 3),
/// averaged over the pixel's 3x3 neighbourhood (coordinates clamped, in whole numbers): paint
/// over a textured object changes each pixel by a different amount, and the outline is to follow
/// the paint, not the texture. The clamped 3x3 mean at every pixel, as sums across, then down.
pub fn average_cpu(raw: &[u32], grid: Grid) -> Vec<u32> {
    assert_eq!(raw.len(), grid.len(), "one strength a detection pixel");
    let (w, h) = (grid.w as usize, grid.h as usize);
    let mut across = vec![0u32; grid.len()];
    for_rows(&mut across, w, |y, out| {
        let row = &raw[y * w..][..w];
        let at = |x: usize| row[x.saturating_sub(1)] + row[x] + row[(x + 1).min(w - 1)];
        // The ends clamped; between them, three shifted slices added (which vectorises).
        out[0] = at(0);
        out[w - 1] = at(w - 1);
        if w > 2 {
            let middle = out[1..w - 1].iter_mut().zip(&row[..w - 2]);
            for ((o, &l), (&c, &r)) in middle.zip(row[1..].iter().zip(&row[2..])) {
                *o = l + c + r;
            }
        }
    });
    let mut out = vec![0u32; grid.len()];
    for_rows(&mut out, w, |y, out| {
        let row = |y: usize| &across[y * w..][..w];
        let (above, here, below) = (row(y.saturating_sub(1)), row(y), row((y + 1).min(h - 1)));
        for (x, o) in out.iter_mut().enumerate() {
            *o = (above[x] + here[x] + below[x] + 4) / 9;
        }
    });
    out
}

/// The whole stage: the cleaned `mask` (0/1) on `detect`'s grid, its outline placed again, as a
/// mask on `fine`'s grid in [`place_cpu`]'s bytes. `strengths`: the paint's strength per pixel
/// of `detect`'s pair, which the score measured (stage 3) on that pair, shift and paint.
pub fn cpu<B: AsRef<[u32]> + Sync>(
    mask: &[u32],
    strengths: &[u32],
    band: Band,
    detect: Sharp<B>,
    fine: Sharp<B>,
) -> Vec<u32> {
    let grid = detect.grid;
    let classes = classify_cpu(mask, grid, band.radius);
    let strengths = average_cpu(strengths, grid);
    let plan = plan_cpu(&classes, grid, band, |i| strengths[i]);
    place_cpu(&plan, grid, fine)
}

/// Fine-grid rows decided together: each block measures the strengths its cut pixels read once.
const BLOCK: usize = 32;

/// The mask on the fine grid as bytes (255 inside), four pixels a word: a one-byte-a-pixel image
/// as it lies in memory, so neither twin writes or reads back a word per pixel.
pub fn place_cpu<B: AsRef<[u32]> + Sync>(plan: &[u32], grid: Grid, fine: Sharp<B>) -> Vec<u32> {
    let table = LabTable::new();
    let paint = fine.paint.map(lab_u8);
    let f = fine.grid;
    let fw = f.w as usize;
    // The fine columns that fall in each detection column, and the detection row of each fine
    // row (x * grid.w / f.w, as the shader computes it).
    let columns = runs(f.w, grid.w);
    let column_of = nearest(f.w, grid.w);
    let gy = |y: usize| (y as u64 * grid.h as u64 / f.h as u64) as usize;
    // The cut pixels of each detection row, found once: a band crosses a row in a few places.
    let gw = grid.w as usize;
    let mut cuts: Vec<Vec<usize>> = vec![Vec::new(); grid.h as usize];
    for_rows(&mut cuts, 1, |y, slot| {
        let words = &plan[y * gw..][..gw];
        slot[0] = (0..gw).filter(|&x| words[x] >= CUT).collect();
    });
    let mut out = vec![0u32; f.len().div_ceil(4)];
    let bytes = &mut bytemuck::cast_slice_mut::<u32, u8>(&mut out)[..f.len()];
    let fh = f.h as usize;
    for_rows_with(bytes, fw * BLOCK, Block::default, |scratch, block, rows| {
        let y0 = block * BLOCK;
        let n = rows.len() / fw;
        let plan_row = |y: usize| &plan[gy(y) * gw..][..gw];
        // Strengths of rows y0 - 1 ..= y0 + n: first the runs of pixels that a cut pixel's 3x3
        // neighbourhood reads (a cut detection pixel's fine columns and one more each side, on
        // its rows and one more above and below), then those, a run at a time (in CIELAB by
        // rows, which vectorises). Only measured slots are read.
        let Block {
            raw,
            runs,
            merged,
            labels,
            measure,
        } = scratch;
        if raw.len() < (n + 2) * fw {
            raw.resize((n + 2) * fw, 0);
        }
        runs.iter_mut().for_each(Vec::clear);
        runs.resize(n + 2, Vec::new());
        for y in y0..y0 + n {
            for &gx in &cuts[gy(y)] {
                let span = &columns[gx];
                let run = (span.start.saturating_sub(1), (span.end + 1).min(fw));
                for yy in y.saturating_sub(1)..(y + 2).min(fh) {
                    runs[yy + 1 - y0].push(run);
                }
            }
        }
        // Each row's runs merged where they overlap, and all of them measured together: runs
        // are short, and a conversion per run would cost more than its pixels.
        merged.clear();
        measure.clear();
        for (slot, row_runs) in runs.iter_mut().enumerate() {
            row_runs.sort_unstable();
            let y = (y0 + slot).wrapping_sub(1);
            let mut k = 0;
            while k < row_runs.len() {
                let (start, mut end) = row_runs[k];
                while k + 1 < row_runs.len() && row_runs[k + 1].0 <= end {
                    end = end.max(row_runs[k + 1].1);
                    k += 1;
                }
                merged.push((slot, start..end));
                measure.push(&fine, start..end, y);
                k += 1;
            }
        }
        let mut changes = measure.changes(&table, paint).iter();
        for (slot, columns) in merged.iter() {
            for (o, &c) in raw[slot * fw..][columns.clone()]
                .iter_mut()
                .zip(changes.by_ref())
            {
                *o = strength(c);
            }
        }
        let mut labelled = None;
        for (dy, row) in rows.chunks_mut(fw).enumerate() {
            let y = y0 + dy;
            let words = plan_row(y);
            // Labels first, once per detection row (a detection pixel covers only a few fine
            // ones), then the cut pixels decided.
            if labelled != Some(gy(y)) {
                labels.clear();
                labels.extend(
                    column_of
                        .iter()
                        .map(|&gx| u8::from(words[gx] == INSIDE) * 255),
                );
                labelled = Some(gy(y));
            }
            row.copy_from_slice(labels);
            // Each cut pixel's strength is its clamped 3x3 neighbourhood's mean, in whole
            // numbers, as `average_cpu` gives it.
            let [up, on, down] = [y.saturating_sub(1), y, (y + 1).min(fh - 1)]
                .map(|yy| &raw[(yy + 1 - y0) * fw..][..fw]);
            for &gx in &cuts[gy(y)] {
                let cut = words[gx] - CUT;
                for x in columns[gx].clone() {
                    let (l, r) = (x.saturating_sub(1), (x + 1).min(fw - 1));
                    let sum =
                        up[l] + up[x] + up[r] + on[l] + on[x] + on[r] + down[l] + down[x] + down[r];
                    row[x] = if (sum + 4) / 9 >= cut { 255 } else { 0 };
                }
            }
        }
    });
    out
}

/// Per thread of `place_cpu`, kept from block to block: the strengths of a block's rows and
/// which runs of them to measure, one detection row's labels at fine size, and the pixels the
/// strengths are measured on.
#[derive(Default)]
struct Block {
    raw: Vec<u32>,
    runs: Vec<Vec<(usize, usize)>>,
    /// The merged runs, as (row slot, columns), in the order they are measured.
    merged: Vec<(usize, Range<usize>)>,
    labels: Vec<u8>,
    measure: Measure,
}

/// Per thread of `place_cpu`: the pixels strengths are measured on.
#[derive(Default)]
struct Measure {
    original: Vec<u32>,
    edited: Vec<u32>,
    changes: Changes,
}

impl Measure {
    /// Forget the pairs added so far.
    fn clear(&mut self) {
        self.original.clear();
        self.edited.clear();
    }

    /// Add the pixel pairs at `columns` of row `y` of `pair`'s grid: the original's drift
    /// corrected, the edit's moved by the shift.
    fn push<B: AsRef<[u32]>>(&mut self, pair: &Sharp<B>, columns: Range<usize>, y: usize) {
        let g = pair.grid;
        let w = g.w as usize;
        let from = self.original.len();
        self.original
            .extend_from_slice(&pair.original.as_ref()[y * w..][columns.clone()]);
        if let Some(d) = pair.drift {
            d.apply_row(&mut self.original[from..], columns.start, y, g);
        }
        shifted_row(
            pair.edited.as_ref(),
            g,
            y,
            pair.shift,
            columns,
            &mut self.edited,
        );
    }

    /// The change of every pair added since `clear`, in order (one pair each, unsmoothed).
    fn changes(&mut self, table: &LabTable, paint: Option<[f32; 3]>) -> &[f32] {
        self.changes.row(table, &self.original, &self.edited, paint)
    }
}

/// `classify_cpu` on the GPU.
pub fn classify_gpu(g: &Gpu, mask: &wgpu::Buffer, grid: Grid, band: Band) -> wgpu::Buffer {
    let classes = g.zeroed(grid.len());
    let (kernel, items) = if (1..=2).contains(&band.radius) {
        let runs = grid.w.div_ceil(4) as usize * grid.h as usize;
        (CLASSIFY_NEAR, runs)
    } else {
        (CLASSIFY, grid.len())
    };
    g.run_items(kernel, &params(grid, band, None), &[mask, &classes], items);
    classes
}

/// The uniform block every entry point of `shaders/outline.wgsl` reads: the detection grid, the
/// band, and the fine grid's pixel pairs, which `place` measures the strength on.
fn params(grid: Grid, band: Band, pair: Option<Sharp<wgpu::Buffer>>) -> Vec<u32> {
    let (f, shift, paint, drift) = pair.map_or((grid, (0, 0), None, None), |p| {
        (p.grid, p.shift, p.paint, p.drift)
    });
    let lab = paint.map(lab_u8).unwrap_or([0.0; 3]);
    let mut words = vec![
        grid.w,
        grid.h,
        f.w,
        f.h,
        band.radius,
        band.reach.min(MAX_REACH),
        shift.0 as u32,
        shift.1 as u32,
        lab[0].to_bits(),
        lab[1].to_bits(),
        lab[2].to_bits(),
        paint.is_some() as u32,
        STRENGTH.to_bits(),
        OFF_AXIS.to_bits(),
        band.grow as u32,
        drift.is_some() as u32,
    ];
    words.extend(drift.unwrap_or(Drift::NONE).words());
    words
}

/// The whole stage on the GPU, as [`cpu`]; nothing is read back.
/// `score`: the score kernel's output, whose second half is the paint's strength per pixel of
/// `detect`'s pair, shift and paint (`score::gpu`).
pub fn gpu(
    g: &Gpu,
    mask: &wgpu::Buffer,
    score: &wgpu::Buffer,
    band: Band,
    detect: Sharp<wgpu::Buffer>,
    fine: Sharp<wgpu::Buffer>,
) -> wgpu::Buffer {
    let grid = detect.grid;
    let n = grid.len();
    let strength = g.zeroed(n);
    // `average` reads only c and d; a and b are bound to fill the layout.
    let buffers = [detect.original, detect.edited, &strength, score];
    g.run_items(AVERAGE, &params(grid, band, None), &buffers, n);
    let classes = classify_gpu(g, mask, grid, band);
    let plan = g.zeroed(n);
    g.run_items(
        PLAN,
        &params(grid, band, None),
        &[&classes, &strength, &plan],
        n,
    );
    let words = fine.grid.len().div_ceil(4);
    let out = g.zeroed(words);
    // The same pixel pairs on the same grid: their averaged strengths are measured already.
    let own = fine.grid == grid
        && fine.drift.is_none()
        && fine.shift == detect.shift
        && fine.paint == detect.paint
        && std::ptr::eq(fine.original, detect.original)
        && std::ptr::eq(fine.edited, detect.edited);
    g.run_items(
        if own { PLACE_OWN } else { PLACE },
        &params(grid, band, Some(fine)),
        &[&plan, fine.original, fine.edited, &out, &strength],
        words,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The strengths `raw` gives for the 3x3 neighbourhood of (x, y) (coordinates clamped to `g`),
    /// averaged in whole numbers.
    fn averaged(x: i32, y: i32, g: Grid, mut raw: impl FnMut(i32, i32) -> u32) -> u32 {
        let sum: u32 = neighbours(x, y, g.w as i32, g.h as i32)
            .map(|(xx, yy)| raw(xx, yy))
            .sum();
        (sum + 4) / 9
    }

    /// The 3x3 neighbourhood of (x, y), coordinates clamped to the grid.
    fn neighbours(x: i32, y: i32, w: i32, h: i32) -> impl Iterator<Item = (i32, i32)> {
        (-1..=1).flat_map(move |dy| {
            (-1..=1).map(move |dx| ((x + dx).clamp(0, w - 1), (y + dy).clamp(0, h - 1)))
        })
    }

    #[test]
    fn the_averaged_strengths_are_each_pixels_clamped_3x3_mean() {
        let mut rng = crate::rng::Rng::new(11);
        for grid in [
            Grid { w: 1, h: 1 },
            Grid { w: 1, h: 5 },
            Grid { w: 7, h: 1 },
            Grid { w: 13, h: 9 },
        ] {
            let raw: Vec<u32> = (0..grid.len())
                .map(|_| (rng.next_u64() % 4096) as u32)
                .collect();
            let all = average_cpu(&raw, grid);
            for (i, &a) in all.iter().enumerate() {
                let (x, y) = ((i % grid.w as usize) as i32, (i / grid.w as usize) as i32);
                let one = averaged(x, y, grid, |xx, yy| raw[(yy * grid.w as i32 + xx) as usize]);
                assert_eq!(a, one, "{grid:?} ({x}, {y})");
            }
        }
    }

    #[test]
    fn the_band_is_every_pixel_with_the_other_label_within_the_radius() {
        let grid = Grid { w: 37, h: 23 };
        let mut state = 99u32;
        let mask: Vec<u32> = (0..grid.len())
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state.is_multiple_of(7) as u32
            })
            .collect();
        let (w, h) = (grid.w as i32, grid.h as i32);
        for radius in 0..4 {
            let classes = classify_cpu(&mask, grid, radius);
            for (i, &c) in classes.iter().enumerate() {
                let (x, y) = (i as i32 % w, i as i32 / w);
                let r = radius as i32;
                let other = (y - r..=y + r)
                    .flat_map(|yy| (x - r..=x + r).map(move |xx| (xx, yy)))
                    .filter(|&(xx, yy)| xx >= 0 && yy >= 0 && xx < w && yy < h)
                    .any(|(xx, yy)| mask[(yy * w + xx) as usize] != mask[i]);
                let want = if other { BAND + mask[i] } else { mask[i] };
                assert_eq!(c, want, "pixel ({x}, {y}), radius {radius}");
            }
        }
    }

    #[test]
    fn a_cut_is_half_way_between_the_plateau_and_the_background() {
        // Plateau 100, background 10: cut at 55; rounded up from 55.5 to 56.
        assert_eq!(cut(INSIDE, 100, Some(10)), CUT + 55);
        assert_eq!(cut(INSIDE, 101, Some(10)), CUT + 56);
        // Nothing outside nearby, or an inside no stronger than the outside: kept.
        assert_eq!(cut(INSIDE, 100, None), INSIDE);
        assert_eq!(cut(OUTSIDE, 10, Some(20)), OUTSIDE);
    }

    #[test]
    fn a_feathered_step_is_cut_at_its_half_way_line_and_a_weak_part_keeps_its_own() {
        // Rows of 40 pixels painted with a fade of sigma 1.6 px whose half line lies between
        // x = 19 and x = 20; the plateau is 200, or 60 (weakly painted) on rows 20 and below.
        // The detected mask starts 2 px outside the half line, where the paint is at 17%.
        let grid = Grid { w: 40, h: 30 };
        let alpha = |x: usize| 1.0 / (1.0 + (-1.702 * (x as f64 - 19.5) / 1.6).exp());
        let strength: Vec<u32> = (0..grid.len())
            .map(|i| {
                let plateau = if i / 40 >= 20 { 60.0 } else { 200.0 };
                (plateau * alpha(i % 40)).round() as u32
            })
            .collect();
        let mask: Vec<u32> = (0..grid.len())
            .map(|i| (alpha(i % 40) >= 0.12) as u32)
            .collect();
        assert_eq!(mask.iter().position(|&m| m == 1), Some(18));
        let band = Band::new(1.0);
        assert_eq!(
            band,
            Band {
                radius: 2,
                reach: 2,
                grow: false
            }
        );
        let classes = classify_cpu(&mask, grid, band.radius);
        let plan = plan_cpu(&classes, grid, band, |i| strength[i]);
        let row = |y: usize| -> Vec<u32> {
            (0..40)
                .map(|x| {
                    let (w, s) = (plan[y * 40 + x], strength[y * 40 + x]);
                    if w < CUT {
                        w
                    } else {
                        (s >= w - CUT) as u32
                    }
                })
                .collect()
        };
        for y in [10, 29] {
            // Row 29 is cut at half its own plateau, not at half of the strong rows' (a window
            // reaching them would cut it at 100 and drop the whole weak part).
            let decided = row(y);
            assert_eq!(
                decided.iter().position(|&v| v == 1),
                Some(20),
                "row {y}: {decided:?}"
            );
            assert!(
                decided[20..].iter().all(|&v| v == 1),
                "row {y}: {decided:?}"
            );
        }
    }
}
