//! Stage 1a: where the edit's frame sits on the original's. Editors answer in frames of their own:
//! another size and aspect, the content stretched or zoomed a few percent, cropped or extended
//! at the sides, turned by a fraction of a degree, drifted by a few pixels unevenly. The map is
//! fitted on thumbnails on the host, from the parts of the two pictures that agree (the painted
//! region falls out as outliers of a robust fit), coarse to fine: scale, rotation and translation
//! first, then, only where that fit leaves local misalignment, a coarse grid of displacements.
//! The edit is then resampled through the map once (`warp`).

use crate::error::{Error, Result};
use crate::pixels::{both, halves, unpack, Grid};
use std::str::FromStr;

/// Longest side of the thumbnails the map is fitted on.
pub const THUMBNAIL: u32 = 256;
/// The coarsest level of the fit has at least this longest side.
const COARSEST: usize = 32;
/// The level the shift search or a map is chosen on has at most this longest side.
const DECIDE: u32 = 128;
/// Structure is each thumbnail less its local mean over a box of this radius: smooth lighting
/// changes fall away, edges and texture stay.
const MEAN_RADIUS: usize = 2;
/// The most samples a level is fitted on (its pixels with the most structure, spread out).
const MAX_SAMPLES: usize = 3000;
/// The same on the last level, where the flow's nodes each need enough of them.
const MAX_SAMPLES_LAST: usize = 6000;
/// Work over at least this many samples is split between both cores.
const SPLIT: usize = 1024;
/// Thumbnail pixels between the flow's nodes.
const NODE_SPACING: f32 = 32.0;
/// In `Auto`, a zoom, turn or drift is kept over the shift search only when it divides a plain
/// move's cost by more than this.
const SIMPLER_MARGIN: f32 = 1.1;
/// The affine fit has converged once no corner moves by this share of a level's pixel: finely on
/// the last level, loosely on those before it (the next level refines their fit, and the common
/// case, pictures in the same frame, is decided on one of them).
const FINE: f64 = 0.01;
const LOOSE: f64 = 0.05;

/// How the edit is brought onto the original's frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// The simplest of the others that explains the frame.
    #[default]
    Auto,
    /// Stretched onto the original, then the best whole-pixel shift (for edits in the same frame).
    Shift,
    /// Scale per axis, rotation and translation.
    Affine,
    /// The affine map plus a smooth displacement field.
    Flow,
}

impl FromStr for Method {
    type Err = Error;
    fn from_str(s: &str) -> Result<Method> {
        Ok(match s.trim() {
            "auto" => Method::Auto,
            "shift" => Method::Shift,
            "affine" => Method::Affine,
            "flow" => Method::Flow,
            other => {
                return Err(Error::BadOption(format!(
                    "register {other:?}: expected auto, shift, affine or flow"
                )))
            }
        })
    }
}

/// A smooth displacement field over the original's frame: node (i, j) sits at
/// u = (i / (nx - 1), j / (ny - 1)), bilinear in between; displacements in the same units as u.
#[derive(Clone, Debug, PartialEq)]
pub struct Flow {
    pub nx: u32,
    pub ny: u32,
    pub d: Vec<[f32; 2]>,
}

impl Flow {
    /// The displacement at u, as `shaders/warp.wgsl` computes it.
    #[inline(always)]
    pub fn at(&self, u: [f32; 2]) -> [f32; 2] {
        let ([i, j], [tx, ty]) = self.cell(u);
        let nx = self.nx as usize;
        let d = |a: usize, b: usize| self.d[b * nx + a];
        let (d00, d10, d01, d11) = (d(i, j), d(i + 1, j), d(i, j + 1), d(i + 1, j + 1));
        std::array::from_fn(|c| {
            let top = d00[c] * (1.0 - tx) + d10[c] * tx;
            let bottom = d01[c] * (1.0 - tx) + d11[c] * tx;
            top * (1.0 - ty) + bottom * ty
        })
    }

    /// The cell u falls in and where in it.
    #[inline(always)]
    fn cell(&self, u: [f32; 2]) -> ([usize; 2], [f32; 2]) {
        let (i, tx) = axis(u[0], self.nx);
        let (j, ty) = axis(u[1], self.ny);
        ([i, j], [tx, ty])
    }

    /// Per column at `xs` (u's x of each, increasing), the node cell and the place in it: the same
    /// on every row.
    pub fn columns(&self, xs: &[f32]) -> Columns {
        let mut runs: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
        let t = xs
            .iter()
            .enumerate()
            .map(|(x, &u)| {
                let (i, t) = axis(u, self.nx);
                match runs.last_mut() {
                    Some((cell, run)) if *cell == i => run.end = x + 1,
                    _ => runs.push((i, x..x + 1)),
                }
                t
            })
            .collect();
        Columns { runs, t }
    }

    /// The field along row `uy`: with [`Flow::columns`], `at` for a whole row (y blended once,
    /// then x per pixel).
    pub fn row(&self, uy: f32) -> FlowRow {
        let (j, ty) = axis(uy, self.ny);
        let nx = self.nx as usize;
        FlowRow(
            (0..nx)
                .map(|i| {
                    let (a, b) = (self.d[j * nx + i], self.d[(j + 1) * nx + i]);
                    [a[0] * (1.0 - ty) + b[0] * ty, a[1] * (1.0 - ty) + b[1] * ty]
                })
                .collect(),
        )
    }
}

/// Columns grouped by the node cell they fall in (runs of neighbours, as columns increase), and
/// each one's place in its cell.
pub struct Columns {
    runs: Vec<(usize, std::ops::Range<usize>)>,
    t: Vec<f32>,
}

/// A flow's nodes blended down to one row, one per column of nodes.
pub struct FlowRow(Vec<[f32; 2]>);

impl FlowRow {
    /// The displacement at every column of `columns` into `dx` and `dy`, as `Flow::at` gives
    /// it: a cell's run at a time, so that the blend along x vectorises.
    pub fn fill(&self, columns: &Columns, dx: &mut [f32], dy: &mut [f32]) {
        for (i, run) in &columns.runs {
            let (a, b) = (self.0[*i], self.0[*i + 1]);
            let t = &columns.t[run.clone()];
            let (dx, dy) = (&mut dx[run.clone()], &mut dy[run.clone()]);
            for ((dx, dy), &t) in dx.iter_mut().zip(dy).zip(t) {
                (*dx, *dy) = (a[0] * (1.0 - t) + b[0] * t, a[1] * (1.0 - t) + b[1] * t);
            }
        }
    }
}

/// The node cell along one axis of `n` nodes that v falls in, and the place in it.
#[inline(always)]
fn axis(v: f32, n: u32) -> (usize, f32) {
    let f = (v * (n - 1) as f32).clamp(0.0, (n - 1) as f32);
    let i = (f.floor() as u32).min(n - 2);
    (i as usize, f - i as f32)
}

/// Where each pixel of the original is found in the edit: v = A (u + flow(u)) + b, with u and v
/// pixel centres on [0, 1]² of each picture's own frame (u = (x + 0.5) / width). A plain stretch of
/// the edit onto the original is A = I, b = 0.
#[derive(Clone, Debug, PartialEq)]
pub struct Map {
    /// A row by row: a00, a01, a10, a11.
    pub a: [f32; 4],
    pub b: [f32; 2],
    pub flow: Option<Flow>,
}

impl Map {
    pub const STRETCH: Map = Map {
        a: [1.0, 0.0, 0.0, 1.0],
        b: [0.0, 0.0],
        flow: None,
    };

    /// The edit's point for the original's point u.
    #[inline(always)]
    pub fn at(&self, u: [f32; 2]) -> [f32; 2] {
        let w = match &self.flow {
            Some(f) => {
                let d = f.at(u);
                [u[0] + d[0], u[1] + d[1]]
            }
            None => u,
        };
        self.affine(w)
    }

    /// The linear part and the move alone, without the flow.
    #[inline(always)]
    pub(crate) fn affine(&self, w: [f32; 2]) -> [f32; 2] {
        let a = self.a;
        [
            a[0] * w[0] + a[1] * w[1] + self.b[0],
            a[2] * w[0] + a[3] * w[1] + self.b[1],
        ]
    }

