//! Stage 1, through a fitted frame: the edit resampled once onto the working grid through the
//! registration's map (`register`). Each output pixel averages bilinear samples spread over its
//! footprint in the edit (one where the footprint is under one and a half texels, the common case:
//! an editor answers at about the original's size). A pixel of the original the
//! edit's frame does not show takes the original's own value with the editor's drift applied, so
//! it never differs, and is marked by a clear alpha. GPU: `shaders/warp.wgsl`.

use crate::diff::drift::Drift;
use crate::diff::register::{centre, Map};
use crate::gpu::{Gpu, Kernel};
use crate::pixels::{for_rows_with, marked_runs, Grid};

const KERNEL: Kernel = Kernel::new(include_str!("../../shaders/warp.wgsl"), "main");

/// Unseen pixels carry this alpha; seen ones are opaque.
pub const UNSEEN_ALPHA: u32 = 0;

/// Bilinear samples per output pixel along its footprint's two sides: one bilinear sample already
/// reads two texels along each axis, so one covers a footprint up to one and a half texels (an
/// editor's frame is about the original's size, give or take a zoom), and more only beyond that.
fn taps(footprint: [[f32; 2]; 2]) -> [u32; 2] {
    footprint.map(|side| (side[0].hypot(side[1]).round() as u32).max(1))
}

fn params(from: Grid, to: Grid, map: &Map, drift: &Drift) -> Vec<u32> {
    let [colx, coly] = map.footprint(from, to);
    let [tx, ty] = taps([colx, coly]);
    let (nx, ny) = map.flow.as_ref().map_or((0, 0), |f| (f.nx, f.ny));
    let mut words = vec![to.w, to.h, from.w, from.h, tx, ty, nx, ny];
    let floats = [
        map.a[0], map.a[1], map.a[2], map.a[3], map.b[0], map.b[1], colx[0], colx[1], coly[0],
        coly[1], 0.0, 0.0,
    ];
    words.extend(floats.map(f32::to_bits));
    words.extend(drift.words());
    words
}

/// `shaders/warp.wgsl`'s `bilinear` at (fx, fy) in source pixels (centres at +0.5, clamped to the
/// frame), red, green and blue in levels (alpha is not carried: the warp's output sets its own).
/// Branch-free, so that a row of these vectorises.
#[inline(always)]
fn bilinear(src: &[u32], from: Grid, fx: f32, fy: f32) -> [f32; 3] {
    // Beyond the edge texels' centres a sample reads the edge texel alone, so positions are
    // clamped to [-1, side - 1] first: the whole-texel parts then fit an i32 without the
    // saturating conversion's branches, and both texels are inside the frame.
    let px = (fx - 0.5).clamp(-1.0, from.w as f32 - 1.0);
    let py = (fy - 0.5).clamp(-1.0, from.h as f32 - 1.0);
    let (x0, y0) = (px.floor(), py.floor());
    let (tx, ty) = (px - x0, py - y0);
    // SAFETY: x0 and y0 are whole numbers within [-1, width - 1] and [-1, height - 1].
    let (ix, iy): (i32, i32) = unsafe { (x0.to_int_unchecked(), y0.to_int_unchecked()) };
    let (w, h) = (from.w as i32, from.h as i32);
    let (xa, xb) = (ix.max(0), (ix + 1).min(w - 1));
    let (ya, yb) = (iy.max(0) * w, (iy + 1).min(h - 1) * w);
    let [p00, p10, p01, p11] = [ya + xa, ya + xb, yb + xa, yb + xb].map(|i| {
        debug_assert!((i as usize) < src.len());
        // SAFETY: both coordinates are clamped into the frame, so the index is inside `src`
        // (`from` is its grid); unchecked so that the row's loop vectorises with gathers.
        unsafe { *src.get_unchecked(i as usize) }
    });
    std::array::from_fn(|c| {
        let level = |p: u32| (p >> (8 * c) & 255) as f32;
        let top = level(p00) * (1.0 - tx) + level(p10) * tx;
        let bottom = level(p01) * (1.0 - tx) + level(p11) * tx;
        top * (1.0 - ty) + bottom * ty
    })
}

