//! Colour: the paint names an instruction may use (and `#rrggbb`), the paint that contrasts with
//! a picture, and CIELAB ([`lab`]), the space the change score works in.

pub mod lab;
mod recolour;

pub use lab::{lab, lab_u8, LabRow, LabTable};
pub use recolour::{recolour, Style};

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

fn unknown(text: &str) -> Error {
    Error::UnknownColor {
        given: text.into(),
        known: names().join(", "),
    }
}

/// Parse a colour name (case-insensitive) or `#rrggbb`.
pub fn parse(text: &str) -> Result<[u8; 3]> {
    let t = text.trim().to_ascii_lowercase();
    if let Some(hex) = t.strip_prefix('#') {
        if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            let v = u32::from_str_radix(hex, 16).expect("checked hex digits");
            return Ok([(v >> 16) as u8, (v >> 8) as u8, v as u8]);
        }
        return Err(unknown(text));
    }
    TABLE
        .iter()
        .find(|(name, _)| *name == t)
        .map(|(_, rgb)| *rgb)
        .ok_or_else(|| unknown(text))
}

/// The mean CIELAB chroma of a picture's pixels: 0 for a greyscale picture.
pub fn mean_chroma(picture: &image::RgbaImage) -> f32 {
    let n = (picture.width() as usize * picture.height() as usize).max(1);
    picture
        .pixels()
        .map(|p| {
            let [_, a, b] = lab_u8([p.0[0], p.0[1], p.0[2]]);
            (a * a + b * b).sqrt()
        })
        .sum::<f32>()
        / n as f32
}

/// The name [`parse`] reads as exactly this colour, if there is one.
pub fn name_of(rgb: [u8; 3]) -> Option<&'static str> {
    TABLE.iter().find(|(_, c)| *c == rgb).map(|(name, _)| *name)
}

/// The colour name nearest to `rgb` in CIELAB: how a colour picker's value is said to an
/// editor, which understands names, not hex.
pub fn nearest_name(rgb: [u8; 3]) -> &'static str {
    let p = lab_u8(rgb);
    TABLE
        .iter()
        .min_by(|a, b| {
            let d = |c: [u8; 3]| {
                let q = lab_u8(c);
                (0..3).map(|k| (p[k] - q[k]).powi(2)).sum::<f32>()
            };
            d(a.1).total_cmp(&d(b.1))
        })
        .map(|(name, _)| *name)
        .expect("colour names")
}

/// `#rrggbb`.
pub fn hex([r, g, b]: [u8; 3]) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
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
    most_contrasting(&pixels)
}

/// The default paint that stands out most from some pixels (given in CIELAB).
pub fn most_contrasting(pixels: &[[f32; 3]]) -> [u8; 3] {
    DEFAULT_PAINTS
        .iter()
        .map(|n| parse(n).expect("known paint"))
        .max_by(|a, b| contrast(*a, pixels).total_cmp(&contrast(*b, pixels)))
        .expect("paints")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_hex_parse_and_unknown_names_are_refused() {
        assert_eq!(parse("Purple").unwrap(), parse("violet").unwrap());
        assert_eq!(parse("#ff8000").unwrap(), [255, 128, 0]);
        assert!(matches!(parse("plaid"), Err(Error::UnknownColor { .. })));
        assert!(matches!(parse("#12345"), Err(Error::UnknownColor { .. })));
    }
}
