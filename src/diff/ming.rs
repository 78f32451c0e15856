//! The article's own diff (Ming-lite-omni's `get_mask`), as a preset on the CPU path so its
//! numbers can be reproduced with its method beside EditSeg's: a 3x3 Gaussian blur (sigma 1) on
//! both pictures; the paint un-mixed from a half-opacity overlay, `(edit - 0.5 original) * 2`;
//! that blurred again; the mean over the channels of its distance from the original above 0.15;
//! an 11x11 median over the mask. No colour, drift or shift: the article's recipe has none.

use crate::pixels::{unpack, Grid};

/// The channel mean's cut, 0.15, on the 0-255 score.
pub const THRESHOLD: u8 = 38;
const MEDIAN: usize = 11;

/// The per-pixel score (0-255) and the mask (255 inside).
pub struct Diffed {
    pub score: Vec<u32>,
    grid: Grid,
}

impl Diffed {
    /// The score above the cut, then the 11x11 median (the majority of its window).
    pub fn mask(&self) -> Vec<u8> {
        let (w, h) = (self.grid.w as usize, self.grid.h as usize);
        // A summed-area table of the pixels above the cut; the window is clamped at the border,
        // where the median counts the pixels it has.
        let mut sum = vec![0u32; (w + 1) * (h + 1)];
        for y in 0..h {
            for x in 0..w {
                let above = u32::from(self.score[y * w + x] > THRESHOLD as u32);
                sum[(y + 1) * (w + 1) + x + 1] =
                    above + sum[y * (w + 1) + x + 1] + sum[(y + 1) * (w + 1) + x]
                        - sum[y * (w + 1) + x];
            }
        }
        let r = MEDIAN / 2;
        (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(w));
                let (y0, y1) = (y.saturating_sub(r), (y + r + 1).min(h));
                let ones = sum[y1 * (w + 1) + x1] + sum[y0 * (w + 1) + x0]
                    - sum[y0 * (w + 1) + x1]
                    - sum[y1 * (w + 1) + x0];
                let count = ((x1 - x0) * (y1 - y0)) as u32;
                if 2 * ones > count {
                    255
                } else {
                    0
                }
            })
            .collect()
    }

    /// The share of the picture above the cut.
    pub fn changed_share(&self) -> f64 {
        let above = self.score.iter().filter(|&&s| s > THRESHOLD as u32).count();
        above as f64 / self.score.len().max(1) as f64
    }
}

/// Three channels a pixel as floats in [0, 1].
fn channels(img: &[u32]) -> Vec<[f32; 3]> {
    img.iter()
        .map(|&p| {
            let [r, g, b, _] = unpack(p);
            [r, g, b]
        })
        .collect()
}

/// OpenCV's `GaussianBlur` with a 3x3 kernel and sigma 1, borders reflected (101).
fn blur(img: &[[f32; 3]], grid: Grid) -> Vec<[f32; 3]> {
    let k = {
        let e = (-0.5f32).exp();
        [
            e / (1.0 + 2.0 * e),
            1.0 / (1.0 + 2.0 * e),
            e / (1.0 + 2.0 * e),
        ]
    };
    let (w, h) = (grid.w as i64, grid.h as i64);
    let reflect = |v: i64, n: i64| {
        if n == 1 {
            0
        } else if v < 0 {
            -v
        } else if v >= n {
            2 * n - 2 - v
        } else {
            v
        }
    };
    let pass = |src: &[[f32; 3]], across: bool| -> Vec<[f32; 3]> {
        (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                let mut acc = [0.0f32; 3];
                for (d, kd) in (-1..=1).zip(k) {
                    let j = if across {
                        y * w + reflect(x + d, w)
                    } else {
                        reflect(y + d, h) * w + x
                    };
                    for c in 0..3 {
                        acc[c] += kd * src[j as usize][c];
                    }
                }
                acc
            })
            .collect()
    };
    pass(&pass(img, true), false)
}

/// The score of every pixel of the pair on `grid`.
pub fn diff(original: &[u32], edited: &[u32], grid: Grid) -> Diffed {
    let o = blur(&channels(original), grid);
    let e = blur(&channels(edited), grid);
    let paint: Vec<[f32; 3]> = o
        .iter()
        .zip(&e)
        .map(|(o, e)| std::array::from_fn(|c| ((e[c] - 0.5 * o[c]) * 2.0).clamp(0.0, 1.0)))
        .collect();
    let paint = blur(&paint, grid);
    let score = paint
        .iter()
        .zip(&o)
        .map(|(p, o)| {
            let mean = (0..3).map(|c| (p[c] - o[c]).abs()).sum::<f32>() / 3.0;
            (255.0 * mean).round().min(255.0) as u32
        })
        .collect();
    Diffed { score, grid }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pixels::pack;

    #[test]
    fn a_half_overlay_of_green_is_found_and_a_speck_is_voted_out() {
        let grid = Grid { w: 60, h: 40 };
        let original: Vec<u32> = (0..grid.len())
            .map(|i| pack([0.3 + 0.4 * ((i % 7) as f32 / 7.0), 0.4, 0.5, 1.0]))
            .collect();
        let edited: Vec<u32> = original
            .iter()
            .enumerate()
            .map(|(i, &p)| {
                let (x, y) = (i % 60, i / 60);
                let v = unpack(p);
                let inside = (10..40).contains(&x) && (8..30).contains(&y);
                let speck = (50..52).contains(&x) && (5..7).contains(&y);
                if inside || speck {
                    pack([0.5 * v[0], 0.5 * v[1] + 0.5, 0.5 * v[2], 1.0])
                } else {
                    p
                }
            })
            .collect();
        let mask = diff(&original, &edited, grid).mask();
        let at = |x: usize, y: usize| mask[y * 60 + x];
        assert_eq!(
            (at(25, 20), at(12, 10), at(5, 5), at(51, 6)),
            (255, 255, 0, 0)
        );
        let inside = mask.iter().filter(|&&m| m == 255).count();
        assert!((600..=760).contains(&inside), "{inside}");
    }
}