    /// One output pixel's footprint in the edit's pixels along x and along y (`warp`'s taps).
    pub fn footprint(&self, from: Grid, to: Grid) -> [[f32; 2]; 2] {
        let (sw, sh) = (from.w as f32, from.h as f32);
        let (dw, dh) = (to.w as f32, to.h as f32);
        [
            [self.a[0] * sw / dw, self.a[2] * sh / dw],
            [self.a[1] * sw / dh, self.a[3] * sh / dh],
        ]
    }

    /// Whether every pixel of a picture on `grid` is seen in the edit: the map is smooth, so the
    /// border's pixels decide.
    pub fn sees_all(&self, grid: Grid) -> bool {
        let inside = |x: u32, y: u32| {
            let v = self.at(centre(x, y, grid));
            (0.0..=1.0).contains(&v[0]) && (0.0..=1.0).contains(&v[1])
        };
        (0..grid.w).all(|x| inside(x, 0) && inside(x, grid.h - 1))
            && (0..grid.h).all(|y| inside(0, y) && inside(grid.w - 1, y))
    }

    /// Whether the edit's frame shows the original's point u.
    #[inline(always)]
    fn sees(&self, u: [f32; 2], margin: [f32; 2]) -> bool {
        // A point whose affine image lies further inside than the flow can move it is seen
        // without evaluating the flow.
        let inside = |v: [f32; 2], m: [f32; 2]| {
            (m[0]..=1.0 - m[0]).contains(&v[0]) && (m[1]..=1.0 - m[1]).contains(&v[1])
        };
        inside(self.affine(u), margin) || inside(self.at(u), [0.0, 0.0])
    }

    /// The pixels of a picture on `grid` the edit's frame shows (255) and does not (0).
    pub fn visible(&self, grid: Grid) -> Vec<u8> {
        let reach = self.flow_reach();
        let margin = reach.map(|r| r * 1.001 + 1e-6);
        // Along a row the affine image moves linearly, so the linear part alone decides the
        // pixels clearly inside (seen) and those beyond the flow's reach outside (not seen); only
        // the pixels near where the row crosses the frame's edge need the whole map. `SURE` (in
        // the frame's [0, 1] units) and a pixel's slack each side keep float rounding out of
        // that decision.
        const SURE: f64 = 1e-4;
        let w = grid.w as usize;
        let mut out = vec![0u8; grid.len()];
        crate::pixels::for_rows(&mut out, w, |y, row| {
            let uy = (y as f64 + 0.5) / grid.h as f64;
            // The x range (in pixels, as reals) where both coordinates of the affine image lie
            // within [m, 1 - m] widened by `by` each side.
            let within = |margin: [f32; 2], by: f64| -> (f64, f64) {
                let (mut from, mut to) = (f64::NEG_INFINITY, f64::INFINITY);
                for (c, &m) in margin.iter().enumerate() {
                    let (a, hi) = (m as f64 - by, 1.0 - m as f64 + by);
                    // v(x) = k (x + 0.5) / w + c0.
                    let k = self.a[2 * c] as f64 / w as f64;
                    let c0 = self.a[2 * c + 1] as f64 * uy + self.b[c] as f64 + 0.5 * k;
                    if k.abs() < 1e-12 {
                        if !(a..=hi).contains(&c0) {
                            return (0.0, -1.0);
                        }
                        continue;
                    }
                    let (p, q) = ((a - c0) / k, (hi - c0) / k);
                    from = from.max(p.min(q));
                    to = to.min(p.max(q));
                }
                (from, to)
            };
            let span = |(from, to): (f64, f64), slack: f64| -> (usize, usize) {
                let from = (from + slack).ceil().clamp(0.0, w as f64) as usize;
                let to = ((to - slack).floor() + 1.0).clamp(0.0, w as f64) as usize;
                (from, to.max(from))
            };
            // Surely seen: inside by SURE and a pixel; perhaps seen: within the reach, widened.
            let (s0, s1) = span(within(margin, -SURE), 1.0);
            let widest = [-reach[0], -reach[1]];
            let (p0, p1) = span(within(widest, SURE), -1.0);
            let (s0, s1) = (s0.clamp(p0, p1), s1.clamp(p0, p1).max(s0.clamp(p0, p1)));
            row[s0..s1].fill(255);
            for x in (p0..s0).chain(s1..p1) {
                row[x] = if self.sees(centre(x as u32, y as u32, grid), margin) {
                    255
                } else {
                    0
                };
            }
        });
        out
    }

    /// How far the flow can move a point of the edit's frame, per axis: the field blends its
    /// nodes, so no point moves further than the largest node does, through the linear part.
    fn flow_reach(&self) -> [f32; 2] {
        let Some(flow) = &self.flow else {
            return [0.0, 0.0];
        };
        let (dx, dy) = flow.d.iter().fold((0.0f32, 0.0f32), |(x, y), d| {
            (x.max(d[0].abs()), y.max(d[1].abs()))
        });
        let a = self.a.map(f32::abs);
        [a[0] * dx + a[1] * dy, a[2] * dx + a[3] * dy]
    }

    /// The map in a person's terms, for a picture on `full`.
    pub fn describe(&self, full: Grid) -> Shape {
        let (w, h) = (full.w as f32, full.h as f32);
        // The linear part in pixels of the original's frame: P A P⁻¹.
        let k = [self.a[0], self.a[1] * w / h, self.a[2] * h / w, self.a[3]];
        let sx = k[0].hypot(k[2]);
        let rotation = k[2].atan2(k[0]);
        let sy = (k[0] * k[3] - k[1] * k[2]) / sx;
        let c = self.affine([0.5, 0.5]);
        let largest_drift = self.flow.as_ref().map_or(0.0, |f| {
            f.d.iter()
                .map(|d| (d[0] * w).hypot(d[1] * h))
                .fold(0.0, f32::max)
        });
        Shape {
            scale: [sx, sy],
            rotation: rotation.to_degrees(),
            offset: [(c[0] - 0.5) * w, (c[1] - 0.5) * h],
            largest_drift,
        }
    }
}

/// Pixel (x, y)'s centre on [0, 1]² of `grid`.
#[inline(always)]
pub fn centre(x: u32, y: u32, grid: Grid) -> [f32; 2] {
    [
        (x as f32 + 0.5) / grid.w as f32,
        (y as f32 + 0.5) / grid.h as f32,
    ]
}

/// A map described: how much larger the edit's content is than a plain stretch would make it,
/// per axis; its turn in degrees; where the original's centre lands, moved by how many of the
/// original's pixels; and the largest displacement of the flow, in the original's pixels.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Shape {
    pub scale: [f32; 2],
    pub rotation: f32,
    pub offset: [f32; 2],
    pub largest_drift: f32,
}

/// The fitted map, the method it needs, and what is left after it: the robust spread of the
/// structure's residual, in grey levels.
#[derive(Clone, Debug)]
pub struct Fit {
    pub map: Map,
    pub method: Method,
    pub residual: f32,
}

impl Fit {
    /// The plain stretch, left to the shift search.
    pub fn stretch() -> Fit {
        Fit {
            map: Map::STRETCH,
            method: Method::Shift,
            residual: 0.0,
        }
    }
}

/// Grey levels in [0, 1] of a thumbnail.
fn grey(words: &[u32]) -> Vec<f32> {
    words
        .iter()
        .map(|&p| {
            let [r, g, b, _] = unpack(p);
            0.299 * r + 0.587 * g + 0.114 * b
        })
        .collect()
}

/// One level of a thumbnail's pyramid: its structure and the structure's gradient.
struct Level {
    w: usize,
    h: usize,
    s: Vec<f32>,
    gx: Vec<f32>,
    gy: Vec<f32>,
}

