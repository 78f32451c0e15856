//! Editor-like edits with a known answer: paint a region of a photo (its shading kept, or the
//! paint at half opacity over it), then damage the result the way image editors do (tone drift, a
//! lighting change, re-synthesised texture and noise, a shift, their own output size, JPEG).
//! The quality benchmark, the tests and the demo's sample are built from these.

use crate::color::{self, Style};
use crate::rng::Rng;
use image::{GrayImage, Luma, RgbaImage};

/// A smooth blob: a star-shaped outline around a centre, as a coverage map in [0, 1].
pub fn blob(w: u32, h: u32, rng: &mut Rng) -> Vec<f32> {
    let side = w.min(h) as f32;
    let r = side * rng.range(0.12, 0.26);
    let cx = rng.range(r * 1.1, w as f32 - r * 1.1);
    let cy = rng.range(r * 1.1, h as f32 - r * 1.1);
    let waves: Vec<(f32, f32, f32)> = (2..5)
        .map(|k| {
            (
                k as f32,
                rng.range(0.0, 0.16),
                rng.range(0.0, std::f32::consts::TAU),
            )
        })
        .collect();
    let radius = |theta: f32| {
        r * (1.0
            + waves
                .iter()
                .map(|(k, a, phi)| a * (k * theta + phi).sin())
                .sum::<f32>())
    };
    let mut cover = vec![0.0f32; (w * h) as usize];
    const SUB: u32 = 4;
    for y in 0..h {
        for x in 0..w {
            let mut inside = 0;
            for sy in 0..SUB {
                for sx in 0..SUB {
                    let dx = x as f32 + (sx as f32 + 0.5) / SUB as f32 - cx;
                    let dy = y as f32 + (sy as f32 + 0.5) / SUB as f32 - cy;
                    if (dx * dx + dy * dy).sqrt() <= radius(dy.atan2(dx)) {
                        inside += 1;
                    }
                }
            }
            cover[(y * w + x) as usize] = inside as f32 / (SUB * SUB) as f32;
        }
    }
    cover
}

/// The ground truth for a coverage map: pixels at least half covered.
pub fn truth(cover: &[f32], w: u32, h: u32) -> GrayImage {
    GrayImage::from_fn(w, h, |x, y| {
        Luma([if cover[(y * w + x) as usize] >= 0.5 {
            255
        } else {
            0
        }])
    })
}

/// How hard an editor treats the pixels it was not asked to touch: 0 (not at all) to 3.
#[derive(Clone, Copy, Debug)]
pub struct Damage {
    pub level: u32,
}

impl Damage {
    /// Apply every kind of damage at this level, each drawn from `rng`.
    pub fn apply(&self, img: &RgbaImage, rng: &mut Rng) -> RgbaImage {
        if self.level == 0 {
            return img.clone();
        }
        let out = self.tone(img, rng);
        let (w, h) = img.dimensions();
        // A shift of a pixel or two.
        let shift = self.level.min(2) as i32;
        let (dx, dy) = (
            if rng.range(0.0, 1.0) < 0.5 {
                shift
            } else {
                -shift
            },
            if rng.range(0.0, 1.0) < 0.5 { shift } else { 0 },
        );
        let shifted = RgbaImage::from_fn(w, h, |x, y| {
            *out.get_pixel(
                (x as i32 - dx).clamp(0, w as i32 - 1) as u32,
                (y as i32 - dy).clamp(0, h as i32 - 1) as u32,
            )
        });
        // The editor's own output size: 1.5x, then a fixed square, then a smaller fixed square.
        let (ow, oh) = match self.level {
            1 => (w * 3 / 2, h * 3 / 2),
            2 => (1024, 1024),
            _ => (768, 768),
        };
        let resized =
            image::imageops::resize(&shifted, ow, oh, image::imageops::FilterType::CatmullRom);
        // JPEG at falling quality.
        jpeg_round_trip(&resized, self.quality())
    }

    /// The JPEG quality of an editor's answer at this level.
    pub fn quality(&self) -> u8 {
        [95, 85, 70, 50][self.level.min(3) as usize]
    }

