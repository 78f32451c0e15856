//! Stage 1: bring the edit onto the original's grid (editors answer at their own resolution and,
//! for a fixed-size editor, squeezed to its aspect). GPU: `shaders/resample.wgsl`.

use crate::gpu::{Gpu, Kernel};
use crate::pixels::{for_rows_with, runs, Grid};
use std::ops::Range;

const SOURCE: &str = include_str!("../../shaders/resample.wgsl");
const KERNEL: Kernel = Kernel::new(SOURCE, "main");
const SHRINK: Kernel = Kernel::new(SOURCE, "shrink");

/// Samples per output pixel along one axis: one when enlarging, enough to cover the footprint
/// when shrinking.
fn taps(src: u32, dst: u32) -> u32 {
    src.div_ceil(dst).max(1)
}

fn params(src: Grid, dst: Grid, shift: (i32, i32)) -> [u32; 8] {
    [
        src.w,
        src.h,
        dst.w,
        dst.h,
        taps(src.w, dst.w),
        taps(src.h, dst.h),
        shift.0 as u32,
        shift.1 as u32,
    ]
}

/// Per output position along one axis, the source positions and weights its taps' linear
/// samples add up to (each tap splits 1 / taps between two neighbours, clamped at the border).
fn weights(src: u32, dst: u32, taps: u32) -> Vec<Vec<(usize, f32)>> {
    let scale = src as f32 / dst as f32;
    (0..dst)
        .map(|d| {
            let mut w: Vec<(usize, f32)> = Vec::new();
            for t in 0..taps {
                let f = (d as f32 + (t as f32 + 0.5) / taps as f32) * scale - 0.5;
                let i0 = f.floor();
                let frac = f - i0;
                for (i, k) in [(i0 as i32, 1.0 - frac), (i0 as i32 + 1, frac)] {
                    let i = i.clamp(0, src as i32 - 1) as usize;
                    match w.iter_mut().find(|(j, _)| *j == i) {
                        Some((_, v)) => *v += k / taps as f32,
                        None => w.push((i, k / taps as f32)),
                    }
                }
            }
            w
        })
        .collect()
}

/// Weights quantised to whole `1 / total` steps that add up to `total` exactly, so a flat area
/// stays flat.
fn quantised(weights: &[Vec<(usize, f32)>], total: u32) -> Vec<Vec<(usize, u32)>> {
    weights
        .iter()
        .map(|w| {
            let mut q: Vec<(usize, u32)> = w
                .iter()
                .map(|&(i, k)| (i, (k * total as f32).round() as u32))
                .collect();
            let sum: u32 = q.iter().map(|&(_, k)| k).sum();
            let largest = (0..q.len())
                .max_by_key(|&j| q[j].1)
                .expect("one tap at least");
            q[largest].1 = (q[largest].1 + total).saturating_sub(sum);
            q
        })
        .collect()
}

/// Per output position, its weights over `span` consecutive source positions from `start`
/// (zero where it has none): a fixed-length inner loop over adjacent pixels.
struct Dense {
    span: usize,
    start: Vec<usize>,
    weights: Vec<u32>,
}

impl Dense {
    /// Each output's taps lie on adjacent source positions (samples are at most one apart).
    fn of(taps: &[Vec<(usize, u32)>], src: u32) -> Dense {
        let range = |w: &Vec<(usize, u32)>| {
            let first = w.iter().map(|&(i, _)| i).min().expect("one tap at least");
            (first, w.iter().map(|&(i, _)| i).max().unwrap_or(first))
        };
        let span = taps
            .iter()
            .map(|w| range(w).1 - range(w).0 + 1)
            .max()
            .unwrap_or(1);
        let mut start = Vec::with_capacity(taps.len());
        let mut weights = vec![0; taps.len() * span];
        for (x, w) in taps.iter().enumerate() {
            // Kept inside the row: a span that would pass its end starts earlier.
            let s = range(w).0.min(src as usize - span);
            start.push(s);
            for &(i, k) in w {
                weights[x * span + i - s] += k;
            }
        }
        Dense {
            span,
            start,
            weights,
        }
    }