impl Level {
    fn new(g: &[f32], grid: Grid) -> Level {
        let (w, h) = (grid.w as usize, grid.h as usize);
        let s = structure(g, w, h);
        // Central differences, one-sided at the frame's sides (halving is exact, so the
        // reciprocal gives the quotient's bits).
        let per = |lo: usize, hi: usize| 1.0 / (hi - lo).max(1) as f32;
        let (mut gx, mut gy) = (vec![0.0; w * h], vec![0.0; w * h]);
        for y in 0..h {
            let (u, d) = (y.saturating_sub(1), (y + 1).min(h - 1));
            let (row, up, down) = (&s[y * w..][..w], &s[u * w..][..w], &s[d * w..][..w]);
            let ky = per(u, d);
            let (gx, gy) = (&mut gx[y * w..][..w], &mut gy[y * w..][..w]);
            for ((g, &a), &b) in gy.iter_mut().zip(down).zip(up) {
                *g = (a - b) * ky;
            }
            // The sides one-sided, the rest in windows of three (which vectorise).
            gx[0] = (row[1.min(w - 1)] - row[0]) * per(0, 1.min(w - 1));
            if w > 1 {
                gx[w - 1] = (row[w - 1] - row[w - 2]) * per(w - 2, w - 1);
            }
            for (g, t) in gx[1..].iter_mut().zip(row.windows(3)) {
                *g = (t[2] - t[0]) * 0.5;
            }
        }
        Level { w, h, s, gx, gy }
    }

    /// The structure and its gradient at (px, py) in this level's pixels (centres at +0.5),
    /// bilinear; none outside the frame.
    #[inline(always)]
    fn sample(&self, px: f32, py: f32) -> Option<[f32; 3]> {
        let taps = self.taps(px, py)?;
        Some([
            taps.blend(&self.s),
            taps.blend(&self.gx),
            taps.blend(&self.gy),
        ])
    }

    /// The four pixels around (px, py) and the place between them; none outside the frame.
    #[inline(always)]
    fn taps(&self, px: f32, py: f32) -> Option<Taps> {
        if !(0.0..=self.w as f32).contains(&px) || !(0.0..=self.h as f32).contains(&py) {
            return None;
        }
        let (fx, fy) = (px - 0.5, py - 0.5);
        let (x0, y0) = (fx.floor(), fy.floor());
        Some(self.around([x0 as i32, y0 as i32], [fx - x0, fy - y0]))
    }

    /// The four pixels from `texel` (top left, which may lie a pixel outside the frame) on, each
    /// clamped into the frame, with the place `t` between them.
    #[inline(always)]
    fn around(&self, texel: [i32; 2], t: [f32; 2]) -> Taps {
        let clamp = |v: i32, n: usize| v.clamp(0, n as i32 - 1) as usize;
        let (xa, xb) = (clamp(texel[0], self.w), clamp(texel[0] + 1, self.w));
        let (ya, yb) = (clamp(texel[1], self.h), clamp(texel[1] + 1, self.h));
        Taps {
            at: [
                ya * self.w + xa,
                ya * self.w + xb,
                yb * self.w + xa,
                yb * self.w + xb,
            ],
            t,
        }
    }
}

/// A bilinear sample's pixels (top left, top right, bottom left, bottom right) and weights.
struct Taps {
    at: [usize; 4],
    t: [f32; 2],
}

impl Taps {
    #[inline(always)]
    fn blend(&self, img: &[f32]) -> f32 {
        let [tx, ty] = self.t;
        let top = img[self.at[0]] * (1.0 - tx) + img[self.at[1]] * tx;
        let bottom = img[self.at[2]] * (1.0 - tx) + img[self.at[3]] * tx;
        top * (1.0 - ty) + bottom * ty
    }
}

/// A picture less its local mean.
fn structure(g: &[f32], w: usize, h: usize) -> Vec<f32> {
    let r = MEAN_RADIUS;
    // The box mean, clamped at the frame's sides: along rows, then down columns (each row of
    // the second pass adds whole rows, which vectorises).
    let mut rows = vec![0.0; w * h];
    let box_mean = |line: &[f32], x: usize| {
        let (lo, hi) = (x.saturating_sub(r), (x + r).min(w - 1));
        line[lo..=hi].iter().sum::<f32>() / (hi - lo + 1) as f32
    };
    for (line, out) in g.chunks_exact(w).zip(rows.chunks_exact_mut(w)) {
        // Whole windows in the middle, summed in the same order (which vectorises), the sides
        // clamped.
        if w > 2 * r {
            let n = (2 * r + 1) as f32;
            for (o, win) in out[r..w - r].iter_mut().zip(line.windows(2 * r + 1)) {
                *o = win.iter().sum::<f32>() / n;
            }
        }
        for x in (0..r.min(w)).chain(w.saturating_sub(r).max(r)..w) {
            out[x] = box_mean(line, x);
        }
    }
    let mut mean = vec![0.0; w * h];
    for (y, out) in mean.chunks_exact_mut(w).enumerate() {
        let (lo, hi) = (y.saturating_sub(r), (y + r).min(h - 1));
        for row in rows[lo * w..(hi + 1) * w].chunks_exact(w) {
            for (o, v) in out.iter_mut().zip(row) {
                *o += v;
            }
        }
        let n = (hi - lo + 1) as f32;
        for o in out.iter_mut() {
            *o /= n;
        }
    }
    g.iter().zip(&mean).map(|(v, m)| v - m).collect()
}

/// Halve a picture: two linear taps per output pixel along each axis, pixel centres kept where
/// the frame's [0, 1] coordinates put them (an odd side halves to a rounded size, not a lone
/// last row).
fn halve(g: &[f32], w: usize, h: usize) -> (Vec<f32>, usize, usize) {
    let axis = |n: usize| -> (usize, Vec<[(usize, f32); 4]>) {
        let m = (n as f32 / 2.0).round().max(1.0) as usize;
        let s = n as f32 / m as f32;
        let taps = (0..m)
            .map(|i| {
                let mut out = [(0, 0.0); 4];
                for (t, q) in [0.25f32, 0.75].iter().enumerate() {
                    let f = ((i as f32 + q) * s - 0.5).clamp(0.0, (n - 1) as f32);
                    let i0 = (f.floor() as usize).min(n.saturating_sub(2));
                    let frac = f - i0 as f32;
                    out[2 * t] = (i0, 0.5 * (1.0 - frac));
                    out[2 * t + 1] = ((i0 + 1).min(n - 1), 0.5 * frac);
                }
                out
            })
            .collect();
        (m, taps)
    };
    let ((hw, across), (hh, down)) = (axis(w), axis(h));
    let mut rows = vec![0.0; hw * h];
    for y in 0..h {
        for (x, taps) in across.iter().enumerate() {
            rows[y * hw + x] = taps.iter().map(|&(i, k)| k * g[y * w + i]).sum();
        }
    }
    let mut out = vec![0.0; hw * hh];
    for (y, taps) in down.iter().enumerate() {
        for x in 0..hw {
            out[y * hw + x] = taps.iter().map(|&(i, k)| k * rows[i * hw + x]).sum();
        }
    }
    (out, hw, hh)
}

/// A grey thumbnail and its halvings, coarsest first.
fn halvings(g: Vec<f32>, grid: Grid, levels: usize) -> Vec<(Vec<f32>, Grid)> {
    let mut out = vec![(g, grid)];
    for _ in 1..levels {
        let (g, grid) = out.last().expect("one level");
        let (half, w, h) = halve(g, grid.w as usize, grid.h as usize);
        out.push((
            half,
            Grid {
                w: w as u32,
                h: h as u32,
            },
        ));
    }
    out.reverse();
    out
}

/// The original's samples on a level: the pixels with the most structure (edges and texture
/// say where they are; flat parts do not), as (u, structure).
fn samples(level: &Level, most: usize) -> Vec<([f32; 2], f32)> {
    let (w, h) = (level.w, level.h);
    let grid = Grid {
        w: w as u32,
        h: h as u32,
    };
    // Ranked by the gradient's squared length: the same order as its length, without roots.
    let magnitude: Vec<f32> = (0..w * h)
        .map(|i| level.gx[i] * level.gx[i] + level.gy[i] * level.gy[i])
        .collect();
    let mut sorted = magnitude.clone();
    let cut = sorted.len() * 3 / 5;
    let bar = *sorted
        .select_nth_unstable_by(cut.min(w * h - 1), |a, b| a.total_cmp(b))
        .1;
    let strong: Vec<usize> = (0..w * h)
        .filter(|&i| magnitude[i] > bar.max(1e-8))
        .collect();
    // At most `most`, spread over the picture: every k-th in reading order.
    let k = strong.len().div_ceil(most).max(1);
    strong
        .into_iter()
        .step_by(k)
        .map(|i| {
            let (x, y) = ((i % w) as u32, (i / w) as u32);
            (centre(x, y, grid), level.s[i])
        })
        .collect()
}