    /// The damage to the pixels alone, in the picture's own frame: tone, lighting, texture and
    /// grain.
    pub fn tone(&self, img: &RgbaImage, rng: &mut Rng) -> RgbaImage {
        let s = self.level as f32 / 3.0;
        let (w, h) = img.dimensions();
        // Tone: gain and offset per channel. Lighting: a smooth ramp across the frame.
        let gain: [f32; 3] = std::array::from_fn(|_| 1.0 + rng.range(-0.15, 0.15) * s);
        let offset: [f32; 3] = std::array::from_fn(|_| rng.range(-12.0, 12.0) * s);
        let (lx, ly) = (rng.range(-0.2, 0.2) * s, rng.range(-0.2, 0.2) * s);
        // Re-synthesised texture: smooth noise a few pixels across, plus per-pixel grain.
        let texture = smooth_noise(w, h, 3.0, rng);
        let (tex_amp, grain) = (10.0 * s, 7.0 * s);
        let mut out = img.clone();
        for (x, y, p) in out.enumerate_pixels_mut() {
            let light = 1.0
                + lx * (x as f32 / w as f32 * 2.0 - 1.0)
                + ly * (y as f32 / h as f32 * 2.0 - 1.0);
            let t = texture[(y * w + x) as usize] * tex_amp;
            for k in 0..3 {
                let v = p.0[k] as f32 * gain[k] * light + offset[k] + t + rng.normal() * grain;
                p.0[k] = v.round().clamp(0.0, 255.0) as u8;
            }
        }
        out
    }
}

/// The frames editors answer in (issue-tracker reports and the providers' documentation): the
/// content stretched or zoomed per axis, cropped or extended at each side, turned a little, and
/// drifted unevenly by a few pixels, at the editor's own output size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Family {
    /// Scale per axis 0.85-1.15.
    Zoom,
    /// Each side cropped or extended by up to 10 %.
    Crop,
    /// A turn of up to 1 degree (and the zoom that keeps the corners filled).
    Turn,
    /// A smooth non-rigid drift of up to 4 px at the original's scale.
    Drift,
    /// All of them at once, within the same ranges.
    All,
}

impl Family {
    pub const ALL: [Family; 5] = [
        Family::Zoom,
        Family::Crop,
        Family::Turn,
        Family::Drift,
        Family::All,
    ];
}

/// One editor's frame: what the edit's pixel shows of the original.
#[derive(Clone, Debug)]
pub struct Frame {
    /// Content scale per axis against a plain stretch.
    pub scale: [f32; 2],
    /// Left, top, right, bottom: the share of the original cut away (negative: added).
    pub crop: [f32; 4],
    pub degrees: f32,
    /// Largest drift, in the original's pixels, and the field's phases.
    pub drift: f32,
    phases: [f32; 4],
    /// The editor's output size.
    pub size: (u32, u32),
}

impl Frame {
    pub fn random(family: Family, rng: &mut Rng) -> Frame {
        let pick = |rng: &mut Rng, on: bool, lo: f32, hi: f32, none: f32| {
            if on {
                rng.range(lo, hi)
            } else {
                none
            }
        };
        let all = family == Family::All;
        let zoom = all || family == Family::Zoom;
        let crop = all || family == Family::Crop;
        let turn = all || family == Family::Turn;
        let drift = all || family == Family::Drift;
        let sizes = [
            (1184, 896),
            (1024, 1024),
            (1248, 832),
            (1152, 896),
            (864, 1184),
        ];
        let size = sizes[(rng.next_u64() % 4) as usize];
        Frame {
            scale: [
                pick(rng, zoom, 0.85, 1.15, 1.0),
                pick(rng, zoom, 0.85, 1.15, 1.0),
            ],
            crop: std::array::from_fn(|_| pick(rng, crop, -0.1, 0.1, 0.0)),
            degrees: pick(rng, turn, -1.0, 1.0, 0.0),
            drift: pick(rng, drift, 2.0, 4.0, 0.0),
            phases: std::array::from_fn(|_| rng.range(0.0, std::f32::consts::TAU)),
            size,
        }
    }

    /// The original's point (on [0, 1]², pixel centres) the edit's point `v` shows, for an
    /// original of `w` x `h` pixels.
    pub fn source(&self, v: [f32; 2], w: f32, h: f32) -> [f32; 2] {
        let [l, t, r, b] = self.crop;
        let (cx, cy) = ((l + 1.0 - r) / 2.0, (t + 1.0 - b) / 2.0);
        // Offsets from the window's centre in the original's pixels.
        let dx = (v[0] - 0.5) * (1.0 - l - r) / self.scale[0] * w;
        let dy = (v[1] - 0.5) * (1.0 - t - b) / self.scale[1] * h;
        let (s, c) = self.degrees.to_radians().sin_cos();
        let (rx, ry) = (c * dx - s * dy, s * dx + c * dy);
        // A smooth field: a wave of a picture's length or so per axis.
        let p = self.phases;
        let tau = std::f32::consts::TAU;
        let ddx = self.drift
            * (0.7 * (tau * v[1] * 0.8 + p[0]).sin() + 0.3 * (tau * v[0] * 0.6 + p[1]).sin());
        let ddy = self.drift
            * (0.7 * (tau * v[0] * 0.7 + p[2]).sin() + 0.3 * (tau * v[1] * 0.5 + p[3]).sin());
        [cx + (rx + ddx) / w, cy + (ry + ddy) / h]
    }

