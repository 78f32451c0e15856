//! Decoding (PNG, JPEG, WebP) with errors that say what is wrong with the file, and PNG encoding.
//! Pictures come out as they are displayed, as browsers show them: the EXIF orientation applied
//! and an embedded colour profile converted to sRGB.

use crate::error::{Error, Result};
use image::{DynamicImage, GrayImage, ImageDecoder, ImageFormat, ImageReader, RgbaImage};

/// The largest picture read, in pixels (for a file, checked from the header before any pixel is
/// read). In the browser two pictures and the stages' working copies share WebAssembly's 4 GB.
#[cfg(not(target_arch = "wasm32"))]
pub const MAX_PIXELS: u64 = 100_000_000;
#[cfg(target_arch = "wasm32")]
pub const MAX_PIXELS: u64 = 48_000_000;

/// Nothing, or the error that names a picture of `width` x `height` as too large.
pub fn check_size(what: &str, width: u32, height: u32) -> Result<()> {
    if width as u64 * height as u64 > MAX_PIXELS {
        return Err(Error::TooLarge {
            what: what.into(),
            width,
            height,
            limit: MAX_PIXELS,
        });
    }
    Ok(())
}

/// Decode an encoded image to RGBA8. `what` names the source in error messages.
pub fn decode(bytes: &[u8], what: &str) -> Result<RgbaImage> {
    if bytes.is_empty() {
        return Err(Error::ZeroSize(format!("{what} (empty file)")));
    }
    let format = image::guess_format(bytes).map_err(|_| Error::NotAnImage(what.into()))?;
    if !matches!(
        format,
        ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP
    ) {
        return Err(Error::NotAnImage(format!("{what} ({format:?})")));
    }
    if header_has_zero_size(bytes, format) {
        return Err(Error::ZeroSize(what.into()));
    }
    let corrupt = |e: image::ImageError| Error::Corrupt {
        what: what.into(),
        reason: e.to_string(),
    };
    let mut reader = ImageReader::with_format(std::io::Cursor::new(bytes), format);
    // The size is checked against MAX_PIXELS below, by name, instead of a memory limit.
    reader.no_limits();
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(Error::ZeroSize(what.into()));
    }
    check_size(what, width, height)?;
    // A file whose orientation tag cannot be read is shown as stored.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let profile = decoder.icc_profile().ok().flatten();
    let mut img = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    img.apply_orientation(orientation);
    let mut rgba = img.to_rgba8();
    if let Some(icc) = profile {
        to_srgb(&mut rgba, &icc);
    }
    Ok(rgba)
}

/// Pixels stored as an embedded RGB profile's values (Display P3 from phones, Adobe RGB from
/// cameras), converted to sRGB. A profile that is not RGB or cannot be read is ignored, as
/// browsers ignore it.
fn to_srgb(img: &mut RgbaImage, icc: &[u8]) {
    if icc.get(16..20) != Some(b"RGB ") {
        return;
    }
    let Some(profile) = qcms::Profile::new_from_slice(icc, false) else {
        return;
    };
    let mut srgb = qcms::Profile::new_sRGB();
    srgb.precache_output_transform();
    if let Some(transform) = qcms::Transform::new(
        &profile,
        &srgb,
        qcms::DataType::RGBA8,
        qcms::Intent::default(),
    ) {
        transform.apply(img);
    }
}

/// Read and decode an image file.
#[cfg(not(target_arch = "wasm32"))]
pub fn read(path: &std::path::Path) -> Result<RgbaImage> {
    decode(&crate::files::read(path)?, &path.display().to_string())
}