fn median(v: &mut [f32]) -> f32 {
    if v.is_empty() {
        return 0.0;
    }
    let mid = v.len() / 2;
    *v.select_nth_unstable_by(mid, |a, b| a.total_cmp(b)).1
}

/// Tukey's biweight for residuals of robust spread `scale`: the painted region and anything
/// else the editor changed weigh nothing.
fn tukey(r: f32, scale: f32) -> f32 {
    let c = 4.685 * scale;
    if r.abs() >= c {
        0.0
    } else {
        let t = 1.0 - (r / c) * (r / c);
        t * t
    }
}

/// The robust spread of residuals (1.4826 x the median absolute deviation), with a floor for
/// pictures that agree to the last level.
fn spread(residuals: &[f32]) -> f32 {
    let mut v: Vec<f32> = residuals.iter().map(|r| r.abs()).collect();
    (1.4826 * median(&mut v)).max(0.5 / 255.0)
}

/// The affine part and the grey levels' gain and offset: [a00, a01, a10, a11, b0, b1, gain, bias].
type Params = [f64; 8];

fn map_of(p: &Params) -> Map {
    Map {
        a: [p[0] as f32, p[1] as f32, p[2] as f32, p[3] as f32],
        b: [p[4] as f32, p[5] as f32],
        flow: None,
    }
}

/// Solve the symmetric positive system `a x = b` (n x n, row-major) by Cholesky; `None` when it
/// is not positive definite.
fn solve(a: &[f64], b: &[f64], n: usize) -> Option<Vec<f64>> {
    solve_banded(a, b, n, n)
}