    /// The picture as the editor answers it: each output pixel the bilinear sample of `img` at
    /// its source (the picture mirrored where the frame extends past it, as an editor would
    /// continue the scene).
    pub fn apply(&self, img: &RgbaImage) -> RgbaImage {
        let (w, h) = img.dimensions();
        let (ow, oh) = self.size;
        let mirror = |v: f32, n: u32| {
            let n = n as f32;
            let v = v.abs();
            let v = if v > n { 2.0 * n - v } else { v };
            v.clamp(0.0, n)
        };
        RgbaImage::from_fn(ow, oh, |x, y| {
            let v = [(x as f32 + 0.5) / ow as f32, (y as f32 + 0.5) / oh as f32];
            let u = self.source(v, w as f32, h as f32);
            let (fx, fy) = (
                mirror(u[0] * w as f32, w) - 0.5,
                mirror(u[1] * h as f32, h) - 0.5,
            );
            let (x0, y0) = (fx.floor(), fy.floor());
            let (tx, ty) = (fx - x0, fy - y0);
            let at = |x: f32, y: f32| {
                img.get_pixel(
                    (x.max(0.0) as u32).min(w - 1),
                    (y.max(0.0) as u32).min(h - 1),
                )
                .0
            };
            let (a, b, c, d) = (
                at(x0, y0),
                at(x0 + 1.0, y0),
                at(x0, y0 + 1.0),
                at(x0 + 1.0, y0 + 1.0),
            );
            image::Rgba(std::array::from_fn(|k| {
                let top = a[k] as f32 * (1.0 - tx) + b[k] as f32 * tx;
                let bottom = c[k] as f32 * (1.0 - tx) + d[k] as f32 * tx;
                (top * (1.0 - ty) + bottom * ty).round() as u8
            }))
        })
    }

    /// The original's pixels the frame shows (255): a pixel is seen when some edit pixel's
    /// source is within half a pixel of it, as the frame's border maps.
    pub fn seen(&self, w: u32, h: u32) -> GrayImage {
        // Mark each original pixel a dense grid of edit points lands on.
        let (ow, oh) = self.size;
        let mut seen = GrayImage::new(w, h);
        for y in 0..2 * oh {
            for x in 0..2 * ow {
                let v = [
                    (x as f32 + 0.5) / (2 * ow) as f32,
                    (y as f32 + 0.5) / (2 * oh) as f32,
                ];
                let u = self.source(v, w as f32, h as f32);
                let (px, py) = (u[0] * w as f32, u[1] * h as f32);
                if (0.0..w as f32).contains(&px) && (0.0..h as f32).contains(&py) {
                    seen.put_pixel(px as u32, py as u32, Luma([255]));
                }
            }
        }
        seen
    }
}

/// A case whose edit comes back in an editor's frame (`Frame::random(family)`): painted,
/// damaged at `level` in the original's frame, framed, then saved as JPEG at the level's
/// quality. The truth is the original's, as the mask must be; `seen` marks what the frame shows.
pub fn framed_case(
    name: &str,
    original: &RgbaImage,
    seed: u64,
    style: Style,
    level: u32,
    feather: f32,
    family: Family,
) -> (Case, Frame) {
    let mut case = feathered_case(name, original, seed, style, 0, feather);
    let mut rng = Rng::new(seed ^ 0x5eed_f4a3);
    let frame = Frame::random(family, &mut rng);
    let damage = Damage { level };
    let toned = if level == 0 {
        case.edited.clone()
    } else {
        damage.tone(&case.edited, &mut rng)
    };
    case.edited = jpeg_round_trip(&frame.apply(&toned), damage.quality());
    case.level = level;
    case.name = format!("{}-{family:?}-L{level}", case.name.trim_end_matches("-l0")).to_lowercase();
    (case, frame)
}

fn smooth_noise(w: u32, h: u32, sigma: f32, rng: &mut Rng) -> Vec<f32> {
    let raw = GrayImage::from_fn(w, h, |_, _| {
        Luma([(128.0 + 40.0 * rng.normal()).clamp(0.0, 255.0) as u8])
    });
    let blurred = image::imageops::blur(&raw, sigma);
    blurred
        .pixels()
        .map(|p| (p.0[0] as f32 - 128.0) / 40.0 * sigma)
        .collect()
}