    /// One row across: `column` holds 4 channels a pixel. `SPAN` is `self.span`, or 0 for any.
    #[inline(always)]
    fn row<const SPAN: usize>(&self, column: &[u16], row: &mut [u32]) {
        let span = if SPAN == 0 { self.span } else { SPAN };
        for (x, o) in row.iter_mut().enumerate() {
            let pixels = &column[4 * self.start[x]..][..4 * span];
            let mut sum = [1u32 << 19; 4];
            for (t, &k) in self.weights[x * span..][..span].iter().enumerate() {
                for (c, s) in sum.iter_mut().enumerate() {
                    *s += k * pixels[4 * t + c] as u32;
                }
            }
            *o = u32::from_le_bytes(sum.map(|v| (v >> 20).min(255) as u8));
        }
    }
}

/// The average of bilinear taps is separable: per output row, its source rows are weighted and
/// added down (every byte of a row at once, which vectorises), then across. Integer weights
/// (1/32768 steps down, kept with 8 fractional bits, then 1/4096 steps across) keep every sum in
/// a `u32` and the result within one level of the shader's floats.
pub fn cpu(src: &[u32], from: Grid, to: Grid) -> Vec<u32> {
    let [_, _, _, _, taps_x, taps_y, _, _] = params(from, to, (0, 0));
    let across = Dense::of(&quantised(&weights(from.w, to.w, taps_x), 1 << 12), from.w);
    // Weights down fit 16 bits, so the products are 16 x 16-bit multiplies, which vectorise.
    let down: Vec<Vec<(usize, u16)>> = quantised(&weights(from.h, to.h, taps_y), 1 << 15)
        .into_iter()
        .map(|w| w.into_iter().map(|(i, k)| (i, k as u16)).collect())
        .collect();
    let (fw, tw) = (from.w as usize, to.w as usize);
    let bytes: &[u8] = bytemuck::cast_slice(src);
    let mut out = vec![0u32; to.len()];
    for_rows_with(&mut out, tw, Vec::new, |column: &mut Vec<u16>, y, row| {
        column.resize(4 * fw, 0);
        // A stretch of bytes at a time, its sums kept in registers while the rows are added.
        const STRETCH: usize = 64;
        let taps = &down[y];
        let mut chunks = column.chunks_exact_mut(STRETCH);
        for (c, chunk) in chunks.by_ref().enumerate() {
            chunk.copy_from_slice(&down_sum::<STRETCH>(bytes, taps, 4 * fw, c * STRETCH));
        }
        let tail = chunks.into_remainder();
        let start = 4 * fw - tail.len();
        for (j, o) in tail.iter_mut().enumerate() {
            *o = down_sum::<1>(bytes, taps, 4 * fw, start + j)[0];
        }
        // The spans of shrinking by up to three, as constants: their loops unroll.
        match across.span {
            1 => across.row::<1>(column, row),
            2 => across.row::<2>(column, row),
            3 => across.row::<3>(column, row),
            4 => across.row::<4>(column, row),
            5 => across.row::<5>(column, row),
            _ => across.row::<0>(column, row),
        }
    });
    out
}

/// The weighted sum down `taps` of the `N` bytes from `offset` of rows `stride` bytes long, in
/// 1/128 steps (1/32768-step weights, 8 fractional bits kept, rounded).
#[inline(always)]
fn down_sum<const N: usize>(
    bytes: &[u8],
    taps: &[(usize, u16)],
    stride: usize,
    offset: usize,
) -> [u16; N] {
    let mut acc = [1u32 << 6; N];
    for &(i, k) in taps {
        let src: &[u8; N] = bytes[stride * i + offset..][..N]
            .try_into()
            .expect("N bytes");
        for (a, &v) in acc.iter_mut().zip(src) {
            *a += u32::from(k) * u32::from(v);
        }
    }
    acc.map(|a| (a >> 7) as u16)
}