/// `solve` for a system whose entries more than `band` off the diagonal are zero: the Cholesky
/// factor keeps the band, so the work falls from n³ to n band² (the flow's nodes only pull on
/// their neighbours).
fn solve_banded(a: &[f64], b: &[f64], n: usize, band: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        let first = i.saturating_sub(band);
        for j in first..=i {
            let sum: f64 = (first..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            if i == j {
                let d = a[i * n + i] - sum;
                if d <= 1e-12 {
                    return None;
                }
                l[i * n + i] = d.sqrt();
            } else {
                l[i * n + j] = (a[i * n + j] - sum) / l[j * n + j];
            }
        }
    }
    let mut y = vec![0.0; n];
    for i in 0..n {
        let first = i.saturating_sub(band);
        y[i] = (b[i] - (first..i).map(|k| l[i * n + k] * y[k]).sum::<f64>()) / l[i * n + i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let last = (i + band + 1).min(n);
        x[i] = (y[i] - (i + 1..last).map(|k| l[k * n + i] * x[k]).sum::<f64>()) / l[i * n + i];
    }
    Some(x)
}

/// The residuals of the samples the edit's frame shows under `map`, with the grey levels' gain and
/// bias, each with its sample's index.
fn residuals(
    samples: &[([f32; 2], f32)],
    e: &Level,
    map: &Map,
    gain: f32,
    bias: f32,
) -> Vec<(usize, f32, [f32; 3])> {
    let (ew, eh) = (e.w as f32, e.h as f32);
    let part = |range: std::ops::Range<usize>| -> Vec<(usize, f32, [f32; 3])> {
        range
            .filter_map(|i| {
                let (u, so) = samples[i];
                let v = map.at(u);
                let s = e.sample(v[0] * ew, v[1] * eh)?;
                Some((i, gain * s[0] + bias - so, s))
            })
            .collect()
    };
    // A level's thousands of samples in two halves side by side (in order: the same list).
    let n = samples.len();
    if n < SPLIT {
        return part(0..n);
    }
    halves(n, part)
}

/// The affine fit on one level from `p`: iteratively reweighted Gauss-Newton with a little
/// damping. Returns the parameters and the residuals' robust spread.
fn fit_affine(
    samples: &[([f32; 2], f32)],
    e: &Level,
    mut p: Params,
    rounds: usize,
    converged: f64,
) -> (Params, f32) {
    let (ew, eh) = (e.w as f64, e.h as f64);
    let mut scale = 1.0;
    for _ in 0..rounds {
        let map = map_of(&p);
        let rs = residuals(samples, e, &map, p[6] as f32, p[7] as f32);
        if rs.len() < 24 {
            break;
        }
        scale = spread(&rs.iter().map(|r| r.1).collect::<Vec<_>>());
        let (mut h, mut g) = ([0.0f64; 64], [0.0f64; 8]);
        for &(i, r, [s, ex, ey]) in &rs {
            let w = tukey(r, scale) as f64;
            if w == 0.0 {
                continue;
            }
            let u = samples[i].0;
            let (ux, uy) = (u[0] as f64, u[1] as f64);
            let (jx, jy) = (p[6] * ex as f64 * ew, p[6] * ey as f64 * eh);
            let j = [jx * ux, jx * uy, jy * ux, jy * uy, jx, jy, s as f64, 1.0];
            for a in 0..8 {
                let wa = w * j[a];
                g[a] += wa * r as f64;
                for b in a..8 {
                    h[a * 8 + b] += wa * j[b];
                }
            }
        }
        for a in 0..8 {
            for b in 0..a {
                h[a * 8 + b] = h[b * 8 + a];
            }
            h[a * 8 + a] *= 1.0 + 1e-3;
            h[a * 8 + a] += 1e-9;
        }
        let Some(step) = solve(&h, &g.map(|v| -v), 8) else {
            break;
        };
        for (v, s) in p.iter_mut().zip(&step) {
            *v += s;
        }
        // Converged once no corner moves by `converged` of this level's pixel.
        let moved = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
            .iter()
            .map(|c: &[f64; 2]| {
                let dx = (step[0] * c[0] + step[1] * c[1] + step[4]) * ew;
                let dy = (step[2] * c[0] + step[3] * c[1] + step[5]) * eh;
                dx.hypot(dy)
            })
            .fold(0.0, f64::max);
        if moved < converged {
            break;
        }
    }
    (p, scale)
}

/// The best start on the coarsest level: whole-pixel translations over an eighth of the picture
/// each way, and with `zooms`, content scales per axis from 0.77 to 1.3 (a crop or extension on
/// top of an editor's zoom), from which the fit is within reach. Scored on the samples with the
/// most structure.
fn coarse_starts(samples: &[([f32; 2], f32)], e: &Level, zooms: bool) -> Vec<(f32, Params)> {
    let reach = (e.w.max(e.h) as f32 / 8.0).ceil() as i32;
    let mut strongest: Vec<&([f32; 2], f32)> = samples.iter().collect();
    strongest.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    strongest.truncate(200);
    let strongest: Vec<([f32; 2], f32)> = strongest.into_iter().copied().collect();
    let scales: &[f32] = if zooms {
        &[0.77, 0.88, 1.0, 1.14, 1.3]
    } else {
        &[1.0]
    };
    let (ew, eh) = (e.w as f32, e.h as f32);
    // Where the samples land under a scale pair before any move, once per pair: a whole-pixel
    // move shifts the texels read and leaves the bilinear weights as they are.
    let landings = |sx: f32, sy: f32| -> Vec<Landing> {
        let map = Map {
            a: [sx, 0.0, 0.0, sy],
            b: [0.5 * (1.0 - sx), 0.5 * (1.0 - sy)],
            flow: None,
        };
        strongest
            .iter()
            .map(|&(u, so)| Landing::new(map.at(u), [ew, eh], so))
            .collect()
    };
    let start = |landed: &[Landing], sx: f32, sy: f32, dx: i32, dy: i32| -> Option<(f32, Params)> {
        // The truncated residuals' mean over the samples seen (the structure alone: the
        // search needs no gradient).
        let (mut seen, mut sum) = (0usize, 0.0f32);
        for l in landed {
            if let Some(s) = l.moved(e, dx, dy) {
                seen += 1;
                sum += (s - l.so).abs().min(0.05);
            }
        }
        // Too few samples seen to judge this start.
        if seen * 2 < landed.len() {
            return None;
        }
        let cost = sum / seen as f32
            // Ties go to the smaller change.
            + 1e-5 * ((dx.abs() + dy.abs()) as f32 + 10.0 * ((sx - 1.0).abs() + (sy - 1.0).abs()));
        // Scaled about the centre, then moved.
        let b = [
            0.5 * (1.0 - sx) + dx as f32 / ew,
            0.5 * (1.0 - sy) + dy as f32 / eh,
        ];
        let p = [
            sx as f64,
            0.0,
            0.0,
            sy as f64,
            b[0] as f64,
            b[1] as f64,
            1.0,
            0.0,
        ];
        Some((cost, p))
    };
    // Every scale pair on every other whole-pixel translation, then the best of each pair
    // refined to the pixel.
    let pairs: Vec<(f32, f32)> = scales
        .iter()
        .flat_map(|&sx| scales.iter().map(move |&sy| (sx, sy)))
        .collect();
    let best_of = |pairs: &[(f32, f32)]| -> Vec<(f32, Params, i32, i32)> {
        pairs
            .iter()
            .filter_map(|&(sx, sy)| {
                let landed = landings(sx, sy);
                (-reach..=reach)
                    .step_by(2)
                    .flat_map(|dy| (-reach..=reach).step_by(2).map(move |dx| (dx, dy)))
                    .filter_map(|(dx, dy)| start(&landed, sx, sy, dx, dy).map(|c| (c, dx, dy)))
                    .min_by(|a, b| a.0 .0.total_cmp(&b.0 .0))
                    .map(|((cost, p), dx, dy)| (cost, p, dx, dy))
            })
            .collect()
    };
    // Half the scale pairs on each core, kept in their order.
    let mut found = halves(pairs.len(), |range| best_of(&pairs[range]));
    found.sort_by(|a, b| a.0.total_cmp(&b.0));
    found
        .into_iter()
        .take(4)
        .filter_map(|(_, p, dx, dy)| {
            let (sx, sy) = (p[0] as f32, p[3] as f32);
            let landed = landings(sx, sy);
            (-1..=1)
                .flat_map(|ey| (-1..=1).map(move |ex| (dx + ex, dy + ey)))
                .filter_map(|(x, y)| start(&landed, sx, sy, x, y))
                .min_by(|a, b| a.0.total_cmp(&b.0))
        })
        .collect()
}

/// A sample of the coarse search where a scale pair lands it, in level pixels, with the texel
/// above and left of it, the place between texels, and the original's structure there.
struct Landing {
    at: [f32; 2],
    texel: [i32; 2],
    t: [f32; 2],
    so: f32,
}

impl Landing {
    fn new(v: [f32; 2], size: [f32; 2], so: f32) -> Landing {
        let at = [v[0] * size[0], v[1] * size[1]];
        let corner = at.map(|p| (p - 0.5).floor());
        Landing {
            at,
            texel: corner.map(|c| c as i32),
            t: [at[0] - 0.5 - corner[0], at[1] - 0.5 - corner[1]],
            so,
        }
    }

    /// The structure, bilinear, where the sample lands moved by whole pixels; none outside the
    /// frame.
    #[inline(always)]
    fn moved(&self, e: &Level, dx: i32, dy: i32) -> Option<f32> {
        let (px, py) = (self.at[0] + dx as f32, self.at[1] + dy as f32);
        if !(0.0..=e.w as f32).contains(&px) || !(0.0..=e.h as f32).contains(&py) {
            return None;
        }
        let texel = [self.texel[0] + dx, self.texel[1] + dy];
        Some(e.around(texel, self.t).blend(&e.s))
    }
}

/// The move of the picture's centre that `p` makes, as a map without zoom or turn.
fn translation(p: &Params) -> Params {
    let centre = |i: usize| p[2 * i] * 0.5 + p[2 * i + 1] * 0.5 + p[4 + i] - 0.5;
    [1.0, 0.0, 0.0, 1.0, centre(0), centre(1), p[6], p[7]]
}

/// A fit's cost on a level: the mean truncated residual over the samples it sees.
fn cost(samples: &[([f32; 2], f32)], e: &Level, p: &Params) -> f32 {
    cost_of(samples, e, &map_of(p), p)
}

/// The cost of `map` with the grey levels' gain and bias of `p`.
fn cost_of(samples: &[([f32; 2], f32)], e: &Level, map: &Map, p: &Params) -> f32 {
    let rs = residuals(samples, e, map, p[6] as f32, p[7] as f32);
    if rs.len() * 2 < samples.len() {
        return f32::MAX;
    }
    rs.iter().map(|r| r.1.abs().min(0.05)).sum::<f32>() / rs.len() as f32
}

/// The start the fit continues from: the best few coarse starts of different scales, each fitted
/// on the coarsest level, the one that fits best kept (a picture dominated by one strong shape,
/// such as a round outline, can rank a wrong scale first before the fit).
fn coarse_start(samples: &[([f32; 2], f32)], e: &Level, zooms: bool) -> Params {
    let starts = coarse_starts(samples, e, zooms);
    let fitted = |starts: &[(f32, Params)]| -> Vec<(f32, Params)> {
        starts
            .iter()
            .map(|&(_, p)| fit_affine(samples, e, p, 12, LOOSE).0)
            .map(|p| (cost(samples, e, &p), p))
            .collect()
    };
    // Half the starts on each core.
    halves(starts.len(), |range| fitted(&starts[range]))
        .into_iter()
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map_or([1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0], |best| best.1)
}

/// Fit the map from the original's thumbnail `o` to the edit's `e`, both on `og` (the edit
/// stretched onto it, so that both are filtered at one scale; the map is in each frame's own
/// [0, 1] coordinates, whatever the thumbnails' sizes). `method` limits what is fitted (`Shift`
/// fits nothing). `working` is the grid the map will be applied on, and `reach` the shift
/// search's range there: in `Auto`, a map that only moves the picture by a whole pixel or two
/// within that range is left to the shift search. `zooms`: the edit came in another size, so
/// its content may be zoomed by more than the fit reaches from a plain stretch.
pub fn fit(
    o: &[u32],
    e: &[u32],
    og: Grid,
    method: Method,
    working: Grid,
    reach: u32,
    zooms: bool,
) -> Fit {
    let stretch = Fit::stretch();
    if method == Method::Shift {
        return stretch;
    }
    let longest = og.w.max(og.h) as usize;
    let levels = (1..6).take_while(|l| longest >> l >= COARSEST).count() + 1;
    let (go, ge) = both(
        || halvings(grey(o), og, levels),
        || halvings(grey(e), og, levels),
    );
    // The decision between the shift search and a map is taken on a level of about this
    // longest side: pictures in the same frame, the common case, stop there.
    let decide_at = go
        .iter()
        .rposition(|g| g.1.w.max(g.1.h) <= DECIDE)
        .unwrap_or(0);
    let mut p: Params = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0];
    let mut found = None;
    for (l, ((o, grid), (e, _))) in go.iter().zip(&ge).enumerate() {
        let (ol, el) = both(|| Level::new(o, *grid), || Level::new(e, *grid));
        let s = samples(
            &ol,
            if l + 1 == levels {
                MAX_SAMPLES_LAST
            } else {
                MAX_SAMPLES
            },
        );
        if s.len() < 64 {
            if l == 0 {
                return stretch;
            }
            break;
        }
        if l == 0 {
            p = coarse_start(&s, &el, zooms);
        }
        let (fitted, scale) = if l + 1 == levels {
            fit_affine(&s, &el, p, 8, FINE)
        } else {
            fit_affine(&s, &el, p, 12, LOOSE)
        };
        p = fitted;
        // A fit far outside what editors do has locked onto something else: the stretch is
        // safer.
        let shape = map_of(&p).describe(working);
        if !(shape.scale.iter().all(|s| (0.7..1.4).contains(s))
            && shape.rotation.abs() < 5.0
            && p[6] > 0.3)
        {
            return Fit {
                residual: 255.0 * scale,
                ..stretch
            };
        }
        // A level's pixel in working pixels, and the least move worth a map there.
        let level_px = working.w as f32 / grid.w as f32;
        let noise = 0.5f32.max(0.15 * level_px);
        let map = map_of(&p);
        let in_reach = shape.offset.iter().all(|m| m.abs() <= reach as f32 + 0.5);
        let misaligned = |map: &Map| {
            local_misalignment(&s, &el, map, p[6] as f32, p[7] as f32, scale, *grid) * level_px
        };
        // In `Auto`, the simplest map that explains the frame: the fit's move of the centre
        // alone, unless a zoom or turn (or, where a cell's evidence makes a local move certain,
        // a drift) lowers the cost clearly. A soft or redrawn edit fits a small zoom or a
        // drift to its changed edges as well as to a real move; only a clear gain tells them
        // apart.
        if method == Method::Auto && l == decide_at && in_reach {
            let moved = translation(&p);
            let simple = cost_of(&s, &el, &map_of(&moved), &moved);
            let explains = |c: f32| c < simple / SIMPLER_MARGIN;
            let linear = bend(&map, working) >= noise && explains(cost_of(&s, &el, &map, &p));
            let drift = !linear && misaligned(&map_of(&moved)) > noise && {
                let (gain, bias) = (p[6] as f32, p[7] as f32);
                let flow = fit_flow(&s, &el, &map_of(&moved), gain, bias, *grid);
                let drifted = Map {
                    flow: Some(flow),
                    ..map_of(&moved)
                };
                explains(cost_of(&s, &el, &drifted, &moved))
            };
            if !linear && !drift {
                return Fit {
                    residual: 255.0 * scale,
                    ..stretch
                };
            }
        }
        found = Some((ol, el, s, scale, noise, level_px));
    }
    let Some((_, el, s, scale, noise, level_px)) = found else {
        return stretch;
    };
    let grid = go.last().expect("one level").1;
    let (gain, bias) = (p[6] as f32, p[7] as f32);
    let mut map = map_of(&p);
    let wants_flow = match method {
        Method::Flow => true,
        Method::Affine => false,
        _ => local_misalignment(&s, &el, &map, gain, bias, scale, grid) * level_px > noise,
    };
    if wants_flow {
        let flow = fit_flow(&s, &el, &map, gain, bias, grid);
        let largest = flow
            .d
            .iter()
            .map(|d| (d[0] * working.w as f32).hypot(d[1] * working.h as f32))
            .fold(0.0, f32::max);
        if method == Method::Flow || largest > noise {
            map.flow = Some(flow);
        }
    }
    let rs = residuals(&s, &el, &map, gain, bias);
    let residual = 255.0 * spread(&rs.iter().map(|r| r.1).collect::<Vec<_>>());
    let method = if map.flow.is_some() {
        Method::Flow
    } else {
        Method::Affine
    };
    Fit {
        map,
        method,
        residual,
    }
}

