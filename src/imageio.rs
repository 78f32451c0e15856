//! Decoding (PNG, JPEG, WebP) with errors that say what is wrong with the file, and PNG encoding.

use crate::error::{Error, Result};
use image::{GrayImage, ImageFormat, RgbaImage};

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
    let img = image::load_from_memory_with_format(bytes, format).map_err(|e| Error::Corrupt {
        what: what.into(),
        reason: e.to_string(),
    })?;
    if img.width() == 0 || img.height() == 0 {
        return Err(Error::ZeroSize(what.into()));
    }
    Ok(img.to_rgba8())
}

/// Read and decode a file, telling a missing file apart from an unreadable one.
#[cfg(not(target_arch = "wasm32"))]
pub fn read(path: &std::path::Path) -> Result<RgbaImage> {
    let what = path.display().to_string();
    if !path.exists() {
        return Err(Error::FileMissing(what));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::Io {
        what: what.clone(),
        reason: e.to_string(),
    })?;
    decode(&bytes, &what)
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

pub fn encode_png_gray(img: &GrayImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)
        .expect("encoding to memory cannot fail");
    out.into_inner()
}

pub fn encode_png_rgba(img: &RgbaImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)
        .expect("encoding to memory cannot fail");
    out.into_inner()
}
