//! COCO segmentations to masks, exactly as pycocotools' `maskApi.c` does it: polygons are
//! rasterised through its 5x-upsampled boundary walk, RLE counts are column-major runs starting
//! with background, and compressed counts use its 6-bits-a-character code.

use image::{GrayImage, Luma};

/// Run lengths over the column-major pixels of an h x w image, starting with a background run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rle {
    pub h: u32,
    pub w: u32,
    pub counts: Vec<u32>,
}

impl Rle {
    /// Decode pycocotools' compressed counts string.
    pub fn from_compressed(s: &str, h: u32, w: u32) -> Result<Rle, String> {
        let bytes = s.as_bytes();
        let mut counts: Vec<u32> = Vec::new();
        let mut p = 0;
        while p < bytes.len() {
            let (mut x, mut k, mut more) = (0i64, 0u32, true);
            while more {
                let c = *bytes.get(p).ok_or("compressed RLE ends inside a number")? as i64 - 48;
                if !(0..64).contains(&c) {
                    return Err(format!(
                        "compressed RLE has a character outside '0'..'o' at {p}"
                    ));
                }
                x |= (c & 0x1f) << (5 * k);
                more = c & 0x20 != 0;
                p += 1;
                k += 1;
                if !more && (c & 0x10) != 0 {
                    x |= -1i64 << (5 * k);
                }
            }
            let m = counts.len();
            if m > 2 {
                x += counts[m - 2] as i64;
            }
            counts.push(x as u32);
        }
        Rle::new(h, w, counts)
    }

    /// Check that the runs cover the image exactly.
    pub fn new(h: u32, w: u32, counts: Vec<u32>) -> Result<Rle, String> {
        let total: u64 = counts.iter().map(|&c| c as u64).sum();
        if total != h as u64 * w as u64 {
            return Err(format!(
                "RLE runs cover {total} pixels, the image has {h}x{w} = {}",
                h as u64 * w as u64
            ));
        }
        Ok(Rle { h, w, counts })
    }

    /// The polygon `xy` (x0, y0, x1, y1, ...) as pycocotools' `rleFrPoly` encodes it. A polygon
    /// reaching further than the image's size outside it is first clipped to that margin (the
    /// same region inside the image, without walking edges millions of pixels long); one with a
    /// coordinate that is not a finite number covers nothing.
    pub fn from_polygon(xy: &[f64], h: u32, w: u32) -> Rle {
        const SCALE: f64 = 5.0;
        if xy.iter().any(|v| !v.is_finite()) {
            return Rle {
                h,
                w,
                counts: vec![h * w],
            };
        }
        let (lo, hi) = ([-(w as f64), -(h as f64)], [2.0 * w as f64, 2.0 * h as f64]);
        let outside = xy
            .chunks_exact(2)
            .any(|p| p[0] < lo[0] || p[1] < lo[1] || p[0] > hi[0] || p[1] > hi[1]);
        let clipped;
        let xy = if outside {
            clipped = clip(xy, lo, hi);
            &clipped
        } else {
            xy
        };
        let k = xy.len() / 2;
        // Upsample and walk the boundary densely.
        let up = |v: f64| (SCALE * v + 0.5) as i32;
        let mut x: Vec<i32> = (0..k).map(|j| up(xy[2 * j])).collect();
        let mut y: Vec<i32> = (0..k).map(|j| up(xy[2 * j + 1])).collect();
        if k > 0 {
            x.push(x[0]);
            y.push(y[0]);
        }
        let (mut u, mut v) = (Vec::new(), Vec::new());
        for j in 0..k {
            let (mut xs, mut xe, mut ys, mut ye) = (x[j], x[j + 1], y[j], y[j + 1]);
            let (dx, dy) = ((xe - xs).abs(), (ys - ye).abs());
            let flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
            if flip {
                std::mem::swap(&mut xs, &mut xe);
                std::mem::swap(&mut ys, &mut ye);
            }
            if dx >= dy {
                let s = if dx == 0 {
                    0.0
                } else {
                    (ye - ys) as f64 / dx as f64
                };
                for d in 0..=dx {
                    let t = if flip { dx - d } else { d };
                    u.push(t + xs);
                    v.push((ys as f64 + s * t as f64 + 0.5) as i32);
                }
            } else {
                let s = (xe - xs) as f64 / dy as f64;
                for d in 0..=dy {
                    let t = if flip { dy - d } else { d };
                    v.push(t + ys);
                    u.push((xs as f64 + s * t as f64 + 0.5) as i32);
                }
            }
        }
        // Points where the boundary crosses a pixel column, downsampled.
        let mut a: Vec<u32> = Vec::new();
        for j in 1..u.len() {
            if u[j] == u[j - 1] {
                continue;
            }
            let xd = (if u[j] < u[j - 1] { u[j] } else { u[j] - 1 }) as f64;
            let xd = (xd + 0.5) / SCALE - 0.5;
            if xd.floor() != xd || xd < 0.0 || xd > w as f64 - 1.0 {
                continue;
            }
            let yd = v[j].min(v[j - 1]) as f64;
            let yd = ((yd + 0.5) / SCALE - 0.5).clamp(0.0, h as f64).ceil();
            a.push((xd as i32 * h as i32 + yd as i32) as u32);
        }
        a.push(h * w);
        a.sort_unstable();
        let mut prev = 0;
        for t in a.iter_mut() {
            let cur = *t;
            *t -= prev;
            prev = cur;
        }
        // Zero-length runs merge their neighbours.
        let mut counts = vec![a[0]];
        let mut j = 1;
        while j < a.len() {
            if a[j] > 0 {
                counts.push(a[j]);
                j += 1;
            } else {
                j += 1;
                if j < a.len() {
                    *counts.last_mut().expect("not empty") += a[j];
                    j += 1;
                }
            }
        }
        Rle { h, w, counts }
    }