/// How far the map's linear part moves the picture's corners from a plain translation, in
/// pixels of `working`.
fn bend(map: &Map, working: Grid) -> f32 {
    let (w, h) = (working.w as f32, working.h as f32);
    [[-0.5f32, -0.5], [0.5, -0.5], [-0.5, 0.5], [0.5, 0.5]]
        .iter()
        .map(|c| {
            let dx = ((map.a[0] - 1.0) * c[0] + map.a[1] * c[1]) * w;
            let dy = (map.a[2] * c[0] + (map.a[3] - 1.0) * c[1]) * h;
            dx.hypot(dy)
        })
        .fold(0.0, f32::max)
}

/// The largest local misalignment the affine fit leaves, in thumbnail pixels: one Gauss-Newton
/// step of a translation per cell of the flow's node grid, on cells with structure in both
/// directions.
fn local_misalignment(
    samples: &[([f32; 2], f32)],
    e: &Level,
    map: &Map,
    gain: f32,
    bias: f32,
    scale: f32,
    og: Grid,
) -> f32 {
    let (nx, ny) = nodes(og);
    let (cx, cy) = (nx as usize - 1, ny as usize - 1);
    let mut cells = vec![([0.0f64; 3], [0.0f64; 2]); cx * cy];
    let (ew, eh) = (e.w as f32, e.h as f32);
    for (i, r, [_, ex, ey]) in residuals(samples, e, map, gain, bias) {
        let w = tukey(r, scale) as f64;
        let u = samples[i].0;
        // The gradient with respect to a move of u, in thumbnail pixels of the original.
        let jx = gain * (ex * ew * map.a[0] + ey * eh * map.a[2]) / og.w as f32;
        let jy = gain * (ex * ew * map.a[1] + ey * eh * map.a[3]) / og.h as f32;
        let c = ((u[0] * cx as f32) as usize).min(cx - 1)
            + cx * ((u[1] * cy as f32) as usize).min(cy - 1);
        let (h, g) = &mut cells[c];
        let (jx, jy) = (jx as f64, jy as f64);
        h[0] += w * jx * jx;
        h[1] += w * jx * jy;
        h[2] += w * jy * jy;
        g[0] += w * jx * r as f64;
        g[1] += w * jy * r as f64;
    }
    // A cell must be as well textured as a tenth of the typical cell in its weaker direction.
    let weakest = |h: &[f64; 3]| {
        let (t, d) = (h[0] + h[2], h[0] * h[2] - h[1] * h[1]);
        t / 2.0 - (t * t / 4.0 - d).max(0.0).sqrt()
    };
    let mut strength: Vec<f32> = cells.iter().map(|(h, _)| weakest(h) as f32).collect();
    let typical = median(&mut strength) as f64;
    // Only moves the cell's own evidence makes certain count: more than three standard errors
    // (the residuals' spread through the cell's normal equations).
    let variance = (scale as f64).powi(2);
    cells
        .iter()
        .filter(|(h, _)| weakest(h) > 0.1 * typical && typical > 0.0)
        .filter_map(|(h, g)| {
            let d = solve(&[h[0], h[1], h[1], h[2]], &[-g[0], -g[1]], 2)?;
            let certainty =
                (h[0] * d[0] * d[0] + 2.0 * h[1] * d[0] * d[1] + h[2] * d[1] * d[1]) / variance;
            (certainty > 9.0).then(|| d[0].hypot(d[1]) as f32)
        })
        .fold(0.0, f32::max)
}

/// The flow's node grid for a thumbnail: a node every `NODE_SPACING` pixels, at least 3 a side.
fn nodes(og: Grid) -> (u32, u32) {
    let n = |side: u32| ((side as f32 / NODE_SPACING).round() as u32 + 1).clamp(3, 12);
    (n(og.w), n(og.h))
}

