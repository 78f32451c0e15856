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
const XYZ: [[f32; 3]; 3] = [
    [0.433_890_6, 0.376_234_92, 0.189_906_05],
    [0.2126, 0.7152, 0.0722],
    [0.017_725_45, 0.109_475_31, 0.872_955_4],
];

#[inline(always)]
fn xyz(rgb: [f32; 3]) -> [f32; 3] {
    XYZ.map(|m| m[0] * rgb[0] + m[1] * rgb[1] + m[2] * rgb[2])
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
    /// Whether rows convert in 512-bit vectors (`wide`): AVX-512F, checked once.
    #[cfg(target_arch = "x86_64")]
    wide: bool,
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
            #[cfg(target_arch = "x86_64")]
            wide: std::arch::is_x86_feature_detected!("avx512f"),
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
        #[cfg(target_arch = "x86_64")]
        if self.wide {
            // SAFETY: `wide` is set only where the CPU has AVX-512F.
            return unsafe { wide::row(&self.linear, pixels, l, a, b) };
        }
        // Four at a time in WebAssembly's 128-bit vectors, the rest one by one.
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        let done = simd128::row(&self.linear, pixels, l, a, b);
        #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
        let done = 0;
        for i in done..n {
            [l[i], a[i], b[i]] = self.lab(pixels[i]);
        }
    }
}

/// `LabTable::row` sixteen pixels at a time in 512-bit vectors, the same operations in the same
/// order as `LabTable::lab` (so the same bits). Compilers keep their own loops at 256 bits on
/// most CPUs that have AVX-512, and this conversion is most of the score's time.
#[cfg(target_arch = "x86_64")]
mod wide {
    use super::{KNEE, XYZ};
    use std::arch::x86_64::*;

    /// Converts all of `pixels`, the last few under a mask.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn row(
        linear: &[f32; 256],
        pixels: &[u32],
        l: &mut [f32],
        a: &mut [f32],
        b: &mut [f32],
    ) {
        let n = pixels.len();
        assert!(l.len() >= n && a.len() >= n && b.len() >= n);
        let c = |v: f32| _mm512_set1_ps(v);
        let (mul, add, sub) = (_mm512_mul_ps, _mm512_add_ps, _mm512_sub_ps);
        let byte = _mm512_set1_epi32(255);
        let f = |t: __m512| {
            // `cube_root`: the exponent-bits guess (u32 / 3 exactly, by the multiply-high that
            // compilers use), three Newton steps, t r².
            let bits = _mm512_castps_si512(_mm512_max_ps(t, c(KNEE)));
            let magic = _mm512_set1_epi32(0xAAAA_AAABu32 as i32);
            let even = _mm512_srli_epi64::<33>(_mm512_mul_epu32(bits, magic));
            let odd = _mm512_mul_epu32(_mm512_srli_epi64::<32>(bits), magic);
            let third =
                _mm512_or_si512(even, _mm512_slli_epi64::<32>(_mm512_srli_epi64::<33>(odd)));
            let x = _mm512_castsi512_ps(bits);
            let mut r =
                _mm512_castsi512_ps(_mm512_sub_epi32(_mm512_set1_epi32(0x54a2_1d2a), third));
            for _ in 0..3 {
                let cube = mul(mul(mul(x, r), r), r);
                r = mul(mul(r, sub(c(4.0), cube)), c(1.0 / 3.0));
            }
            let root = mul(mul(x, r), r);
            let line = add(mul(c(7.787), t), c(16.0 / 116.0));
            _mm512_mask_blend_ps(_mm512_cmp_ps_mask::<_CMP_GT_OQ>(t, c(KNEE)), line, root)
        };
        for i in (0..n).step_by(16) {
            // SAFETY: the mask keeps loads and stores within every slice; indices are bytes,
            // within the table.
            let mask = (u32::MAX >> (32 - (n - i).min(16))) as u16;
            let p = unsafe { _mm512_maskz_loadu_epi32(mask, pixels.as_ptr().add(i).cast()) };
            let channel = |shift: __m512i| {
                let index = _mm512_and_si512(_mm512_srlv_epi32(p, shift), byte);
                unsafe { _mm512_i32gather_ps::<4>(index, linear.as_ptr().cast()) }
            };
            let rgb = [0, 8, 16].map(|s| channel(_mm512_set1_epi32(s)));
            let [x, y, z] = XYZ.map(|m| {
                add(
                    add(mul(c(m[0]), rgb[0]), mul(c(m[1]), rgb[1])),
                    mul(c(m[2]), rgb[2]),
                )
            });
            let (fx, fy, fz) = (f(x), f(y), f(z));
            let lab = [
                sub(mul(c(116.0), fy), c(16.0)),
                mul(c(500.0), sub(fx, fy)),
                mul(c(200.0), sub(fy, fz)),
            ];
            for (out, v) in [&mut *l, &mut *a, &mut *b].into_iter().zip(lab) {
                unsafe { _mm512_mask_storeu_ps(out.as_mut_ptr().add(i), mask, v) };
            }
        }
    }
}