    /// Paint this RLE's foreground into `mask` (so several RLEs merge as a union).
    pub fn fill_into(&self, mask: &mut GrayImage) {
        let mut pos = 0u64;
        for (i, &run) in self.counts.iter().enumerate() {
            if i % 2 == 1 {
                for p in pos..pos + run as u64 {
                    let (x, y) = ((p / self.h as u64) as u32, (p % self.h as u64) as u32);
                    mask.put_pixel(x, y, Luma([255]));
                }
            }
            pos += run as u64;
        }
    }

    pub fn to_mask(&self) -> GrayImage {
        let mut mask = GrayImage::new(self.w, self.h);
        self.fill_into(&mut mask);
        mask
    }
}

/// One polygon that `Rle::from_polygon` turns back into exactly `mask` (pixels > 0), holes and
/// separate parts included: every boundary loop is traced along pixel edges (inside on the
/// right, so holes wind the other way), and the loops are chained by bridges that are walked
/// there and back, which cross every pixel column an even number of times and so add nothing.
/// Empty for an empty mask.
/// The polygon `xy` clipped to the box `lo`..`hi` (Sutherland-Hodgman, one side at a time).
fn clip(xy: &[f64], lo: [f64; 2], hi: [f64; 2]) -> Vec<f64> {
    let mut points: Vec<[f64; 2]> = xy.chunks_exact(2).map(|p| [p[0], p[1]]).collect();
    for (axis, bound, keep_below) in [
        (0, lo[0], false),
        (0, hi[0], true),
        (1, lo[1], false),
        (1, hi[1], true),
    ] {
        let inside = |p: &[f64; 2]| {
            if keep_below {
                p[axis] <= bound
            } else {
                p[axis] >= bound
            }
        };
        let mut out = Vec::with_capacity(points.len() + 4);
        for (i, cur) in points.iter().enumerate() {
            let prev = points[(i + points.len() - 1) % points.len()];
            if inside(cur) != inside(&prev) {
                let t = (bound - prev[axis]) / (cur[axis] - prev[axis]);
                let mut cut = [
                    prev[0] + t * (cur[0] - prev[0]),
                    prev[1] + t * (cur[1] - prev[1]),
                ];
                cut[axis] = bound;
                out.push(cut);
            }
            if inside(cur) {
                out.push(*cur);
            }
        }
        points = out;
        if points.is_empty() {
            break;
        }
    }
    points.into_iter().flatten().collect()
}

