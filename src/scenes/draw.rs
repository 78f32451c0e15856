//! Scenes to pixels at any size. Edges are anti-aliased from exact distances, objects are shaded
//! and textured in their own frame (so a pattern turns with its object), and coverage composes
//! front to back so that each object's visible part is known exactly.

use super::{Background, Object, Scene, Texture, COLOURS};
use image::RgbaImage;
use std::sync::OnceLock;

const TEXTURES: [&[u8]; 3] = [
    include_bytes!("textures/brick.png"),
    include_bytes!("textures/grass.png"),
    include_bytes!("textures/gravel.png"),
];
pub const TEXTURE_COUNT: usize = TEXTURES.len();

/// The bundled textures as [0, 1] values, decoded once.
fn texture(i: usize) -> &'static image::ImageBuffer<image::Luma<f32>, Vec<f32>> {
    static DECODED: OnceLock<Vec<image::ImageBuffer<image::Luma<f32>, Vec<f32>>>> = OnceLock::new();
    &DECODED.get_or_init(|| {
        TEXTURES
            .iter()
            .map(|bytes| {
                image::load_from_memory(bytes)
                    .expect("bundled texture decodes")
                    .to_luma32f()
            })
            .collect()
    })[i]
}

fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    std::array::from_fn(|k| a[k] + (b[k] - a[k]) * t)
}

fn smooth(t: f32) -> f32 {
    t * t * (3.0 - 2.0 * t)
}