pub fn jpeg_round_trip(img: &RgbaImage, quality: u8) -> RgbaImage {
    let rgb = image::DynamicImage::ImageRgba8(img.clone()).to_rgb8();
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(&rgb)
        .expect("encoding to memory cannot fail");
    image::load_from_memory(&bytes)
        .expect("our own JPEG decodes")
        .to_rgba8()
}

/// A whole benchmark case: the original, the editor's answer, the paint and the true mask.
pub struct Case {
    pub name: String,
    pub original: RgbaImage,
    pub edited: RgbaImage,
    pub color: String,
    pub style: Style,
    pub level: u32,
    /// The Gaussian sigma (pixels) the paint's edge fades over; 0 for a hard edge.
    pub feather: f32,
    pub truth: GrayImage,
}

/// The coverage map with its edge faded the way diffusion editors fade their paint: blurred
/// with a Gaussian of `sigma` pixels. Its 50% line stays where the hard edge was.
pub fn feathered(cover: &[f32], w: u32, h: u32, sigma: f32) -> Vec<f32> {
    if sigma <= 0.0 {
        return cover.to_vec();
    }
    let r = (3.0 * sigma).ceil() as i32;
    let weights: Vec<f32> = (-r..=r)
        .map(|d| (-(d * d) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f32 = weights.iter().sum();
    let pass = |src: &[f32], horizontal: bool| -> Vec<f32> {
        let (w, h) = (w as i32, h as i32);
        (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                (-r..=r)
                    .zip(&weights)
                    .map(|(d, k)| {
                        let (sx, sy) = if horizontal {
                            ((x + d).clamp(0, w - 1), y)
                        } else {
                            (x, (y + d).clamp(0, h - 1))
                        };
                        k * src[(sy * w + sx) as usize]
                    })
                    .sum::<f32>()
                    / total
            })
            .collect()
    };
    pass(&pass(cover, true), false)
}

/// The paint colours cases use, in turn; one too close to part of the region is skipped.
pub const COLORS: &[&str] = &[
    "purple", "red", "green", "blue", "yellow", "magenta", "cyan", "orange",
];

pub fn case(name: &str, original: &RgbaImage, seed: u64, style: Style, level: u32) -> Case {
    feathered_case(name, original, seed, style, level, 0.0)
}

/// A case whose paint fades over the object's edge (Gaussian `feather` sigma, in pixels); the
/// truth is still the pixels at least half covered, where the paint is at half strength.
pub fn feathered_case(
    name: &str,
    original: &RgbaImage,
    seed: u64,
    style: Style,
    level: u32,
    feather: f32,
) -> Case {
    let mut rng = Rng::new(seed);
    let (w, h) = original.dimensions();
    let cover = blob(w, h, &mut rng);
    // How far each colour is from the region's pixels; a user picks one that stands out from
    // nearly all of the object.
    let region: Vec<[f32; 3]> = original
        .pixels()
        .zip(&cover)
        .filter(|(_, &c)| c >= 0.5)
        .map(|(p, _)| color::lab_u8([p.0[0], p.0[1], p.0[2]]))
        .collect();
    let contrast = |name: &str| color::contrast(color::parse(name).expect("known colour"), &region);
    let start = rng.next_u64() as usize;
    let rotation = || (0..COLORS.len()).map(|i| COLORS[(start + i) % COLORS.len()]);
    let color = rotation().find(|c| contrast(c) > 25.0).unwrap_or_else(|| {
        rotation()
            .max_by(|a, b| contrast(a).total_cmp(&contrast(b)))
            .expect("colours")
    });
    let painted = color::recolour(
        original,
        &feathered(&cover, w, h, feather),
        color::parse(color).expect("known colour"),
        style,
    );
    let soft = if feather > 0.0 {
        format!("-f{feather:.1}")
    } else {
        String::new()
    };
    Case {
        name: format!("{name}-{seed}-{style:?}{soft}-L{level}").to_lowercase(),
        edited: Damage { level }.apply(&painted, &mut rng),
        original: original.clone(),
        color: color.into(),
        style,
        level,
        feather,
        truth: truth(&cover, w, h),
    }
}

/// A region with a ragged outline, the way a real object's is: the union of the photo's
/// superpixels (SLIC-style: k-means over position and CIELAB colour around a grid of seeds, cells
/// about `cell` pixels across) whose centres fall inside a random blob, as a coverage map.
pub fn ragged(original: &RgbaImage, cell: u32, rng: &mut Rng) -> Vec<f32> {
    let (w, h) = original.dimensions();
    let lab: Vec<[f32; 3]> = original
        .pixels()
        .map(|p| color::lab_u8([p.0[0], p.0[1], p.0[2]]))
        .collect();
    let s = cell as f32;
    let mut centres: Vec<[f32; 5]> = Vec::new();
    for cy in 0..h.div_ceil(cell) {
        for cx in 0..w.div_ceil(cell) {
            let (x, y) = (
                ((cx as f32 + 0.5) * s).min(w as f32 - 1.0),
                ((cy as f32 + 0.5) * s).min(h as f32 - 1.0),
            );
            let c = lab[(y as u32 * w + x as u32) as usize];
            centres.push([x, y, c[0], c[1], c[2]]);
        }
    }
    // Colour counts a CIELAB distance of 10 as much as a cell's width.
    let m = 10.0f32;
    let mut label = vec![0usize; (w * h) as usize];
    for _ in 0..4 {
        let mut best = vec![f32::MAX; label.len()];
        for (k, c) in centres.iter().enumerate() {
            let (x0, x1) = (
                (c[0] - 2.0 * s).max(0.0) as u32,
                ((c[0] + 2.0 * s) as u32).min(w - 1),
            );
            let (y0, y1) = (
                (c[1] - 2.0 * s).max(0.0) as u32,
                ((c[1] + 2.0 * s) as u32).min(h - 1),
            );
            for y in y0..=y1 {
                for x in x0..=x1 {
                    let i = (y * w + x) as usize;
                    let l = lab[i];
                    let d = ((x as f32 - c[0]).powi(2) + (y as f32 - c[1]).powi(2)) / (s * s)
                        + ((l[0] - c[2]).powi(2) + (l[1] - c[3]).powi(2) + (l[2] - c[4]).powi(2))
                            / (m * m);
                    if d < best[i] {
                        best[i] = d;
                        label[i] = k;
                    }
                }
            }
        }
        let mut sums = vec![[0.0f32; 6]; centres.len()];
        for (i, &k) in label.iter().enumerate() {
            let (x, y) = ((i as u32 % w) as f32, (i as u32 / w) as f32);
            let l = lab[i];
            for (a, v) in sums[k].iter_mut().zip([x, y, l[0], l[1], l[2], 1.0]) {
                *a += v;
            }
        }
        for (c, t) in centres.iter_mut().zip(&sums) {
            if t[5] > 0.0 {
                *c = std::array::from_fn(|j| t[j] / t[5]);
            }
        }
    }
    let blob = blob(w, h, rng);
    let chosen: Vec<bool> = centres
        .iter()
        .map(|c| blob[(c[1] as u32 * w + c[0] as u32) as usize] >= 0.5)
        .collect();
    label
        .iter()
        .map(|&k| if chosen[k] { 1.0 } else { 0.0 })
        .collect()
}

/// A case painted over a ragged region (`ragged`), its paint's edge hard or feathered.
pub fn ragged_case(
    name: &str,
    original: &RgbaImage,
    seed: u64,
    style: Style,
    level: u32,
    feather: f32,
) -> Case {
    let mut rng = Rng::new(seed);
    let (w, h) = original.dimensions();
    let cell = 10 + (seed % 3) as u32 * 4;
    let cover = ragged(original, cell, &mut rng);
    let region: Vec<[f32; 3]> = original
        .pixels()
        .zip(&cover)
        .filter(|(_, &c)| c >= 0.5)
        .map(|(p, _)| color::lab_u8([p.0[0], p.0[1], p.0[2]]))
        .collect();
    let contrast = |name: &str| color::contrast(color::parse(name).expect("known colour"), &region);
    let color = *COLORS
        .iter()
        .max_by(|a, b| contrast(a).total_cmp(&contrast(b)))
        .expect("colours");
    let painted = color::recolour(
        original,
        &feathered(&cover, w, h, feather),
        color::parse(color).expect("known colour"),
        style,
    );
    let soft = if feather > 0.0 {
        format!("-f{feather:.1}")
    } else {
        String::new()
    };
    Case {
        name: format!("{name}-{seed}-ragged{cell}-{style:?}{soft}-L{level}").to_lowercase(),
        edited: Damage { level }.apply(&painted, &mut rng),
        original: original.clone(),
        color: color.into(),
        style,
        level,
        feather,
        truth: truth(&cover, w, h),
    }
}