pub fn polygon_from_mask(mask: &GrayImage) -> Vec<f64> {
    let (w, h) = (mask.width() as i64, mask.height() as i64);
    let inside = |x: i64, y: i64| {
        x >= 0 && y >= 0 && x < w && y < h && mask.get_pixel(x as u32, y as u32).0[0] > 0
    };
    // Directions: 0 right, 1 down, 2 left, 3 up (y grows downwards).
    const STEP: [(i64, i64); 4] = [(1, 0), (0, 1), (-1, 0), (0, -1)];
    let corner = |x: i64, y: i64| (y * (w + 1) + x) as usize;
    // Outgoing boundary edges at each pixel corner, as a bit per direction.
    let mut out = vec![0u8; ((w + 1) * (h + 1)) as usize];
    for y in 0..h {
        for x in 0..w {
            if !inside(x, y) {
                continue;
            }
            if !inside(x, y - 1) {
                out[corner(x, y)] |= 1 << 0;
            }
            if !inside(x + 1, y) {
                out[corner(x + 1, y)] |= 1 << 1;
            }
            if !inside(x, y + 1) {
                out[corner(x + 1, y + 1)] |= 1 << 2;
            }
            if !inside(x - 1, y) {
                out[corner(x, y + 1)] |= 1 << 3;
            }
        }
    }
    let mut loops: Vec<Vec<(i64, i64)>> = Vec::new();
    for start in 0..out.len() {
        while out[start] != 0 {
            let (sx, sy) = (start as i64 % (w + 1), start as i64 / (w + 1));
            let (mut x, mut y) = (sx, sy);
            let mut dir = out[start].trailing_zeros() as usize;
            let mut vertices = vec![(sx, sy)];
            loop {
                out[corner(x, y)] &= !(1 << dir);
                (x, y) = (x + STEP[dir].0, y + STEP[dir].1);
                if (x, y) == (sx, sy) {
                    break;
                }
                // Turn right where possible: diagonal neighbours stay separate loops.
                let bits = out[corner(x, y)];
                let next = [(dir + 1) % 4, dir, (dir + 3) % 4]
                    .into_iter()
                    .find(|d| bits >> d & 1 == 1)
                    .expect("boundary loops close");
                if next != dir {
                    vertices.push((x, y));
                }
                dir = next;
            }
            loops.push(vertices);
        }
    }
    let mut path: Vec<(i64, i64)> = Vec::new();
    for l in &loops {
        path.extend(l);
        path.push(l[0]);
        if let Some(&hub) = loops.first().map(|f| &f[0]) {
            if l[0] != hub {
                path.push(hub);
            }
        }
    }
    path.into_iter()
        .flat_map(|(x, y)| [x as f64, y as f64])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_mask(w: u32, h: u32, seed: u64, density: f32) -> GrayImage {
        let mut rng = crate::rng::Rng::new(seed);
        GrayImage::from_fn(w, h, |_, _| {
            Luma([if rng.range(0.0, 1.0) < density {
                255
            } else {
                0
            }])
        })
    }

    #[test]
    fn traced_polygons_rasterise_back_to_the_same_mask_holes_and_all() {
        for seed in 0..200u64 {
            let (w, h) = (3 + (seed % 17) as u32, 2 + (seed % 13) as u32);
            let mask = random_mask(w, h, seed, [0.2, 0.5, 0.8][(seed % 3) as usize]);
            let polygon = polygon_from_mask(&mask);
            assert_eq!(
                Rle::from_polygon(&polygon, h, w).to_mask(),
                mask,
                "seed {seed}: {w}x{h}"
            );
        }
        let ring = GrayImage::from_fn(9, 9, |x, y| {
            Luma([
                if (2..7).contains(&x) && (2..7).contains(&y) && (x, y) != (4, 4) {
                    255
                } else {
                    0
                },
            ])
        });
        assert_eq!(
            Rle::from_polygon(&polygon_from_mask(&ring), 9, 9).to_mask(),
            ring
        );
        assert!(polygon_from_mask(&GrayImage::new(4, 4)).is_empty());
    }

    #[test]
    fn compressed_counts_decode_as_pycocotools_encodes_them() {
        // pycocotools.mask.encode of a 4x5 mask with a 2x2 square at (1, 1) gives b"52207".
        let mut m = GrayImage::new(5, 4);
        for (x, y) in [(1, 1), (2, 1), (1, 2), (2, 2)] {
            m.put_pixel(x, y, Luma([255]));
        }
        let rle = Rle::from_compressed("52207", 4, 5).unwrap();
        assert_eq!(rle.counts, vec![5, 2, 2, 2, 9]);
        assert_eq!(rle.to_mask(), m);
        assert!(Rle::from_compressed("52208", 4, 5).is_err());
    }
}
