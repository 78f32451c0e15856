//! Stage 2b: what editors do to pixels they were not asked to touch (a global gain and offset per
//! channel, a smooth lighting change), estimated robustly from the bulk of unchanged pixels on
//! small thumbnails, then applied to the original at full size. GPU: `shaders/drift.wgsl`.

use crate::gpu::{Gpu, Kernel};
use crate::pixels::{both, for_rows, unorm8, unpack, Grid};

const KERNEL: Kernel = Kernel {
    source: include_str!("../../shaders/drift.wgsl"),
    entry: "main",
};

/// Per channel: gain field coefficients over (1, x, y, x², xy, y²) on [-1, 1]², then the offset.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Drift {
    pub coef: [[f32; 7]; 3],
}

const TERMS: usize = 7;

fn basis(x: f32, y: f32, v: f32) -> [f32; TERMS] {
    [v, v * x, v * y, v * x * x, v * x * y, v * y * y, 1.0]
}

impl Drift {
    pub const NONE: Drift = Drift {
        coef: [[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]; 3],
    };

    fn predict(&self, c: usize, x: f32, y: f32, v: f32) -> f32 {
        basis(x, y, v)
            .iter()
            .zip(&self.coef[c])
            .map(|(b, k)| b * k)
            .sum()
    }

    /// The gain field's value at (x, y).
    fn gain_at(&self, c: usize, x: f32, y: f32) -> f32 {
        self.predict(c, x, y, 1.0) - self.offset()[c]
    }

    /// Mean gain per channel over the image.
    pub fn gain(&self) -> [f32; 3] {
        std::array::from_fn(|c| self.coef[c][0] + (self.coef[c][3] + self.coef[c][5]) / 3.0)
    }

    pub fn offset(&self) -> [f32; 3] {
        std::array::from_fn(|c| self.coef[c][6])
    }

    /// How far the lighting strays from the mean gain anywhere in the image (0 = uniform).
    pub fn lighting(&self) -> f32 {
        let gain = self.gain();
        let mut worst = 0.0f32;
        for (c, mean) in gain.iter().enumerate() {
            for y in [-1.0, 0.0, 1.0] {
                for x in [-1.0, 0.0, 1.0] {
                    worst = worst.max((self.gain_at(c, x, y) - mean).abs());
                }
            }
        }
        worst
    }

    /// The coefficients as the shaders' `coef: array<vec4<f32>, 6>` reads them: per channel the
    /// seven coefficients and a pad.
    pub(crate) fn words(&self) -> [u32; 24] {
        std::array::from_fn(|k| match k % 8 {
            7 => 0,
            t => self.coef[k / 8][t].to_bits(),
        })
    }

    fn params(&self, grid: Grid) -> Vec<u32> {
        let mut words = vec![grid.w, grid.h, 0, 0];
        words.extend(self.words());
        words
    }

    /// The model along row `y` of `grid`, for the stages that read the drift-corrected original
    /// at a few pixels only (`drifted` in `shaders/prelude.wgsl`): see [`RowDrift::at`].
    pub(crate) fn along(&self, y: usize, grid: Grid) -> RowDrift {
        self.on_row(coords(0, y, grid).1)
    }

    /// The model applied in place to the pixels of row `y` of `grid` from column `x0` on:
    /// [`RowDrift::at`] each pixel.
    pub(crate) fn apply_row(&self, row: &mut [u32], x0: usize, y: usize, grid: Grid) {
        let along = self.along(y, grid);
        for (x, p) in (x0..).zip(row.iter_mut()) {
            *p = along.at(*p, x, grid);
        }
    }

    /// The model along one row (at height `fy` on [-1, 1]), where it is a polynomial in x.
    fn on_row(&self, fy: f32) -> RowDrift {
        RowDrift {
            coef: self.coef.map(|k| {
                [
                    k[0] + k[2] * fy + k[5] * fy * fy,
                    k[1] + k[4] * fy,
                    k[3],
                    k[6],
                ]
            }),
        }
    }
}

/// [`Drift`] along one row: per channel, gain = c0 + c1 x + c2 x², then the offset c3.
pub(crate) struct RowDrift {
    coef: [[f32; 4]; 3],
}

impl RowDrift {
    /// The model applied to one packed pixel in column `x` of `grid`: what stage 2b writes
    /// there.
    #[inline(always)]
    pub(crate) fn at(&self, pixel: u32, x: usize, grid: Grid) -> u32 {
        let fx = coords(x, 0, grid).0;
        let channel = |c: usize| self.channel(c, pixel >> (8 * c) & 255, fx);
        channel(0) | channel(1) << 8 | channel(2) << 16 | (pixel & 0xff00_0000)
    }

    /// Channel `c`'s byte `v` at `fx`.
    #[inline(always)]
    fn channel(&self, c: usize, v: u32, fx: f32) -> u32 {
        let [c0, c1, c2, offset] = self.coef[c];
        // `pack4x8unorm`, as `pixels::pack`.
        unorm8((c0 + (c1 + c2 * fx) * fx) * (v as f32 / 255.0) + offset)
    }
}

