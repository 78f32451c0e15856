//! Stage 5a: opening (drops specks) and closing (bridges gaps) with a disk, on packed bits
//! (`bits`): an output word takes, for each row of the disk, the word above or below spread
//! sideways by that row's half-width, 32 pixels at a time. GPU: `shaders/morphology.wgsl`.

use crate::cleanup::bits;
use crate::gpu::{Gpu, Kernel};
use crate::pixels::{for_rows, Grid};

const KERNEL: Kernel = Kernel {
    source: include_str!("../../shaders/morphology.wgsl"),
    entry: "main",
};

/// The largest radius: a disk row then reaches at most one word to each side.
pub const MAX_RADIUS: u32 = 32;

/// Half-width of the disk's row at vertical offset dy (offsets with dx*dx + dy*dy <= r*r).
fn half_width(radius: u32, dy: i32) -> u32 {
    let room = (radius * radius) as i32 - dy * dy;
    let mut k = 0;
    while (k + 1) * (k + 1) <= room {
        k += 1;
    }
    k as u32
}

/// Word `mid` with every set pixel spread `k` pixels each way (k <= 32), its neighbours in the
/// row being `left` and `right`.
fn spread(left: u32, mid: u32, right: u32, k: u32) -> u32 {
    let mut out = mid;
    for s in 1..k.min(31) + 1 {
        out |= mid >> s | right << (32 - s) | mid << s | left >> (32 - s);
    }
    if k >= 32 {
        out |= left | right;
    }
    out
}

/// One erosion (`dilate == false`) or dilation with a disk of `radius` (at most `MAX_RADIUS`);
/// pixels outside the picture are ignored. Erosion is the dilation of the picture's unset pixels.
pub fn cpu(src: &[u32], grid: Grid, radius: u32, dilate: bool) -> Vec<u32> {
    assert!(radius <= MAX_RADIUS, "radius {radius} over {MAX_RADIUS}");
    let rw = bits::row_words(grid.w);
    let (h, r) = (grid.h as i32, radius as i32);
    let inside: Vec<u32> = (0..rw).map(|k| bits::inside(grid.w, k)).collect();
    // The pixels to spread: set ones to dilate, unset ones (inside the picture) to erode.
    let wanted: Vec<u32> = if dilate {
        src.to_vec()
    } else {
        src.chunks_exact(rw)
            .flat_map(|row| row.iter().zip(&inside).map(|(&b, &m)| !b & m))
            .collect()
    };
    let mut out = vec![0u32; bits::len(grid)];
    for_rows(&mut out, rw, |y, row| {
        let y = y as i32;
        for dy in (-r).max(-y)..=r.min(h - 1 - y) {
            let k = half_width(radius, dy);
            let line = &wanted[(y + dy) as usize * rw..][..rw];
            for (x, o) in row.iter_mut().enumerate() {
                let left = if x > 0 { line[x - 1] } else { 0 };
                let right = line.get(x + 1).copied().unwrap_or(0);
                *o |= spread(left, line[x], right, k);
            }
        }
        for (o, &m) in row.iter_mut().zip(&inside) {
            *o = if dilate { *o & m } else { !*o & m };
        }
    });
    out
}

/// Opening (erode, dilate) then closing (dilate, erode): the passes as (radius, dilate), those
/// with a radius of 0 left out. Both twins run this schedule.
fn schedule(open: u32, close: u32) -> impl Iterator<Item = (u32, bool)> {
    [(open, false), (open, true), (close, true), (close, false)]
        .into_iter()
        .filter(|(radius, _)| *radius > 0)
}

pub fn open_close_cpu(mask: &[u32], grid: Grid, open: u32, close: u32) -> Vec<u32> {
    schedule(open, close).fold(mask.to_vec(), |m, (radius, dilate)| {
        cpu(&m, grid, radius, dilate)
    })
}

pub fn gpu(g: &Gpu, src: &wgpu::Buffer, grid: Grid, radius: u32, dilate: bool) -> wgpu::Buffer {
    assert!(radius <= MAX_RADIUS, "radius {radius} over {MAX_RADIUS}");
    let n = bits::len(grid);
    let dst = g.zeroed(n);
    g.run_items(
        KERNEL,
        &[grid.w, grid.h, radius, dilate as u32],
        &[src, &dst],
        n,
    );
    dst
}

pub fn open_close_gpu(
    g: &Gpu,
    mask: &wgpu::Buffer,
    grid: Grid,
    open: u32,
    close: u32,
) -> wgpu::Buffer {
    schedule(open, close).fold(mask.clone(), |m, (radius, dilate)| {
        gpu(g, &m, grid, radius, dilate)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// The definition, pixel by pixel: a pixel is set after dilation when a set pixel lies in
    /// the disk around it, and kept after erosion when no unset one does.
    fn by_definition(mask: &[u32], grid: Grid, radius: u32, dilate: bool) -> Vec<u32> {
        let (w, h, r) = (grid.w as i32, grid.h as i32, radius as i32);
        let wanted = dilate as u32;
        (0..grid.len() as i32)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                let found = (-r..=r).any(|dy| {
                    (-r..=r).any(|dx| {
                        let (xx, yy) = (x + dx, y + dy);
                        dx * dx + dy * dy <= r * r
                            && (0..w).contains(&xx)
                            && (0..h).contains(&yy)
                            && mask[(yy * w + xx) as usize] == wanted
                    })
                });
                if found {
                    wanted
                } else {
                    1 - wanted
                }
            })
            .collect()
    }

    #[test]
    fn packed_erosion_and_dilation_follow_the_disk_definition() {
        let mut rng = Rng::new(3);
        for grid in [
            Grid { w: 70, h: 23 },
            Grid { w: 32, h: 9 },
            Grid { w: 5, h: 40 },
        ] {
            let mask: Vec<u32> = (0..grid.len())
                .map(|_| (rng.range(0.0, 1.0) < 0.3) as u32)
                .collect();
            for radius in [1, 2, 3, 7, 31, 32] {
                for dilate in [false, true] {
                    let got =
                        bits::unpack(&cpu(&bits::pack(&mask, grid), grid, radius, dilate), grid);
                    assert_eq!(
                        got,
                        by_definition(&mask, grid, radius, dilate),
                        "{grid:?} r={radius} dilate={dilate}"
                    );
                }
            }
        }
    }
}
