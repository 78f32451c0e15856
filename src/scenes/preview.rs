//! A contact sheet of samples: each picture with its target outlined and its expression below,
//! for looking at what RefScenes draws.

use super::Sample;
use font8x8::{UnicodeFonts, BASIC_FONTS};
use image::{Rgba, RgbaImage};

const GLYPH: u32 = 8;
const LINE: u32 = 10;
const LINES: u32 = 4;

/// Word-wrap `text` to lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().expect("one line");
        if !last.is_empty() && last.len() + 1 + word.len() > width {
            lines.push(String::new());
        }
        let last = lines.last_mut().expect("one line");
        if !last.is_empty() {
            last.push(' ');
        }
        last.push_str(word);
    }
    lines
}

fn draw_text(sheet: &mut RgbaImage, text: &str, x: u32, y: u32) {
    for (k, c) in text.chars().enumerate() {
        let glyph = BASIC_FONTS
            .get(c)
            .or_else(|| BASIC_FONTS.get('?'))
            .expect("font has '?'");
        for (row, bits) in glyph.iter().enumerate() {
            for col in 0..GLYPH {
                let (px, py) = (x + k as u32 * GLYPH + col, y + row as u32);
                if bits >> col & 1 == 1 && px < sheet.width() && py < sheet.height() {
                    sheet.put_pixel(px, py, Rgba([20, 20, 20, 255]));
                }
            }
        }
    }
}

/// Samples in a grid of `cell`-pixel pictures, target outlined in a yellow and black dash.
pub fn contact_sheet(samples: &[Sample], cell: u32) -> RgbaImage {
    let columns = (samples.len() as f32).sqrt().ceil().max(1.0) as u32;
    let rows = (samples.len() as u32).div_ceil(columns).max(1);
    let (cw, ch) = (cell + 8, cell + 8 + LINES * LINE);
    let mut sheet = RgbaImage::from_pixel(columns * cw, rows * ch, Rgba([250, 250, 250, 255]));
    for (i, sample) in samples.iter().enumerate() {
        let (x0, y0) = ((i as u32 % columns) * cw + 4, (i as u32 / columns) * ch + 4);
        let t = sample.targets(cell, cell);
        let inside = |x: i32, y: i32| {
            x >= 0
                && y >= 0
                && x < cell as i32
                && y < cell as i32
                && t.mask.get_pixel(x as u32, y as u32).0[0] > 0
        };
        for (x, y, p) in t.image.enumerate_pixels() {
            let (xi, yi) = (x as i32, y as i32);
            let edge = inside(xi, yi)
                && [
                    (-2, 0),
                    (2, 0),
                    (0, -2),
                    (0, 2),
                    (-1, -1),
                    (1, 1),
                    (-1, 1),
                    (1, -1),
                ]
                .iter()
                .any(|(dx, dy)| !inside(xi + dx, yi + dy));
            let colour = match edge {
                true if (x + y) / 3 % 2 == 0 => Rgba([255, 230, 0, 255]),
                true => Rgba([0, 0, 0, 255]),
                false => *p,
            };
            sheet.put_pixel(x0 + x, y0 + y, colour);
        }
        let width = (cell / GLYPH) as usize;
        for (k, line) in wrap(&sample.expression, width)
            .iter()
            .take(LINES as usize)
            .enumerate()
        {
            draw_text(&mut sheet, line, x0, y0 + cell + 2 + k as u32 * LINE);
        }
    }
    sheet
}