/// PNG and JPEG store the size in a fixed header; decoders reject a zero there with a generic
/// "invalid" message, so read it first to give the clearer error.
fn header_has_zero_size(bytes: &[u8], format: ImageFormat) -> bool {
    let be = |i: usize, n: usize| {
        bytes
            .get(i..i + n)
            .map(|b| b.iter().fold(0u32, |a, &x| a << 8 | x as u32))
    };
    match format {
        ImageFormat::Png if bytes.len() >= 24 => be(16, 4) == Some(0) || be(20, 4) == Some(0),
        ImageFormat::Jpeg => {
            // Walk the markers to the first start-of-frame segment.
            let mut i = 2;
            while i + 9 < bytes.len() && bytes[i] == 0xFF {
                let marker = bytes[i + 1];
                let len = be(i + 2, 2).unwrap_or(0) as usize;
                if (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
                    return be(i + 5, 2) == Some(0) || be(i + 7, 2) == Some(0);
                }
                i += 2 + len;
            }
            false
        }
        _ => false,
    }
}

/// PNG with fast compression: a 12 MP overlay encodes several times faster than at the
/// default level, for files about a third larger.
fn encode_png(bytes: &[u8], width: u32, height: u32, color: image::ExtendedColorType) -> Vec<u8> {
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    use image::ImageEncoder;
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive)
        .write_image(bytes, width, height, color)
        .expect("encoding to memory cannot fail");
    out
}

pub fn encode_png_gray(img: &GrayImage) -> Vec<u8> {
    encode_png(
        img.as_raw(),
        img.width(),
        img.height(),
        image::ExtendedColorType::L8,
    )
}

pub fn encode_png_rgba(img: &RgbaImage) -> Vec<u8> {
    encode_png(
        img.as_raw(),
        img.width(),
        img.height(),
        image::ExtendedColorType::Rgba8,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::metadata::Orientation;
    use image::ImageEncoder;

    /// A minimal little-endian EXIF block with one orientation entry.
    fn exif(orientation: u16) -> Vec<u8> {
        let mut e = b"II*\0".to_vec();
        e.extend(8u32.to_le_bytes());
        e.extend(1u16.to_le_bytes());
        e.extend(0x0112u16.to_le_bytes()); // Orientation
        e.extend(3u16.to_le_bytes()); // SHORT
        e.extend(1u32.to_le_bytes());
        e.extend((orientation as u32).to_le_bytes());
        e.extend(0u32.to_le_bytes());
        e
    }

    /// PNG's chunk checksum (CRC-32, polynomial 0xEDB88320).
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    fn png_with_orientation(img: &RgbaImage, orientation: u16) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = image::codecs::png::PngEncoder::new(&mut out);
        encoder.set_exif_metadata(exif(orientation)).unwrap();
        encoder
            .write_image(
                img.as_raw(),
                img.width(),
                img.height(),
                image::ExtendedColorType::Rgba8,
            )
            .unwrap();
        out
    }

    #[test]
    fn all_eight_exif_orientations_come_out_as_displayed() {
        let stored = RgbaImage::from_fn(3, 2, |x, y| {
            image::Rgba([x as u8 * 80, y as u8 * 200, 7, 255])
        });
        for tag in 1..=8u16 {
            let decoded = decode(&png_with_orientation(&stored, tag), "test").unwrap();
            let mut expected = DynamicImage::ImageRgba8(stored.clone());
            expected.apply_orientation(Orientation::from_exif(tag as u8).unwrap());
            assert_eq!(decoded, expected.to_rgba8(), "orientation {tag}");
        }
        // Orientation 6 (rotated 90 degrees clockwise to display) swaps the sides.
        assert_eq!(
            decode(&png_with_orientation(&stored, 6), "test")
                .unwrap()
                .dimensions(),
            (2, 3)
        );
    }

    #[test]
    fn a_header_over_the_pixel_limit_is_refused_by_size_before_decoding() {
        let mut png = encode_png_rgba(&RgbaImage::new(1, 1));
        // Claim 60000 x 60000 in the IHDR chunk, with its checksum made right again.
        png[16..20].copy_from_slice(&60000u32.to_be_bytes());
        png[20..24].copy_from_slice(&60000u32.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        let e = decode(&png, "huge.png").unwrap_err();
        assert!(
            matches!(
                e,
                Error::TooLarge {
                    width: 60000,
                    height: 60000,
                    ..
                }
            ),
            "{e:?}"
        );
        let text = e.to_string();
        assert!(
            text.contains("60000x60000") && text.contains("100 megapixels"),
            "{text}"
        );
    }
}