/// Pixel (x, y)'s centre on [-1, 1]².
fn coords(x: usize, y: usize, grid: Grid) -> (f32, f32) {
    // Through u32, which converts to f32 in one vector instruction (sizes fit 24 bits).
    (
        (x as u32 as f32 + 0.5) / grid.w as f32 * 2.0 - 1.0,
        (y as u32 as f32 + 0.5) / grid.h as f32 * 2.0 - 1.0,
    )
}

/// Mean gains outside this range are not an editor's tone drift: a half-opacity paint over most
/// of the picture fits `edit = 0.5 * original + 0.5 * paint` exactly, and must stay a change.
const PLAUSIBLE_GAIN: std::ops::RangeInclusive<f32> = 0.6..=1.0 / 0.6;

/// Fit `edit = a(x, y) * original + b` per channel by least squares, trimming the pixels whose
/// residual is far from the bulk (the paint, and anything else the editor changed) and refitting.
/// Edit pixels that are not opaque say nothing (the registration marks the pixels the edit's
/// frame does not show with a clear alpha). A fit with an implausible gain is dropped for no drift
/// at all.
pub fn estimate(original: &[u32], edited: &[u32], grid: Grid) -> Drift {
    let n = grid.len();
    // The samples as columns (position; each channel of both pictures), so that the loops over
    // them vectorise.
    let (xs, ys): (Vec<f32>, Vec<f32>) = (0..n)
        .map(|i| coords(i % grid.w as usize, i / grid.w as usize, grid))
        .unzip();
    let channels = |img: &[u32]| -> [Vec<f32>; 3] {
        std::array::from_fn(|c| img.iter().map(|&p| unpack(p)[c]).collect())
    };
    let (o, e) = (channels(original), channels(edited));
    let mut drift = Drift::NONE;
    // Per channel the normal equations of the last fit's inliers. Between rounds only a few
    // samples change sides, so each round adds or takes away just those.
    let mut normal = [Normal::default(); 3];
    // Per channel the residuals and a scratch copy of them.
    let mut work: [(Vec<f32>, Vec<f32>); 3] = Default::default();
    let opaque: Vec<bool> = edited.iter().map(|&p| p >> 24 == 255).collect();
    let mut inliers = opaque.clone();
    let mut previous = vec![false; n];
    for round in 0..6 {
        std::mem::swap(&mut inliers, &mut previous);
        inliers.copy_from_slice(&opaque);
        // A channel's residuals of the current model (`Drift::predict`, term by term in its
        // order) and the band its inliers lie in: three robust spreads about the median.
        let band = |c: usize, (residual, scratch): &mut (Vec<f32>, Vec<f32>)| -> (f32, f32) {
            let k = drift.coef[c];
            let samples = xs.iter().zip(&ys).zip(&o[c]).zip(&e[c]);
            residual.clear();
            residual.extend(samples.map(|(((&x, &y), &v), &t)| {
                let (vx, vy) = (v * x, v * y);
                let p = v * k[0]
                    + vx * k[1]
                    + vy * k[2]
                    + vx * x * k[3]
                    + vx * y * k[4]
                    + vy * y * k[5]
                    + 1.0 * k[6];
                t - p
            }));
            scratch.clear();
            scratch.extend(residual.iter().zip(&opaque).filter(|p| *p.1).map(|p| *p.0));
            let centre = median(scratch);
            for d in scratch.iter_mut() {
                *d = (*d - centre).abs();
            }
            (centre, 3.0 * (1.4826 * median(scratch)).max(2.0 / 255.0))
        };
        // The channels are independent until their inliers meet: two on one core, one on the
        // other.
        let [w0, w1, w2] = &mut work;
        let ((b0, b1), b2) = both(|| (band(0, w0), band(1, w1)), || band(2, w2));
        // Inliers lie within the band in every channel.
        for ((residual, _), (centre, bound)) in work.iter().zip([b0, b1, b2]) {
            for (k, &r) in inliers.iter_mut().zip(residual) {
                *k &= (r - centre).abs() <= bound;
            }
        }
        // The same inliers give the same fit again: every later round would repeat this one.
        if round > 0 && inliers == previous {
            break;
        }
        if inliers.iter().filter(|&&k| k).count() < 4 * TERMS {
            break;
        }
        for i in 0..n {
            // Every round that gets here fits, so the equations hold the last round's inliers
            // (none before the first fit).
            let counted = round > 0 && previous[i];
            if inliers[i] != counted {
                let sign = if inliers[i] { 1.0 } else { -1.0 };
                for (c, eq) in normal.iter_mut().enumerate() {
                    eq.add(basis(xs[i], ys[i], o[c][i]), e[c][i], sign);
                }
            }
        }
        for (c, eq) in normal.iter().enumerate() {
            if let Some(coef) = eq.solve() {
                drift.coef[c] = coef;
            }
        }
    }
    if drift.gain().iter().all(|g| PLAUSIBLE_GAIN.contains(g)) {
        drift
    } else {
        Drift::NONE
    }
}

fn median(v: &mut [f32]) -> f32 {
    if v.is_empty() {
        return 0.0;
    }
    let mid = v.len() / 2;
    *v.select_nth_unstable_by(mid, |a, b| a.total_cmp(b)).1
}