/// The displacement field on top of the affine map: Gauss-Newton over the nodes' displacements,
/// kept smooth (neighbouring nodes pulled together) and small (each pulled a little toward none).
fn fit_flow(
    samples: &[([f32; 2], f32)],
    e: &Level,
    affine: &Map,
    gain: f32,
    bias: f32,
    og: Grid,
) -> Flow {
    let (nx, ny) = nodes(og);
    let n = (nx * ny) as usize;
    let mut flow = Flow {
        nx,
        ny,
        d: vec![[0.0; 2]; n],
    };
    let (ew, eh) = (e.w as f32, e.h as f32);
    // Unknowns in thumbnail pixels of the original, so both axes weigh alike.
    let (pw, ph) = (og.w as f32, og.h as f32);
    for _ in 0..5 {
        let map = Map {
            flow: Some(flow.clone()),
            ..affine.clone()
        };
        let rs = residuals(samples, e, &map, gain, bias);
        if rs.len() < 24 {
            break;
        }
        let scale = spread(&rs.iter().map(|r| r.1).collect::<Vec<_>>());
        let m = 2 * n;
        let (mut h, mut g) = (vec![0.0f64; m * m], vec![0.0f64; m]);
        // Each sample touches the four nodes of its cell only: the normal equations are summed
        // per cell (the upper triangle of an 8x8 block) and each cell's block added once.
        let cells = (nx as usize - 1) * (ny as usize - 1);
        let mut blocks = vec![([0.0f64; 36], [0.0f64; 8]); cells];
        for &(i, r, [_, ex, ey]) in &rs {
            let w = tukey(r, scale) as f64;
            if w == 0.0 {
                continue;
            }
            let u = samples[i].0;
            let jx = (gain * (ex * ew * affine.a[0] + ey * eh * affine.a[2]) / pw) as f64;
            let jy = (gain * (ex * ew * affine.a[1] + ey * eh * affine.a[3]) / ph) as f64;
            let ([ci, cj], [tx, ty]) = flow.cell(u);
            let k = [
                (1.0 - tx) * (1.0 - ty),
                tx * (1.0 - ty),
                (1.0 - tx) * ty,
                tx * ty,
            ];
            let j: [f64; 8] = std::array::from_fn(|q| k[q / 2] as f64 * [jx, jy][q % 2]);
            let (hb, gb) = &mut blocks[cj * (nx as usize - 1) + ci];
            let mut at = 0;
            for a in 0..8 {
                let wa = w * j[a];
                gb[a] += wa * r as f64;
                for &jb in &j[a..] {
                    hb[at] += wa * jb;
                    at += 1;
                }
            }
        }
        for (c, (hb, gb)) in blocks.iter().enumerate() {
            let (ci, cj) = (c % (nx as usize - 1), c / (nx as usize - 1));
            let corner = cj * nx as usize + ci;
            // The unknowns of the cell's nodes (top left, top right, bottom left, bottom right),
            // two per node.
            let node = [
                corner,
                corner + 1,
                corner + nx as usize,
                corner + nx as usize + 1,
            ];
            let unknown = |q: usize| 2 * node[q / 2] + q % 2;
            let mut at = 0;
            for a in 0..8 {
                g[unknown(a)] += gb[a];
                for b in a..8 {
                    let (ia, ib) = (unknown(a), unknown(b));
                    h[ia * m + ib] += hb[at];
                    if ia != ib {
                        h[ib * m + ia] += hb[at];
                    }
                    at += 1;
                }
            }
        }
        let mean_diag = (0..m).map(|i| h[i * m + i]).sum::<f64>() / m as f64;
        if mean_diag <= 0.0 {
            break;
        }
        let (smooth, small) = (0.1 * mean_diag, 0.01 * mean_diag);
        // The current displacements in thumbnail pixels: the priors act on the whole field.
        let d: Vec<f64> = flow
            .d
            .iter()
            .flat_map(|d| [(d[0] * pw) as f64, (d[1] * ph) as f64])
            .collect();
        let (nx, ny) = (nx as usize, ny as usize);
        for j in 0..ny {
            for i in 0..nx {
                let a = j * nx + i;
                for c in 0..2 {
                    let ia = 2 * a + c;
                    h[ia * m + ia] += small;
                    g[ia] += small * d[ia];
                }
                for b in [(i + 1 < nx).then(|| a + 1), (j + 1 < ny).then(|| a + nx)]
                    .into_iter()
                    .flatten()
                {
                    for c in 0..2 {
                        let (ia, ib) = (2 * a + c, 2 * b + c);
                        h[ia * m + ia] += smooth;
                        h[ib * m + ib] += smooth;
                        h[ia * m + ib] -= smooth;
                        h[ib * m + ia] -= smooth;
                        g[ia] += smooth * (d[ia] - d[ib]);
                        g[ib] += smooth * (d[ib] - d[ia]);
                    }
                }
            }
        }
        // A node's unknowns meet only those of the nodes beside and below it.
        let band = 2 * nx + 3;
        let Some(step) = solve_banded(&h, &g.iter().map(|v| -v).collect::<Vec<_>>(), m, band)
        else {
            break;
        };
        for (k, d) in flow.d.iter_mut().enumerate() {
            d[0] += (step[2 * k] as f32).clamp(-2.0, 2.0) / pw;
            d[1] += (step[2 * k + 1] as f32).clamp(-2.0, 2.0) / ph;
        }
        if step.iter().all(|s| s.abs() < 0.01) {
            break;
        }
    }
    flow
}

#[cfg(test)]
mod tests {
    use super::*;
    /// A photo (the cat of `tests/photos`) as the world the pictures are windows of.
    fn world() -> (Vec<u32>, Grid) {
        let img = image::load_from_memory(include_bytes!("../../tests/photos/chelsea.png"))
            .expect("the test photo")
            .to_rgba8();
        let grid = Grid::of(&img);
        (crate::pixels::to_words(&img), grid)
    }

    /// `src` (on `from`) seen through `map`: each output pixel samples its mapped centre.
    fn through(src: &[u32], from: Grid, to: Grid, map: &Map) -> Vec<u32> {
        crate::diff::warp::cpu(
            src,
            from,
            &src_like(to),
            to,
            map,
            &crate::diff::drift::Drift::NONE,
        )
    }

    /// The world's middle 80 % on `grid`.
    fn middle(grid: Grid) -> Vec<u32> {
        let (pixels, world) = world();
        let window = Map {
            a: [0.8, 0.0, 0.0, 0.8],
            b: [0.1, 0.1],
            flow: None,
        };
        through(&pixels, world, grid, &window)
    }

    fn src_like(grid: Grid) -> Vec<u32> {
        vec![0xFF00_0000; grid.len()]
    }

    /// Edit thumbnails made by mapping an original through a known map's inverse are fitted back
    /// to that map: the edit frame that shows the original through `truth`.
    fn recovered(truth: Map, method: Method) -> Fit {
        // The "world": a larger picture; the original is its centre, the edit another window.
        let og = Grid { w: 200, h: 150 };
        let eg = Grid { w: 240, h: 160 };
        let (pixels, world) = world();
        let o = middle(og);
        // The edit: pixel v of the edit shows the original's point truth⁻¹(v); build it by
        // sampling the world where the original's u = truth⁻¹(v) lies (affine inverse).
        let a = truth.a;
        let det = a[0] * a[3] - a[1] * a[2];
        let inv = [a[3] / det, -a[1] / det, -a[2] / det, a[0] / det];
        let ib = [
            -(inv[0] * truth.b[0] + inv[1] * truth.b[1]),
            -(inv[2] * truth.b[0] + inv[3] * truth.b[1]),
        ];
        let edit_to_world = Map {
            a: inv.map(|v| 0.8 * v),
            b: [0.8 * ib[0] + 0.1, 0.8 * ib[1] + 0.1],
            flow: None,
        };
        let e = through(&pixels, world, eg, &edit_to_world);
        let e = crate::diff::resample::cpu(&e, eg, og);
        fit(&o, &e, og, method, Grid { w: 800, h: 600 }, 2, true)
    }

    #[test]
    fn a_zoom_a_turn_and_a_one_sided_crop_are_fitted_to_a_tenth_of_a_pixel() {
        let turn: f32 = 0.8f32.to_radians();
        let (c, s) = (turn.cos(), turn.sin());
        // In normalised units a turn mixes the axes by the aspect (200x150 original).
        let truth = Map {
            a: [
                1.08 * c,
                -0.93 * s * 150.0 / 200.0,
                1.08 * s * 200.0 / 150.0,
                0.93 * c,
            ],
            b: [-0.07, 0.05],
            flow: None,
        };
        let fit = recovered(truth.clone(), Method::Auto);
        assert_eq!(fit.method, Method::Affine, "{fit:?}");
        for u in [[0.1, 0.1], [0.9, 0.1], [0.5, 0.5], [0.1, 0.9], [0.9, 0.9]] {
            let (got, want) = (fit.map.at(u), truth.at(u));
            let err = ((got[0] - want[0]) * 240.0).hypot((got[1] - want[1]) * 160.0);
            assert!(err < 0.1, "at {u:?}: {err} edit pixels off ({fit:?})");
        }
        let shape = fit.map.describe(Grid { w: 200, h: 150 });
        assert!((shape.rotation - 0.8).abs() < 0.05, "{shape:?}");
    }