/// Red, green and blue levels as an opaque pixel, rounded as `pack4x8unorm` rounds.
#[inline(always)]
fn pack(rgb: [f32; 3]) -> u32 {
    // SAFETY: clamped to [0.5, 255.5] first.
    let byte = |v: f32| -> u32 { unsafe { (v + 0.5).clamp(0.5, 255.5).to_int_unchecked() } };
    byte(rgb[0]) | byte(rgb[1]) << 8 | byte(rgb[2]) << 16 | 255 << 24
}

/// One row's scratch: where each output pixel's centre lands in the edit, in its pixels, and the
/// taps' sums.
#[derive(Default)]
struct Row {
    px: Vec<f32>,
    py: Vec<f32>,
    sum: [Vec<f32>; 3],
}

/// The edit `src` (on `from`, its own frame) through `map` onto `to`, beside the `original` on
/// `to` whose drift-corrected pixels stand in where the edit shows nothing.
pub fn cpu(
    src: &[u32],
    from: Grid,
    original: &[u32],
    to: Grid,
    map: &Map,
    drift: &Drift,
) -> Vec<u32> {
    let [colx, coly] = map.footprint(from, to);
    let [tx, ty] = taps([colx, coly]);
    // Each tap's offset in the footprint, in edit pixels.
    let offsets: Vec<[f32; 2]> = (0..ty)
        .flat_map(|j| {
            let oy = (j as f32 + 0.5) / ty as f32 - 0.5;
            (0..tx).map(move |i| {
                let ox = (i as f32 + 0.5) / tx as f32 - 0.5;
                [colx[0] * ox + coly[0] * oy, colx[1] * ox + coly[1] * oy]
            })
        })
        .collect();
    let (sw, sh) = (from.w as f32, from.h as f32);
    let width = to.w as usize;
    let columns: Vec<f32> = (0..to.w).map(|x| centre(x, 0, to)[0]).collect();
    // The flow's cell and place along x are the same on every row.
    let cells = map.flow.as_ref().map(|f| f.columns(&columns));
    #[cfg(target_arch = "x86_64")]
    let wide = std::arch::is_x86_feature_detected!("avx512f");
    #[cfg(not(target_arch = "x86_64"))]
    let wide = false;
    let mut out = vec![0u32; to.len()];
    for_rows_with(&mut out, width, Row::default, |r, y, row| {
        let uy = centre(0, y as u32, to)[1];
        // Where each pixel lands: the flow blended down to this row once, then along it.
        r.px.resize(width, 0.0);
        r.py.resize(width, 0.0);
        match (&map.flow, &cells) {
            (Some(flow), Some(cells)) => {
                // The displacement first, then where it lands.
                flow.row(uy).fill(cells, &mut r.px, &mut r.py);
                for ((px, py), &ux) in r.px.iter_mut().zip(r.py.iter_mut()).zip(&columns) {
                    let v = map.affine([ux + *px, uy + *py]);
                    (*px, *py) = (v[0] * sw, v[1] * sh);
                }
            }
            _ => {
                for ((px, py), &ux) in r.px.iter_mut().zip(r.py.iter_mut()).zip(&columns) {
                    let v = map.affine([ux, uy]);
                    (*px, *py) = (v[0] * sw, v[1] * sh);
                }
            }
        }
        if let [d] = offsets[..] {
            #[cfg(target_arch = "x86_64")]
            if wide {
                // SAFETY: `wide` is set only where the CPU has AVX-512F.
                unsafe { wide::sample_row(src, from, &r.px, &r.py, d, row) };
            }
            if !wide {
                for ((o, &px), &py) in row.iter_mut().zip(&r.px).zip(&r.py) {
                    *o = pack(bilinear(src, from, px + d[0], py + d[1]));
                }
            }
        } else {
            for s in &mut r.sum {
                s.clear();
                s.resize(width, 0.0);
            }
            for &d in &offsets {
                let [sr, sg, sb] = &mut r.sum;
                #[cfg(target_arch = "x86_64")]
                if wide {
                    // SAFETY: `wide` is set only where the CPU has AVX-512F.
                    unsafe { wide::add_row(src, from, &r.px, &r.py, d, [sr, sg, sb]) };
                    continue;
                }
                let sums = sr.iter_mut().zip(sg.iter_mut()).zip(sb.iter_mut());
                for (((sr, sg), sb), (&px, &py)) in sums.zip(r.px.iter().zip(&r.py)) {
                    let [vr, vg, vb] = bilinear(src, from, px + d[0], py + d[1]);
                    (*sr, *sg, *sb) = (*sr + vr, *sg + vg, *sb + vb);
                }
            }
            let n = offsets.len() as f32;
            for (x, o) in row.iter_mut().enumerate() {
                *o = pack([r.sum[0][x] / n, r.sum[1][x] / n, r.sum[2][x] / n]);
            }
        }
        // What the edit's frame does not show: the original, drift applied, marked unseen.
        let unseen = |x: usize| !(0.0..=sw).contains(&r.px[x]) | !(0.0..=sh).contains(&r.py[x]);
        let marked = marked_runs(width, unseen).into_iter().flatten();
        let along = drift.along(y, to);
        let line = &original[y * width..][..width];
        for x in marked.filter(|&x| unseen(x)) {
            row[x] = along.at(line[x], x, to) & 0x00FF_FFFF | UNSEEN_ALPHA << 24;
        }
    });
    out
}

