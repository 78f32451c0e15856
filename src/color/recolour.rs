//! Recolouring a region: what a painter does to the object it names (the painter's edits, the
//! RefScenes targets and the benchmarks' editor-like edits all draw their paint here).

use image::RgbaImage;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// The object takes the paint's colour and keeps its own shading.
    Paint,
    /// The paint at half opacity over the object (how Ming draws "... with red mask").
    Overlay,
}

fn luminance(p: [u8; 4]) -> f32 {
    (0.2126 * p[0] as f32 + 0.7152 * p[1] as f32 + 0.0722 * p[2] as f32) / 255.0
}

/// `original` with the covered region (`cover`, one weight in [0, 1] a pixel) recoloured.
pub fn recolour(original: &RgbaImage, cover: &[f32], color: [u8; 3], style: Style) -> RgbaImage {
    let (sum, weight) = original
        .pixels()
        .zip(cover)
        .fold((0.0, 0.0), |(s, n), (p, &c)| {
            (s + c * luminance(p.0), n + c)
        });
    let mean = (sum / weight.max(1e-6)).max(0.05);
    let mut out = original.clone();
    for (i, p) in out.pixels_mut().enumerate() {
        let c = cover[i];
        if c == 0.0 {
            continue;
        }
        let painted: [f32; 3] = match style {
            Style::Paint => {
                let shade = (luminance(p.0) / mean).clamp(0.35, 1.5);
                color.map(|v| (v as f32 * shade).min(255.0))
            }
            Style::Overlay => std::array::from_fn(|k| 0.5 * p.0[k] as f32 + 0.5 * color[k] as f32),
        };
        for (v, paint) in p.0.iter_mut().zip(painted) {
            *v = (*v as f32 * (1.0 - c) + paint * c).round() as u8;
        }
    }
    out
}