/// Shrinking to a grid whole times smaller (the detection grid): each output pixel is the
/// average of the source pixels that fall in it by [`crate::pixels::nearest`], the blocks every
/// later stage maps the two grids by, rounded half up ([`Average`]); both twins give the same
/// bytes. With a `shift`, the source is read moved by it (pixel (x, y) from (x + dx, y + dy),
/// edge pixels repeated), as the score pairs an edit with the original: an edit shifted by less
/// than a block is aligned before its blocks are averaged.
pub fn shrink_cpu(src: &[u32], from: Grid, to: Grid, shift: (i32, i32)) -> Vec<u32> {
    let (columns, rows) = blocks(from, to);
    let fw = from.w as usize;
    let bytes: &[u8] = bytemuck::cast_slice(src);
    let source_row = |r: usize| (r as i32 + shift.1).clamp(0, from.h as i32 - 1) as usize;
    // Per block size, its rounded average.
    let averages: Vec<Average> = (0..=MAX_BLOCK).map(|n| Average::new(n.max(1))).collect();
    let mut out = vec![0u32; to.len()];
    for_rows_with(
        &mut out,
        to.w as usize,
        Scratch::default,
        |scratch, y, row| {
            let Scratch { down, moved } = scratch;
            let line = |r: usize| &bytes[4 * fw * source_row(r)..][..4 * fw];
            // The block's rows added down, every byte at once, into a pixel's four 16-bit lanes
            // of one word.
            let rows = rows[y].clone();
            down.clear();
            down.resize(fw, 0);
            let lanes: &mut [u16] = bytemuck::cast_slice_mut(&mut down[..]);
            for r in rows.clone() {
                for (s, &b) in lanes.iter_mut().zip(moved_across(line(r), shift.0, moved)) {
                    *s += u16::from(b);
                }
            }
            // Across, a block is one addition per pixel (no lane passes 16 bits: at most
            // MAX_BLOCK x 255).
            let height = rows.len();
            let out: &mut [u8] = bytemuck::cast_slice_mut(row);
            for (x, block) in columns.iter().enumerate() {
                let sum: u64 = down[block.clone()].iter().sum();
                let average = &averages[height * block.len()];
                for c in 0..4 {
                    out[4 * x + c] = average.of((sum >> (16 * c)) as u32 & 0xFFFF);
                }
            }
        },
    );
    out
}

/// A row of RGBA bytes read moved across by `dx` (pixel x from x + dx, the end pixels
/// repeated): the row itself when `dx` is 0, else its copy in `moved`.
fn moved_across<'a>(line: &'a [u8], dx: i32, moved: &'a mut Vec<u8>) -> &'a [u8] {
    if dx == 0 {
        return line;
    }
    let w = line.len() / 4;
    let (first, last) = (&line[..4], &line[4 * w - 4..]);
    moved.clear();
    let pad_left = (-dx).clamp(0, w as i32) as usize;
    let start = dx.clamp(0, w as i32 - 1) as usize;
    (0..pad_left).for_each(|_| moved.extend_from_slice(first));
    moved.extend_from_slice(&line[4 * start..][..4 * (w - pad_left).min(w - start)]);
    while moved.len() < line.len() {
        moved.extend_from_slice(last);
    }
    moved
}

/// The most pixels a block of [`shrink_cpu`] may average (where [`Average`] is exact).
const MAX_BLOCK: u32 = 256;

/// The source columns and rows of each output pixel when shrinking `from` to `to`; refuses a
/// grid that does not shrink, or blocks too large for either twin to average exactly.
fn blocks(from: Grid, to: Grid) -> (Vec<Range<usize>>, Vec<Range<usize>>) {
    assert!(
        to.w <= from.w && to.h <= from.h,
        "{from:?} does not shrink to {to:?}"
    );
    let (columns, rows) = (runs(from.w, to.w), runs(from.h, to.h));
    let longest = |runs: &[Range<usize>]| runs.iter().map(|r| r.len()).max().unwrap_or(0);
    assert!(
        longest(&columns) * longest(&rows) <= MAX_BLOCK as usize,
        "{from:?} -> {to:?}: blocks over {MAX_BLOCK} pixels"
    );
    (columns, rows)
}

/// Per thread: a row of blocks' sums down (a pixel's four 16-bit lanes to a word), and a source
/// row moved across by the shift.
#[derive(Default)]
struct Scratch {
    down: Vec<u64>,
    moved: Vec<u8>,
}

