//! Paint colours (names and `#rrggbb`) and the CIELAB conversion the change score works in.

use crate::error::{Error, Result};

/// Colour names an instruction may use, with the sRGB value an editor is expected to paint.
const TABLE: &[(&str, [u8; 3])] = &[
    ("red", [230, 30, 30]),
    ("green", [30, 200, 40]),
    ("blue", [30, 60, 230]),
    ("yellow", [250, 220, 20]),
    ("purple", [140, 40, 200]),
    ("violet", [140, 40, 200]),
    ("magenta", [235, 30, 200]),
    ("pink", [250, 120, 190]),
    ("cyan", [20, 220, 230]),
    ("orange", [250, 140, 20]),
    ("white", [250, 250, 250]),
    ("black", [10, 10, 10]),
    ("gray", [128, 128, 128]),
    ("grey", [128, 128, 128]),
    ("brown", [140, 80, 30]),
];

/// The colour names `parse` accepts.
pub fn names() -> Vec<&'static str> {
    TABLE.iter().map(|(name, _)| *name).collect()
}

/// Parse a colour name (case-insensitive) or `#rrggbb`.
pub fn parse(text: &str) -> Result<[u8; 3]> {
    let t = text.trim().to_ascii_lowercase();
    if let Some(hex) = t.strip_prefix('#') {
        if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            let v = u32::from_str_radix(hex, 16).expect("checked hex digits");
            return Ok([(v >> 16) as u8, (v >> 8) as u8, v as u8]);
        }
        return Err(Error::UnknownColor(text.into()));
    }
    TABLE
        .iter()
        .find(|(name, _)| *name == t)
        .map(|(_, rgb)| *rgb)
        .ok_or_else(|| Error::UnknownColor(text.into()))
}

fn srgb_to_linear(c: f32) -> f32 {
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

fn lab_f(t: f32) -> f32 {
    if t > 0.008856 {
        t.cbrt()
    } else {
        7.787 * t + 16.0 / 116.0
    }
}

/// sRGB in [0,1] to CIELAB (D65). `shaders/score.wgsl` has the same function.
pub fn lab(rgb: [f32; 3]) -> [f32; 3] {
    let [r, g, b] = rgb.map(srgb_to_linear);
    let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
    let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
    let (fx, fy, fz) = (lab_f(x), lab_f(y), lab_f(z));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

pub fn lab_u8(rgb: [u8; 3]) -> [f32; 3] {
    lab(rgb.map(|c| c as f32 / 255.0))
}

/// How much a paint stands out from some pixels (given in CIELAB): the distance all but the
/// nearest 5% of them keep from it.
pub fn contrast(paint: [u8; 3], pixels: &[[f32; 3]]) -> f32 {
    let p = lab_u8(paint);
    let mut d: Vec<f32> = pixels
        .iter()
        .map(|q| (0..3).map(|k| (p[k] - q[k]).powi(2)).sum::<f32>().sqrt())
        .collect();
    d.sort_by(f32::total_cmp);
    d.get(d.len() / 20).copied().unwrap_or(0.0)
}

/// Paints chosen for an instruction that names none, strongest first.
const DEFAULT_PAINTS: &[&str] = &[
    "magenta", "cyan", "yellow", "green", "red", "blue", "orange", "purple",
];

/// The paint that stands out most from an image: what "segment X" paints with.
pub fn contrasting(image: &image::RgbaImage) -> [u8; 3] {
    let step = (image.len() / 4 / 1024).max(1);
    let pixels: Vec<[f32; 3]> = image
        .pixels()
        .step_by(step)
        .map(|p| lab_u8([p.0[0], p.0[1], p.0[2]]))
        .collect();
    DEFAULT_PAINTS
        .iter()
        .map(|n| parse(n).expect("known paint"))
        .max_by(|a, b| contrast(*a, &pixels).total_cmp(&contrast(*b, &pixels)))
        .expect("paints")
}

/// `lab` for 8-bit pixels by table: the sRGB decoding is exact (256 inputs) and the cube root is
/// interpolated (error under 1e-4 in L), several times faster than `powf` and `cbrt` per pixel.
pub struct LabTable {
    linear: [f32; 256],
    root: Vec<f32>,
}

/// Cube-root table steps over [0, ROOT_MAX].
const ROOT_STEPS: usize = 4096;
const ROOT_MAX: f32 = 1.25;

impl LabTable {
    pub fn new() -> LabTable {
        LabTable {
            linear: std::array::from_fn(|i| srgb_to_linear(i as f32 / 255.0)),
            root: (0..=ROOT_STEPS + 1)
                .map(|i| lab_f(i as f32 * ROOT_MAX / ROOT_STEPS as f32))
                .collect(),
        }
    }

    fn f(&self, t: f32) -> f32 {
        if t <= 0.008856 {
            return lab_f(t);
        }
        let pos = (t * (ROOT_STEPS as f32 / ROOT_MAX)).min(ROOT_STEPS as f32);
        let i = pos as usize;
        let frac = pos - i as f32;
        self.root[i] + (self.root[i + 1] - self.root[i]) * frac
    }

    /// CIELAB of a packed RGBA8 pixel.
    pub fn lab(&self, p: u32) -> [f32; 3] {
        let [r, g, b, _] = p.to_le_bytes().map(|c| self.linear[c as usize]);
        let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
        let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
        let (fx, fy, fz) = (self.f(x), self.f(y), self.f(z));
        [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
    }
}

impl Default for LabTable {
    fn default() -> Self {
        LabTable::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_hex_parse_and_unknown_names_are_refused() {
        assert_eq!(parse("Purple").unwrap(), parse("violet").unwrap());
        assert_eq!(parse("#ff8000").unwrap(), [255, 128, 0]);
        assert!(matches!(parse("plaid"), Err(Error::UnknownColor(_))));
        assert!(matches!(parse("#12345"), Err(Error::UnknownColor(_))));
    }

    #[test]
    fn the_lab_table_agrees_with_the_exact_conversion() {
        let table = LabTable::new();
        let mut worst = 0.0f32;
        for v in (0..1 << 24).step_by(997) {
            let rgb = [(v & 255) as u8, (v >> 8 & 255) as u8, (v >> 16) as u8];
            let (a, b) = (
                lab_u8(rgb),
                table.lab(u32::from_le_bytes([rgb[0], rgb[1], rgb[2], 255])),
            );
            worst = (0..3).map(|k| (a[k] - b[k]).abs()).fold(worst, f32::max);
        }
        assert!(worst < 0.01, "{worst}");
    }

    #[test]
    fn lab_of_white_and_black_is_the_reference() {
        let w = lab([1.0, 1.0, 1.0]);
        assert!(
            (w[0] - 100.0).abs() < 0.1 && w[1].abs() < 0.5 && w[2].abs() < 0.5,
            "{w:?}"
        );
        assert!(lab([0.0; 3])[0].abs() < 1e-3);
    }
}
