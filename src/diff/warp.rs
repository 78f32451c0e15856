//! Stage 1, through a fitted frame: the edit resampled once onto the working grid through the
//! registration's map (`register`). Each output pixel averages bilinear samples spread over its
//! footprint in the edit, as `resample` does for a plain stretch. A pixel of the original the
//! edit's frame does not show takes the original's own value with the editor's drift applied, so
//! it never differs, and is marked by a clear alpha. GPU: `shaders/warp.wgsl`.

use crate::diff::drift::Drift;
use crate::diff::register::{centre, Map};
use crate::gpu::{Gpu, Kernel};
use crate::pixels::{for_rows, unorm8, Grid};

const KERNEL: Kernel = Kernel::new(include_str!("../../shaders/warp.wgsl"), "main");

/// Unseen pixels carry this alpha; seen ones are opaque.
pub const UNSEEN_ALPHA: u32 = 0;

/// Bilinear samples per output pixel along its footprint's two sides.
fn taps(footprint: [[f32; 2]; 2]) -> [u32; 2] {
    footprint.map(|side| (side[0].hypot(side[1]).ceil() as u32).max(1))
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

/// `src`'s pixel at (x, y), clamped to its frame, as four floats in [0, 1].
#[inline(always)]
fn texel(src: &[u32], from: Grid, x: i32, y: i32) -> [f32; 4] {
    let cx = x.clamp(0, from.w as i32 - 1) as usize;
    let cy = y.clamp(0, from.h as i32 - 1) as usize;
    let p = src[cy * from.w as usize + cx];
    std::array::from_fn(|c| (p >> (8 * c) & 255) as f32 / 255.0)
}

/// `shaders/resample.wgsl`'s `bilinear`: (fx, fy) in source pixels, centres at +0.5; `mix` as
/// WGSL defines it.
#[inline(always)]
fn bilinear(src: &[u32], from: Grid, fx: f32, fy: f32) -> [f32; 4] {
    let (px, py) = (fx - 0.5, fy - 0.5);
    let (x0, y0) = (px.floor(), py.floor());
    let (tx, ty) = (px - x0, py - y0);
    let (ix, iy) = (x0 as i32, y0 as i32);
    let mix = |a: [f32; 4], b: [f32; 4], t: f32| -> [f32; 4] {
        std::array::from_fn(|c| a[c] * (1.0 - t) + b[c] * t)
    };
    let top = mix(texel(src, from, ix, iy), texel(src, from, ix + 1, iy), tx);
    let bottom = mix(
        texel(src, from, ix, iy + 1),
        texel(src, from, ix + 1, iy + 1),
        tx,
    );
    mix(top, bottom, ty)
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
    let n = (tx * ty) as f32;
    let (sw, sh) = (from.w as f32, from.h as f32);
    // The flow's cell and place along x are the same on every row.
    let columns: Vec<[f32; 2]> = (0..to.w).map(|x| centre(x, 0, to)).collect();
    let mut out = vec![0u32; to.len()];
    for_rows(&mut out, to.w as usize, |y, row| {
        let along = drift.along(y, to);
        let uy = centre(0, y as u32, to)[1];
        let line = &original[y * to.w as usize..][..to.w as usize];
        for (x, o) in row.iter_mut().enumerate() {
            let v = map.at([columns[x][0], uy]);
            let (px, py) = (v[0] * sw, v[1] * sh);
            if !(0.0..=sw).contains(&px) || !(0.0..=sh).contains(&py) {
                *o = along.at(line[x], x, to) & 0x00FF_FFFF | UNSEEN_ALPHA << 24;
                continue;
            }
            let s = if tx * ty == 1 {
                bilinear(src, from, px, py)
            } else {
                let mut acc = [0.0f32; 4];
                for j in 0..ty {
                    let oy = (j as f32 + 0.5) / ty as f32 - 0.5;
                    for i in 0..tx {
                        let ox = (i as f32 + 0.5) / tx as f32 - 0.5;
                        let s = bilinear(
                            src,
                            from,
                            px + colx[0] * ox + coly[0] * oy,
                            py + colx[1] * ox + coly[1] * oy,
                        );
                        for c in 0..4 {
                            acc[c] += s[c];
                        }
                    }
                }
                acc.map(|a| a / n)
            };
            *o = unorm8(s[0]) | unorm8(s[1]) << 8 | unorm8(s[2]) << 16 | 255 << 24;
        }
    });
    out
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