/// The normal equations of a least-squares fit over `basis` terms: the upper half of the
/// symmetric matrix and, in the last column, the right-hand side.
#[derive(Clone, Copy, Default)]
struct Normal {
    a: [[f64; TERMS + 1]; TERMS],
}

impl Normal {
    /// Count one sample (`sign` 1) or take it back out (`sign` -1).
    fn add(&mut self, phi: [f32; TERMS], target: f32, sign: f64) {
        let phi = phi.map(f64::from);
        for (i, row) in self.a.iter_mut().enumerate() {
            let p = sign * phi[i];
            for (v, q) in row[i..TERMS].iter_mut().zip(&phi[i..]) {
                *v += p * q;
            }
            row[TERMS] += p * target as f64;
        }
    }

    /// Solve by Gaussian elimination; `None` when singular (a flat thumbnail says nothing about
    /// gain versus offset).
    fn solve(&self) -> Option<[f32; TERMS]> {
        let mut a = self.a;
        for (i, row) in a.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate().take(i) {
                *v = self.a[j][i];
            }
        }
        // A small ridge toward "no lighting change" keeps uninformative terms at zero.
        for (i, row) in a.iter_mut().enumerate().take(TERMS - 1).skip(1) {
            row[i] += 1e-3;
        }
        for col in 0..TERMS {
            let pivot =
                (col..TERMS).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
            if a[pivot][col].abs() < 1e-9 {
                return None;
            }
            a.swap(col, pivot);
            for row in 0..TERMS {
                if row != col {
                    let f = a[row][col] / a[col][col];
                    let pivot_row = a[col];
                    for (x, p) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                        *x -= f * p;
                    }
                }
            }
        }
        Some(std::array::from_fn(|i| (a[i][TERMS] / a[i][i]) as f32))
    }
}

pub fn cpu(src: &[u32], grid: Grid, drift: &Drift) -> Vec<u32> {
    let mut out = src.to_vec();
    apply(&mut out, grid, drift);
    out
}

/// `cpu` in place.
pub fn apply(img: &mut [u32], grid: Grid, drift: &Drift) {
    for_rows(img, grid.w as usize, |y, row| {
        drift.apply_row(row, 0, y, grid)
    });
}

pub fn gpu(g: &Gpu, src: &wgpu::Buffer, grid: Grid, drift: &Drift) -> wgpu::Buffer {
    let dst = g.zeroed(grid.len());
    g.run_items(KERNEL, &drift.params(grid), &[src, &dst], grid.len());
    dst
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pixels::pack;

    #[test]
    fn a_gain_offset_and_lighting_change_are_recovered_despite_a_painted_patch() {
        let grid = Grid { w: 64, h: 48 };
        let mut rng = 7u32;
        let mut noise = || {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            (rng % 1000) as f32 / 1000.0
        };
        let truth = Drift {
            coef: [
                [1.15, 0.05, -0.04, 0.03, 0.0, 0.02, 0.02],
                [0.9, 0.0, 0.05, 0.0, 0.0, 0.0, 0.05],
                [1.0, -0.06, 0.0, 0.0, 0.02, 0.0, -0.03],
            ],
        };
        let original: Vec<u32> = (0..grid.len())
            .map(|_| {
                pack([
                    0.15 + 0.6 * noise(),
                    0.1 + 0.7 * noise(),
                    0.2 + 0.6 * noise(),
                    1.0,
                ])
            })
            .collect();
        let mut edited = cpu(&original, grid, &truth);
        for (i, p) in edited.iter_mut().enumerate() {
            let (x, y) = (i % 64, i / 64);
            if (10..30).contains(&x) && (8..28).contains(&y) {
                *p = pack([0.55, 0.1, 0.8, 1.0]);
            }
        }
        let found = estimate(&original, &edited, grid);
        for c in 0..3 {
            assert!(
                (found.gain()[c] - truth.gain()[c]).abs() < 0.02,
                "{found:?}"
            );
            assert!(
                (found.offset()[c] - truth.offset()[c]).abs() < 0.02,
                "{found:?}"
            );
        }
        assert!(
            (found.lighting() - truth.lighting()).abs() < 0.03,
            "{} vs {}",
            found.lighting(),
            truth.lighting()
        );
    }

    #[test]
    fn a_half_opacity_paint_over_most_of_the_picture_is_not_taken_for_drift() {
        let grid = Grid { w: 40, h: 30 };
        let original: Vec<u32> = (0..grid.len())
            .map(|i| pack([(i % 40) as f32 / 40.0, (i / 40) as f32 / 30.0, 0.5, 1.0]))
            .collect();
        let edited: Vec<u32> = original
            .iter()
            .enumerate()
            .map(|(i, &p)| {
                let v = unpack(p);
                if i % 40 < 30 {
                    pack([0.5 * v[0] + 0.27, 0.5 * v[1] + 0.08, 0.5 * v[2] + 0.39, 1.0])
                } else {
                    p
                }
            })
            .collect();
        assert_eq!(estimate(&original, &edited, grid), Drift::NONE);
    }
}