/// Mirrored-repeat bilinear lookup, so tiles meet without seams.
fn sample_texture(i: usize, u: f32, v: f32) -> f32 {
    let tex = texture(i);
    let (tw, th) = tex.dimensions();
    let mirror = |c: f32, n: u32| {
        let period = 2.0 * n as f32;
        let c = c.rem_euclid(period);
        if c >= n as f32 {
            period - c - 1.0
        } else {
            c
        }
    };
    let (x, y) = (
        mirror(u * tw as f32 - 0.5, tw),
        mirror(v * th as f32 - 0.5, th),
    );
    let (x0, y0) = (x.floor().max(0.0) as u32, y.floor().max(0.0) as u32);
    let (x1, y1) = ((x0 + 1).min(tw - 1), (y0 + 1).min(th - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let at = |x, y| tex.get_pixel(x, y).0[0];
    let top = at(x0, y0) + (at(x1, y0) - at(x0, y0)) * fx;
    let bottom = at(x0, y1) + (at(x1, y1) - at(x0, y1)) * fx;
    top + (bottom - top) * fy
}

/// The background colour at (u, v) in [0, 1]^2.
fn background(bg: &Background, u: f32, v: f32) -> [f32; 3] {
    match bg {
        Background::Flat(c) => *c,
        Background::Gradient { from, to, dir } => mix(
            *from,
            *to,
            ((u - 0.5) * dir[0] + (v - 0.5) * dir[1] + 0.5).clamp(0.0, 1.0),
        ),
        Background::Noise {
            from,
            to,
            grid,
            cells,
        } => {
            let n = *cells;
            let (x, y) = (u * n as f32, v * n as f32);
            let (x0, y0) = ((x as usize).min(n - 1), (y as usize).min(n - 1));
            let (fx, fy) = (smooth(x - x0 as f32), smooth(y - y0 as f32));
            let g = |i: usize, j: usize| grid[j * (n + 1) + i];
            let top = g(x0, y0) + (g(x0 + 1, y0) - g(x0, y0)) * fx;
            let bottom = g(x0, y0 + 1) + (g(x0 + 1, y0 + 1) - g(x0, y0 + 1)) * fx;
            mix(*from, *to, top + (bottom - top) * fy)
        }
        Background::Photo {
            texture,
            tint,
            scale,
            offset,
        } => {
            let t = sample_texture(*texture, u * scale + offset[0], v * scale + offset[1]);
            tint.map(|c| (c * (0.5 + 0.8 * t)).min(255.0))
        }
    }
}

/// The object's colour at `q` in its unit frame: light from the top left, and its texture.
fn surface(o: &Object, q: [f32; 2]) -> [f32; 3] {
    let base = COLOURS[o.colour].1.map(|c| c as f32);
    let light = match o.texture {
        Texture::Shaded => {
            (1.3 - 0.45 * ((q[0] + 0.35).powi(2) + (q[1] + 0.4).powi(2)).sqrt()).clamp(0.5, 1.3)
        }
        _ => 1.0 - 0.1 * (q[0] + q[1]),
    };
    let lit = base.map(|c| (c * light).min(255.0));
    match o.texture {
        Texture::Plain | Texture::Shaded => lit,
        Texture::Stripes => {
            let s = ((q[0] - q[1]) * 6.0).sin();
            lit.map(|c| c * (0.68 + 0.32 * (s * 3.0).clamp(-1.0, 1.0).mul_add(0.5, 0.5)))
        }
        Texture::Dots => {
            let cell = |c: f32| (c * 2.4 + 0.5).rem_euclid(1.0) - 0.5;
            let d = (cell(q[0]).powi(2) + cell(q[1]).powi(2)).sqrt();
            let dot = ((0.22 - d) * 14.0).clamp(0.0, 1.0);
            let lum = 0.3 * base[0] + 0.6 * base[1] + 0.1 * base[2];
            let ink = if lum > 150.0 { [40.0; 3] } else { [250.0; 3] };
            mix(lit, ink, 0.5 * dot)
        }
    }
}

/// An object placed on a w x h grid: where it is in pixels and which pixels it may touch.
struct Placed<'a> {
    object: &'a Object,
    centre: [f32; 2],
    radius: f32,
    cos: f32,
    sin: f32,
    x0: u32,
    x1: u32,
    y0: u32,
    y1: u32,
}

impl<'a> Placed<'a> {
    fn new(object: &'a Object, w: u32, h: u32) -> Placed<'a> {
        let radius = object.radius() * w.min(h) as f32;
        let centre = [object.centre[0] * w as f32, object.centre[1] * h as f32];
        let reach = 1.2 * radius + 1.0;
        let span = |c: f32, n: u32| {
            (
                ((c - reach).floor().max(0.0)) as u32,
                ((c + reach).ceil().max(0.0) as u32).min(n),
            )
        };
        let (x0, x1) = span(centre[0], w);
        let (y0, y1) = span(centre[1], h);
        Placed {
            object,
            centre,
            radius,
            cos: object.angle.cos(),
            sin: object.angle.sin(),
            x0,
            x1,
            y0,
            y1,
        }
    }

    /// The pixel's point in the object's unit frame.
    fn local(&self, x: u32, y: u32) -> [f32; 2] {
        let (dx, dy) = (
            x as f32 + 0.5 - self.centre[0],
            y as f32 + 0.5 - self.centre[1],
        );
        [
            (self.cos * dx + self.sin * dy) / self.radius,
            (-self.sin * dx + self.cos * dy) / self.radius,
        ]
    }

    /// Coverage of pixel (x, y) and the unit-frame point it was measured at.
    fn cover(&self, x: u32, y: u32) -> (f32, [f32; 2]) {
        if x < self.x0 || x >= self.x1 || y < self.y0 || y >= self.y1 {
            return (0.0, [0.0; 2]);
        }
        let q = self.local(x, y);
        (
            (0.5 - self.object.category.distance(q) * self.radius).clamp(0.0, 1.0),
            q,
        )
    }
}

/// The scene at `w` x `h`, opaque.
pub fn render(scene: &Scene, w: u32, h: u32) -> RgbaImage {
    let mut rgb: Vec<[f32; 3]> = Vec::with_capacity((w * h) as usize);
    for y in 0..h {
        let v = (y as f32 + 0.5) / h as f32;
        for x in 0..w {
            rgb.push(background(
                &scene.background,
                (x as f32 + 0.5) / w as f32,
                v,
            ));
        }
    }
    for object in &scene.objects {
        let p = Placed::new(object, w, h);
        for y in p.y0..p.y1 {
            for x in p.x0..p.x1 {
                let (c, q) = p.cover(x, y);
                if c > 0.0 {
                    let px = &mut rgb[(y * w + x) as usize];
                    *px = mix(*px, surface(object, q), c);
                }
            }
        }
    }
    RgbaImage::from_fn(w, h, |x, y| {
        let c = rgb[(y * w + x) as usize];
        image::Rgba([
            c[0].round() as u8,
            c[1].round() as u8,
            c[2].round() as u8,
            255,
        ])
    })
}

/// How much of each pixel object `index` covers where no object drawn after it hides it.
pub fn visible_cover(scene: &Scene, index: usize, w: u32, h: u32) -> Vec<f32> {
    let mut cover = vec![0.0f32; (w * h) as usize];
    let me = Placed::new(&scene.objects[index], w, h);
    let front: Vec<Placed> = scene.objects[index + 1..]
        .iter()
        .map(|o| Placed::new(o, w, h))
        .filter(|p| p.x0 < me.x1 && me.x0 < p.x1 && p.y0 < me.y1 && me.y0 < p.y1)
        .collect();
    for y in me.y0..me.y1 {
        for x in me.x0..me.x1 {
            let mut c = me.cover(x, y).0;
            for p in &front {
                if c == 0.0 {
                    break;
                }
                c *= 1.0 - p.cover(x, y).0;
            }
            cover[(y * w + x) as usize] = c;
        }
    }
    cover
}