/// The rounded average of `count` bytes from their sum: floor(sum / count + 1/2), computed as
/// (sum + count / 2) times 1 / count, plus 2^-10 so that a whole quotient is not floored below
/// itself. That is exact for blocks of up to `MAX_BLOCK` bytes: the product is within 2^-13 of
/// the quotient (at most 255.5), and a quotient that is not whole lies at least 1 / (2 count)
/// below the next whole number. `shaders/resample.wgsl` computes it the same way.
struct Average {
    half: f32,
    inverse: f32,
}

impl Average {
    fn new(count: u32) -> Average {
        Average {
            half: 0.5 * count as f32,
            inverse: 1.0 / count as f32,
        }
    }

    #[inline(always)]
    fn of(&self, sum: u32) -> u8 {
        let average = (sum as f32 + self.half) * self.inverse + 1.0 / 1024.0;
        // The whole part read from the float's bits, as `pixels::unorm8` does: vectorises.
        (average.floor() + 8_388_608.0).to_bits() as u8
    }
}

pub fn shrink_gpu(
    g: &Gpu,
    src: &wgpu::Buffer,
    from: Grid,
    to: Grid,
    shift: (i32, i32),
) -> wgpu::Buffer {
    blocks(from, to);
    let dst = g.zeroed(to.len());
    g.run_items(SHRINK, &params(from, to, shift), &[src, &dst], to.len());
    dst
}

pub fn gpu(g: &Gpu, src: &wgpu::Buffer, from: Grid, to: Grid) -> wgpu::Buffer {
    let dst = g.zeroed(to.len());
    g.run_items(KERNEL, &params(from, to, (0, 0)), &[src, &dst], to.len());
    dst
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pixels::nearest;

    /// Each output pixel the rounded average of the source pixels `nearest` puts in it, read
    /// moved by `shift` (clamped to the picture), one pixel at a time.
    fn block_averages(src: &[u32], from: Grid, to: Grid, shift: (i32, i32)) -> Vec<u32> {
        let (xs, ys) = (nearest(from.w, to.w), nearest(from.h, to.h));
        let mut sums = vec![([0u32; 4], 0u32); to.len()];
        for y in 0..from.h as usize {
            for x in 0..from.w as usize {
                let (sum, count) = &mut sums[ys[y] * to.w as usize + xs[x]];
                let sx = (x as i32 + shift.0).clamp(0, from.w as i32 - 1) as usize;
                let sy = (y as i32 + shift.1).clamp(0, from.h as i32 - 1) as usize;
                let p = src[sy * from.w as usize + sx].to_le_bytes();
                (0..4).for_each(|c| sum[c] += u32::from(p[c]));
                *count += 1;
            }
        }
        sums.iter()
            .map(|(s, n)| u32::from_le_bytes(s.map(|v| ((2 * v + n) / (2 * n)) as u8)))
            .collect()
    }

    #[test]
    fn shrinking_averages_the_blocks_every_stage_maps_by_rounded_half_up_also_moved() {
        let mut rng = crate::rng::Rng::new(7);
        for (from, to) in [
            ((37, 23), (19, 12)),
            ((36, 22), (18, 11)),
            ((61, 17), (9, 3)),
            ((100, 70), (34, 24)),
            ((5, 5), (5, 5)),
        ] {
            let (from, to) = (
                Grid {
                    w: from.0,
                    h: from.1,
                },
                Grid { w: to.0, h: to.1 },
            );
            let src: Vec<u32> = (0..from.len()).map(|_| rng.next_u64() as u32).collect();
            for shift in [(0, 0), (1, 0), (-2, 3), (5, -1), (-100, 100)] {
                assert_eq!(
                    shrink_cpu(&src, from, to, shift),
                    block_averages(&src, from, to, shift),
                    "{from:?} shifted {shift:?}"
                );
            }
        }
        // Every sum of every block size, against whole-number arithmetic.
        for count in 1..=MAX_BLOCK {
            let average = Average::new(count);
            for sum in 0..=255 * count {
                let exact = (2 * sum + count) / (2 * count);
                assert_eq!(u32::from(average.of(sum)), exact, "{sum} / {count}");
            }
        }
        // Halves round up: 1 and 2 average to 2.
        let two = Grid { w: 2, h: 1 };
        assert_eq!(
            shrink_cpu(&[1, 2], two, Grid { w: 1, h: 1 }, (0, 0)),
            vec![2]
        );
    }
}