/// `bilinear` and `pack` sixteen pixels at a time in 512-bit vectors, the same operations in the
/// same order (so the same bits): compilers do not vectorise the four texel reads themselves.
#[cfg(target_arch = "x86_64")]
mod wide {
    use crate::pixels::Grid;
    use std::arch::x86_64::*;

    /// A row's pixels sampled at (px + d, py + d), one tap each, into `out`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn sample_row(
        src: &[u32],
        from: Grid,
        px: &[f32],
        py: &[f32],
        d: [f32; 2],
        out: &mut [u32],
    ) {
        let n = out.len();
        assert!(px.len() >= n && py.len() >= n);
        assert!(from.len() <= src.len() && from.len() < i32::MAX as usize);
        for i in (0..n).step_by(16) {
            let mask = (u32::MAX >> (32 - (n - i).min(16))) as u16;
            let levels = unsafe { bilinear16(src, from, px, py, d, i, mask) };
            let mut packed = _mm512_set1_epi32(255 << 24);
            for (shift, v) in [0, 8, 16].into_iter().zip(levels) {
                let byte = _mm512_cvttps_epi32(_mm512_min_ps(
                    _mm512_max_ps(_mm512_add_ps(v, _mm512_set1_ps(0.5)), _mm512_set1_ps(0.5)),
                    _mm512_set1_ps(255.5),
                ));
                packed = _mm512_or_si512(packed, _mm512_sllv_epi32(byte, _mm512_set1_epi32(shift)));
            }
            // SAFETY: the mask keeps the store within `out`.
            unsafe { _mm512_mask_storeu_epi32(out.as_mut_ptr().add(i).cast(), mask, packed) };
        }
    }

    /// A row's pixels sampled at (px + d, py + d), added to the taps' sums so far.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn add_row(
        src: &[u32],
        from: Grid,
        px: &[f32],
        py: &[f32],
        d: [f32; 2],
        sums: [&mut [f32]; 3],
    ) {
        let n = px.len();
        assert!(py.len() >= n && sums.iter().all(|s| s.len() >= n));
        assert!(from.len() <= src.len() && from.len() < i32::MAX as usize);
        for i in (0..n).step_by(16) {
            let mask = (u32::MAX >> (32 - (n - i).min(16))) as u16;
            let levels = unsafe { bilinear16(src, from, px, py, d, i, mask) };
            for (sum, v) in sums.iter().zip(levels) {
                // SAFETY: the mask keeps the load and store within the sums.
                unsafe {
                    let at = sum.as_ptr().add(i) as *mut f32;
                    let total = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, at), v);
                    _mm512_mask_storeu_ps(at, mask, total);
                }
            }
        }
    }

    /// `bilinear` at the sixteen positions from `i` on (those under `mask`), as red, green and
    /// blue levels.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn bilinear16(
        src: &[u32],
        from: Grid,
        px: &[f32],
        py: &[f32],
        d: [f32; 2],
        i: usize,
        mask: u16,
    ) -> [__m512; 3] {
        let c = |v: f32| _mm512_set1_ps(v);
        let int = |v: i32| _mm512_set1_epi32(v);
        let (add, sub, mul) = (_mm512_add_ps, _mm512_sub_ps, _mm512_mul_ps);
        let (w, h) = (from.w as i32, from.h as i32);
        // SAFETY: the callers' masks keep loads within the slices.
        let (fx, fy) = unsafe {
            (
                _mm512_maskz_loadu_ps(mask, px.as_ptr().add(i)),
                _mm512_maskz_loadu_ps(mask, py.as_ptr().add(i)),
            )
        };
        let clamp = |v: __m512, hi: f32| _mm512_min_ps(_mm512_max_ps(v, c(-1.0)), c(hi));
        let px = clamp(sub(add(fx, c(d[0])), c(0.5)), from.w as f32 - 1.0);
        let py = clamp(sub(add(fy, c(d[1])), c(0.5)), from.h as f32 - 1.0);
        let floor = |v| _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC }>(v);
        let (x0, y0) = (floor(px), floor(py));
        let (tx, ty) = (sub(px, x0), sub(py, y0));
        let (ix, iy) = (_mm512_cvttps_epi32(x0), _mm512_cvttps_epi32(y0));
        let xa = _mm512_max_epi32(ix, int(0));
        let xb = _mm512_min_epi32(_mm512_add_epi32(ix, int(1)), int(w - 1));
        let ya = _mm512_mullo_epi32(_mm512_max_epi32(iy, int(0)), int(w));
        let yb = _mm512_mullo_epi32(
            _mm512_min_epi32(_mm512_add_epi32(iy, int(1)), int(h - 1)),
            int(w),
        );
        // Where every sample's four texels are inside the frame (all but the frame's edges), the
        // two side by side are read as one 64-bit word: half the loads.
        let inside = _mm512_mask_cmpge_epi32_mask(mask, ix, int(0))
            & _mm512_mask_cmplt_epi32_mask(mask, ix, int(w - 1))
            & _mm512_mask_cmpge_epi32_mask(mask, iy, int(0))
            & _mm512_mask_cmplt_epi32_mask(mask, iy, int(h - 1));
        let (p00, p10, p01, p11) = if inside == mask {
            // SAFETY: under `mask`, x + 1 < width and y < height, so both words are in `src`.
            let pairs = |y: __m512i| unsafe {
                let at = _mm512_add_epi32(y, xa);
                let half = |k: u8, at: __m256i| {
                    _mm512_mask_i32gather_epi64::<4>(
                        _mm512_setzero_si512(),
                        k,
                        at,
                        src.as_ptr().cast(),
                    )
                };
                let lo = half(mask as u8, _mm512_castsi512_si256(at));
                let hi = half((mask >> 8) as u8, _mm512_extracti64x4_epi64::<1>(at));
                let even =
                    _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
                let odd = _mm512_add_epi32(even, int(1));
                (
                    _mm512_permutex2var_epi32(lo, even, hi),
                    _mm512_permutex2var_epi32(lo, odd, hi),
                )
            };
            let ((p00, p10), (p01, p11)) = (pairs(ya), pairs(yb));
            (p00, p10, p01, p11)
        } else {
            // SAFETY: both coordinates are clamped into the frame, so every index is inside
            // `src`.
            let texel = |y: __m512i, x: __m512i| unsafe {
                _mm512_i32gather_epi32::<4>(_mm512_add_epi32(y, x), src.as_ptr().cast())
            };
            (texel(ya, xa), texel(ya, xb), texel(yb, xa), texel(yb, xb))
        };
        let (ux, uy) = (sub(c(1.0), tx), sub(c(1.0), ty));
        [0, 8, 16].map(|shift| {
            let level = |p: __m512i| {
                let v = _mm512_srlv_epi32(p, int(shift));
                _mm512_cvtepi32_ps(_mm512_and_si512(v, int(255)))
            };
            let top = add(mul(level(p00), ux), mul(level(p10), tx));
            let bottom = add(mul(level(p01), ux), mul(level(p11), tx));
            add(mul(top, uy), mul(bottom, ty))
        })
    }
}