/// `LabTable::row` four pixels at a time in WebAssembly's 128-bit vectors, the same operations
/// in the same order as `LabTable::lab` (so the same bits): compilers leave a loop with table
/// lookups scalar there. Returns how many pixels it converted (a multiple of four).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128 {
    use super::{KNEE, XYZ};
    use std::arch::wasm32::*;

    pub(super) fn row(
        linear: &[f32; 256],
        pixels: &[u32],
        l: &mut [f32],
        a: &mut [f32],
        b: &mut [f32],
    ) -> usize {
        let c = f32x4_splat;
        let f = |t: v128| {
            // `cube_root`: the exponent-bits guess, three Newton steps, t r². The guess needs
            // bits / 3 rounded down, without 64-bit multiplies (several instructions each here):
            // a positive float's bits are hi 2^16 + lo under 2^31, and as 65536 = 3 21845 + 1,
            // bits / 3 = hi 21845 + (hi + lo) / 3. That second quotient, of a number under 2^17,
            // comes exactly from floats: a third less than the true quotient has a fraction of
            // -1/3, 0 or 1/3, and adding 2^23 rounds it to the integer in the low bits.
            // `pmax` is one instruction; `f32x4_max` keeps Rust's rule for NaN (never met here)
            // with a call per lane.
            let x = f32x4_pmax(t, c(KNEE));
            let (hi, lo) = (u32x4_shr(x, 16), v128_and(x, u32x4_splat(0xffff)));
            let sum = f32x4_convert_i32x4(i32x4_add(hi, lo));
            let rounded = f32x4_add(
                f32x4_sub(f32x4_mul(sum, c(1.0 / 3.0)), c(1.0 / 3.0)),
                c(8_388_608.0),
            );
            let third = i32x4_add(
                i32x4_mul(hi, u32x4_splat(21845)),
                v128_and(rounded, u32x4_splat(0x7f_ffff)),
            );
            let mut r = i32x4_sub(u32x4_splat(0x54a2_1d2a), third);
            for _ in 0..3 {
                let cube = f32x4_mul(f32x4_mul(f32x4_mul(x, r), r), r);
                r = f32x4_mul(f32x4_mul(r, f32x4_sub(c(4.0), cube)), c(1.0 / 3.0));
            }
            let root = f32x4_mul(f32x4_mul(x, r), r);
            let line = f32x4_add(f32x4_mul(c(7.787), t), c(16.0 / 116.0));
            v128_bitselect(root, line, f32x4_gt(t, c(KNEE)))
        };
        let at = |p: &[u32], shift: u32| {
            let v = |k: usize| linear[(p[k] >> shift & 255) as usize];
            f32x4(v(0), v(1), v(2), v(3))
        };
        for (((p, l), a), b) in pixels
            .chunks_exact(4)
            .zip(l.chunks_exact_mut(4))
            .zip(a.chunks_exact_mut(4))
            .zip(b.chunks_exact_mut(4))
        {
            let rgb = [at(p, 0), at(p, 8), at(p, 16)];
            let [x, y, z] = XYZ.map(|m| {
                f32x4_add(
                    f32x4_add(f32x4_mul(c(m[0]), rgb[0]), f32x4_mul(c(m[1]), rgb[1])),
                    f32x4_mul(c(m[2]), rgb[2]),
                )
            });
            let (fx, fy, fz) = (f(x), f(y), f(z));
            let lab = [
                f32x4_sub(f32x4_mul(c(116.0), fy), c(16.0)),
                f32x4_mul(c(500.0), f32x4_sub(fx, fy)),
                f32x4_mul(c(200.0), f32x4_sub(fy, fz)),
            ];
            for (out, v) in [l, a, b].into_iter().zip(lab) {
                // SAFETY: `out` is a chunk of four f32s, 16 bytes; v128_store needs no alignment.
                unsafe { v128_store(out.as_mut_ptr().cast(), v) };
            }
        }
        pixels.len() / 4 * 4
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
        // A row converts as its pixels do one by one (in 512-bit vectors where the CPU has
        // them), knee and extremes included: a million colours, and rows of lengths with every
        // remainder mod 16.
        let pixels: Vec<u32> = (0..1u32 << 20)
            .map(|v| v.wrapping_mul(2_654_435_761))
            .collect();
        let pixels = [&pixels[..], &[0, 0x00ff_ffff, 0x0003_0201, 0x0009_0909]].concat();
        let mut row = LabRow::default();
        let short = (0..16).map(|k| &pixels[3..][..100 + k]);
        for part in std::iter::once(&pixels[..]).chain(short) {
            table.row(part, &mut row);
            for (i, &p) in part.iter().enumerate() {
                assert_eq!(
                    [row.l[i], row.a[i], row.b[i]],
                    table.lab(p),
                    "pixel {p:08x}"
                );
            }
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
