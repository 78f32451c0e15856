//! CIELAB (D65) from sRGB: exact per colour, and by table for 8-bit pixels.

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

/// CIE XYZ over the D65 white point's, from linear RGB (the division folded into the matrix).
#[inline(always)]
fn xyz([r, g, b]: [f32; 3]) -> [f32; 3] {
    [
        0.433_890_6 * r + 0.376_234_92 * g + 0.189_906_05 * b,
        0.2126 * r + 0.7152 * g + 0.0722 * b,
        0.017_725_45 * r + 0.109_475_31 * g + 0.872_955_4 * b,
    ]
}

/// sRGB in [0,1] to CIELAB (D65). `shaders/prelude.wgsl` has the same function.
pub fn lab(rgb: [f32; 3]) -> [f32; 3] {
    let [x, y, z] = xyz(rgb.map(srgb_to_linear));
    let (fx, fy, fz) = (lab_f(x), lab_f(y), lab_f(z));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

pub fn lab_u8(rgb: [u8; 3]) -> [f32; 3] {
    lab(rgb.map(|c| c as f32 / 255.0))
}

/// `lab` for 8-bit pixels: the sRGB decoding by table (256 inputs, exact) and the cube root by
/// Newton steps (`cube_root`, error under 1e-6), so a row of pixels converts
/// with vector instructions (`row`), several times faster than `powf` and `cbrt` per pixel.
pub struct LabTable {
    linear: [f32; 256],
}

/// CIELAB of a row of pixels, a slice per channel.
#[derive(Clone, Debug, Default)]
pub struct LabRow {
    pub l: Vec<f32>,
    pub a: Vec<f32>,
    pub b: Vec<f32>,
}

/// Below this, `lab_f` is linear.
const KNEE: f32 = 0.008856;

/// The cube root of t in [KNEE, 2]: the inverse cube root from an exponent-bits guess (within
/// 4%), three Newton steps of multiplies only (each squares the relative error: under 1e-6),
/// then t r². Divisions cost several multiplies on CPUs and more on emulated GPUs.
#[inline(always)]
fn cube_root(t: f32) -> f32 {
    let mut r = f32::from_bits(0x54a2_1d2a - t.to_bits() / 3);
    for _ in 0..3 {
        r = r * (4.0 - t * r * r * r) * (1.0 / 3.0);
    }
    t * r * r
}

/// `lab_f` without a branch, so loops over it vectorise.
#[inline(always)]
fn fast_f(t: f32) -> f32 {
    let root = cube_root(t.max(KNEE));
    if t > KNEE {
        root
    } else {
        7.787 * t + 16.0 / 116.0
    }
}

impl LabTable {
    pub fn new() -> LabTable {
        LabTable {
            linear: std::array::from_fn(|i| srgb_to_linear(i as f32 / 255.0)),
        }
    }

    /// Linear light per sRGB byte value.
    pub fn linear(&self) -> &[f32; 256] {
        &self.linear
    }

    /// CIELAB of a packed RGBA8 pixel.
    #[inline(always)]
    pub fn lab(&self, p: u32) -> [f32; 3] {
        let r = self.linear[(p & 255) as usize];
        let g = self.linear[(p >> 8 & 255) as usize];
        let b = self.linear[(p >> 16 & 255) as usize];
        let [x, y, z] = xyz([r, g, b]);
        let (fx, fy, fz) = (fast_f(x), fast_f(y), fast_f(z));
        [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
    }

    /// CIELAB of each of `pixels` into `out` (resized to fit).
    pub fn row(&self, pixels: &[u32], out: &mut LabRow) {
        let n = pixels.len();
        for v in [&mut out.l, &mut out.a, &mut out.b] {
            v.resize(n, 0.0);
        }
        let (l, a, b) = (&mut out.l[..n], &mut out.a[..n], &mut out.b[..n]);
        for i in 0..n {
            [l[i], a[i], b[i]] = self.lab(pixels[i]);
        }
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
    fn the_fast_conversion_agrees_with_the_exact_one_pixel_by_pixel_and_by_rows() {
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
        // A row converts as its pixels do one by one, knee and extremes included.
        let pixels: Vec<u32> = (0..4096u32)
            .map(|v| v.wrapping_mul(2_654_435_761))
            .collect();
        let pixels = [&pixels[..], &[0, 0x00ff_ffff, 0x0003_0201, 0x0009_0909]].concat();
        let mut row = LabRow::default();
        table.row(&pixels, &mut row);
        for (i, &p) in pixels.iter().enumerate() {
            assert_eq!(
                [row.l[i], row.a[i], row.b[i]],
                table.lab(p),
                "pixel {p:08x}"
            );
        }
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