pub fn gpu(
    g: &Gpu,
    src: &wgpu::Buffer,
    from: Grid,
    original: &wgpu::Buffer,
    to: Grid,
    map: &Map,
    drift: &Drift,
) -> wgpu::Buffer {
    let nodes: Vec<u32> = match &map.flow {
        Some(f) => f.d.iter().flatten().map(|v| v.to_bits()).collect(),
        None => vec![0, 0],
    };
    let flow = g.upload(&nodes);
    let dst = g.zeroed(to.len());
    g.run_items(
        KERNEL,
        &params(from, to, map, drift),
        &[src, original, &flow, &dst],
        to.len(),
    );
    dst
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::resample;

    #[test]
    fn a_plain_stretch_is_the_resampling_within_one_level() {
        let from = Grid { w: 37, h: 23 };
        let to = Grid { w: 50, h: 41 };
        let mut rng = crate::rng::Rng::new(3);
        let src: Vec<u32> = (0..from.len())
            .map(|_| rng.next_u64() as u32 | 0xFF00_0000)
            .collect();
        let original = vec![0xFF00_0000; to.len()];
        let warped = cpu(&src, from, &original, to, &Map::STRETCH, &Drift::NONE);
        let plain = resample::cpu(&src, from, to);
        for (a, b) in warped.iter().zip(&plain) {
            for c in 0..4 {
                let (x, y) = ((a >> (8 * c)) & 255, (b >> (8 * c)) & 255);
                assert!(x.abs_diff(y) <= 1, "{a:08x} vs {b:08x}");
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_wide_rows_give_the_scalar_samples_and_sums_bit_for_bit() {
        if !std::arch::is_x86_feature_detected!("avx512f") {
            return;
        }
        let from = Grid { w: 61, h: 47 };
        let mut rng = crate::rng::Rng::new(5);
        let src: Vec<u32> = (0..from.len()).map(|_| rng.next_u64() as u32).collect();
        // Positions inside, on the edges and far outside the frame, and rows of positions
        // all well inside (read two texels to a load); 37 so that the last vector is partly
        // masked.
        let mut unit = || (rng.next_u64() % 10_000) as f32 / 10_000.0;
        let anywhere: (Vec<f32>, Vec<f32>) = (0..37)
            .map(|_| (unit() * 80.0 - 10.0, unit() * 60.0 - 7.0))
            .unzip();
        let inside: (Vec<f32>, Vec<f32>) = (0..37)
            .map(|_| (2.0 + unit() * 56.0, 2.0 + unit() * 42.0))
            .unzip();
        let cases = [anywhere, inside]
            .into_iter()
            .flat_map(|positions| [[0.0, 0.0], [0.3, -0.45]].map(|d| (positions.clone(), d)));
        for ((px, py), d) in cases {
            let mut wide = vec![0; 37];
            unsafe { super::wide::sample_row(&src, from, &px, &py, d, &mut wide) };
            let mut sums = [vec![1.5f32; 37], vec![0.0; 37], vec![7.0; 37]];
            let [r, g, b] = &mut sums;
            unsafe { super::wide::add_row(&src, from, &px, &py, d, [r, g, b]) };
            for x in 0..37 {
                let levels = bilinear(&src, from, px[x] + d[0], py[x] + d[1]);
                assert_eq!(wide[x], pack(levels), "pixel {x} at {}, {}", px[x], py[x]);
                let added = [1.5 + levels[0], levels[1], 7.0 + levels[2]];
                assert_eq!([sums[0][x], sums[1][x], sums[2][x]], added, "pixel {x}");
            }
        }
    }

    #[test]
    fn pixels_the_edit_does_not_show_keep_the_original_marked_unseen() {
        let from = Grid { w: 20, h: 20 };
        let to = Grid { w: 20, h: 20 };
        let src = vec![0xFF11_2233; from.len()];
        let original = vec![0xFF44_5566; to.len()];
        // The edit shows the original's right 80 % only: its left fifth was cropped away.
        let map = Map {
            a: [1.25, 0.0, 0.0, 1.0],
            b: [-0.25, 0.0],
            flow: None,
        };
        let out = cpu(&src, from, &original, to, &map, &Drift::NONE);
        for (i, &p) in out.iter().enumerate() {
            if i % 20 < 4 {
                assert_eq!(p, 0x0044_5566, "pixel {i}");
            } else {
                assert_eq!(p, 0xFF11_2233, "pixel {i}");
            }
        }
        assert_eq!(map.visible(to).iter().filter(|&&v| v == 0).count(), 4 * 20);
    }
}