    #[test]
    fn a_smooth_drift_of_two_pixels_is_fitted_as_a_flow_to_a_fifth_of_a_pixel() {
        // Here the edit is the world's window and the original the edit seen through the map
        // (so no inverse is needed): a slight zoom and a smooth drift on the fit's own nodes.
        let (og, eg) = (Grid { w: 200, h: 150 }, Grid { w: 220, h: 160 });
        let e = middle(eg);
        let (nx, ny) = nodes(og);
        let d = (0..ny)
            .flat_map(|j| (0..nx).map(move |i| (i, j)))
            .map(|(i, j)| {
                let (x, y) = (i as f32 / (nx - 1) as f32, j as f32 / (ny - 1) as f32);
                // Up to two pixels of the original's thumbnail.
                let (dx, dy) = (
                    2.0 * (std::f32::consts::PI * x).sin() * (1.0 - y),
                    -1.5 * (std::f32::consts::PI * y).sin() * x,
                );
                [dx / og.w as f32, dy / og.h as f32]
            })
            .collect();
        let truth = Map {
            a: [1.03, 0.0, 0.0, 0.98],
            b: [-0.01, 0.012],
            flow: Some(Flow { nx, ny, d }),
        };
        let o = through(&e, eg, og, &truth);
        let e = crate::diff::resample::cpu(&e, eg, og);
        let fit = fit(&o, &e, og, Method::Auto, og, 2, true);
        assert_eq!(fit.method, Method::Flow, "{fit:?}");
        let mut worst = 0.0f32;
        for y in 2..9 {
            for x in 2..9 {
                let u = [x as f32 / 10.0, y as f32 / 10.0];
                let (got, want) = (fit.map.at(u), truth.at(u));
                worst = worst.max(((got[0] - want[0]) * 220.0).hypot((got[1] - want[1]) * 160.0));
            }
        }
        assert!(worst < 0.2, "{worst} edit pixels off ({fit:?})");
    }

    #[test]
    fn the_same_frame_is_left_to_the_shift_search() {
        let fit = recovered(Map::STRETCH, Method::Auto);
        assert_eq!(fit.method, Method::Shift, "{fit:?}");
        assert_eq!(fit.map, Map::STRETCH);
    }

    #[test]
    fn a_flow_filled_along_a_row_is_the_flow_at_each_pixel() {
        let mut rng = crate::rng::Rng::new(17);
        let mut unit = || (rng.next_u64() % 10_000) as f32 / 10_000.0 - 0.5;
        for (nx, ny, w) in [(2, 2, 7), (9, 7, 1155), (5, 4, 64)] {
            let flow = Flow {
                nx,
                ny,
                d: (0..nx * ny)
                    .map(|_| [unit() * 0.01, unit() * 0.01])
                    .collect(),
            };
            let grid = Grid { w, h: 31 };
            let xs: Vec<f32> = (0..w).map(|x| centre(x, 0, grid)[0]).collect();
            let columns = flow.columns(&xs);
            let (mut dx, mut dy) = (vec![0.0; w as usize], vec![0.0; w as usize]);
            for y in 0..grid.h {
                let uy = centre(0, y, grid)[1];
                flow.row(uy).fill(&columns, &mut dx, &mut dy);
                for x in 0..w as usize {
                    // The same blend, down then across rather than across then down: equal to
                    // float rounding.
                    let at = flow.at([xs[x], uy]);
                    let off = (dx[x] - at[0]).abs().max((dy[x] - at[1]).abs());
                    assert!(off < 1e-8, "pixel {x}, {y}: {off}");
                }
            }
        }
    }

    #[test]
    fn the_seen_mask_by_rows_is_the_per_pixel_test() {
        let mut rng = crate::rng::Rng::new(11);
        let mut r = |lo: f32, hi: f32| lo + (hi - lo) * (rng.next_u64() % 10_000) as f32 / 1e4;
        let mut partly = 0;
        for case in 0..40 {
            let grid = Grid {
                w: 37 + case * 13 % 200,
                h: 23 + case * 29 % 170,
            };
            // Scale 0.85-1.15 per axis, up to a degree's turn (none in every fourth case, where
            // a row's y image does not move along it), crops and extensions up to 10 %.
            let turn = if case % 4 == 0 {
                0.0
            } else {
                r(-1.0, 1.0).to_radians()
            };
            let (sx, sy) = (r(0.85, 1.15), r(0.85, 1.15));
            let (c, s) = (turn.cos(), turn.sin());
            let flow = (case % 2 == 1).then(|| Flow {
                nx: 4,
                ny: 3,
                d: (0..12)
                    .map(|_| [r(-4.0, 4.0) / grid.w as f32, r(-4.0, 4.0) / grid.h as f32])
                    .collect(),
            });
            let map = Map {
                a: [sx * c, -sy * s, sx * s, sy * c],
                b: [r(-0.1, 0.1), r(-0.1, 0.1)],
                flow,
            };
            let rows = map.visible(grid);
            for y in 0..grid.h {
                for x in 0..grid.w {
                    // Seen: the map lands in the edit's frame.
                    let v = map.at(centre(x, y, grid));
                    let seen = (0.0..=1.0).contains(&v[0]) && (0.0..=1.0).contains(&v[1]);
                    let want = if seen { 255 } else { 0 };
                    let got = rows[(y * grid.w + x) as usize];
                    assert_eq!(got, want, "case {case}: ({x}, {y}) of {grid:?}, {map:?}");
                }
            }
            partly += usize::from(rows.contains(&0) && rows.contains(&255));
        }
        // Most cases crop some of the frame away.
        assert!(partly > 20, "{partly} of 40 partly seen");
    }

    #[test]
    fn a_level_is_the_box_mean_residual_and_its_central_differences_bit_for_bit() {
        let mut rng = crate::rng::Rng::new(5);
        for (w, h) in [(1, 1), (2, 3), (4, 2), (5, 5), (6, 1), (37, 23)] {
            let g: Vec<f32> = (0..w * h)
                .map(|_| (rng.next_u64() % 1000) as f32 / 999.0)
                .collect();
            let level = Level::new(
                &g,
                Grid {
                    w: w as u32,
                    h: h as u32,
                },
            );
            // The definitions, pixel by pixel: the mean over the box clamped to the frame
            // (along rows, then down columns), and central differences, one-sided at the sides.
            let r = MEAN_RADIUS;
            let clamp = |v: usize, n: usize| (v.saturating_sub(r), (v + r).min(n - 1));
            let rows: Vec<f32> = (0..w * h)
                .map(|i| {
                    let (lo, hi) = clamp(i % w, w);
                    let line = &g[i / w * w..][..w];
                    line[lo..=hi].iter().sum::<f32>() / (hi - lo + 1) as f32
                })
                .collect();
            let s: Vec<f32> = (0..w * h)
                .map(|i| {
                    let (lo, hi) = clamp(i / w, h);
                    let mean = (lo..=hi).fold(0.0, |acc, y| acc + rows[y * w + i % w]);
                    g[i] - mean / (hi - lo + 1) as f32
                })
                .collect();
            for i in 0..w * h {
                let (x, y) = (i % w, i / w);
                let (l, rr) = (x.saturating_sub(1), (x + 1).min(w - 1));
                let (u, d) = (y.saturating_sub(1), (y + 1).min(h - 1));
                let gx = (s[y * w + rr] - s[y * w + l]) * (1.0 / (rr - l).max(1) as f32);
                let gy = (s[d * w + x] - s[u * w + x]) * (1.0 / (d - u).max(1) as f32);
                assert_eq!(
                    [level.s[i], level.gx[i], level.gy[i]].map(f32::to_bits),
                    [s[i], gx, gy].map(f32::to_bits),
                    "{w}x{h} at ({x}, {y})"
                );
            }
        }
    }

    #[test]
    fn the_banded_solve_gives_the_dense_solution_of_a_banded_system() {
        let (n, band) = (40, 5);
        let mut rng = crate::rng::Rng::new(7);
        let mut a = vec![0.0f64; n * n];
        for i in 0..n {
            for j in i..(i + band + 1).min(n) {
                let v = (rng.next_u64() % 1000) as f64 / 1000.0 - 0.5;
                a[i * n + j] = v;
                a[j * n + i] = v;
            }
            // Diagonally dominant, so positive definite.
            a[i * n + i] = 2.0 * band as f64 + 1.0;
        }
        let b: Vec<f64> = (0..n).map(|i| (i as f64).sin()).collect();
        let dense = solve(&a, &b, n).expect("positive definite");
        let banded = solve_banded(&a, &b, n, band).expect("positive definite");
        for (x, y) in dense.iter().zip(&banded) {
            assert!((x - y).abs() < 1e-12, "{x} vs {y}");
        }
    }

    #[test]
    fn methods_parse_and_a_bad_one_is_refused_by_name() {
        assert_eq!("flow".parse::<Method>().unwrap(), Method::Flow);
        let e = "zoom".parse::<Method>().unwrap_err().to_string();
        assert!(
            e.contains("\"zoom\"") && e.contains("auto, shift, affine or flow"),
            "{e}"
        );
    }
}
