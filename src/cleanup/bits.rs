//! Binary masks one bit a pixel, as the threshold writes them and the open/close works on them:
//! each row starts a new word, bit j of a row's word k is the pixel at x = 32k + j, and the bits
//! past the row's end are 0. A word holds 32 pixels, so the morphology decides 32 at a time.

use crate::pixels::Grid;

/// Words a row takes.
pub fn row_words(w: u32) -> usize {
    w.div_ceil(32) as usize
}

/// Words a mask of `grid` takes.
pub fn len(grid: Grid) -> usize {
    row_words(grid.w) * grid.h as usize
}

/// The bits of word `k` of a row that lie inside the picture.
pub fn inside(w: u32, k: usize) -> u32 {
    let rest = w as usize - 32 * k;
    if rest >= 32 {
        u32::MAX
    } else {
        (1u32 << rest) - 1
    }
}

/// One row's words: the bits of the values that `set` picks.
pub fn pack_row(row: &[u32], out: &mut [u32], set: impl Fn(u32) -> bool) {
    for (chunk, word) in row.chunks(32).zip(out.iter_mut()) {
        *word = chunk
            .iter()
            .enumerate()
            .fold(0, |acc, (j, &v)| acc | (set(v) as u32) << j);
    }
}

/// Pack a mask of one word a pixel (nonzero = set).
pub fn pack(mask: &[u32], grid: Grid) -> Vec<u32> {
    let (w, rw) = (grid.w as usize, row_words(grid.w));
    let mut bits = vec![0u32; len(grid)];
    for (row, out) in mask.chunks_exact(w).zip(bits.chunks_exact_mut(rw)) {
        pack_row(row, out, |m| m != 0);
    }
    bits
}

/// One word a pixel (0 or 1) from packed bits.
pub fn unpack(bits: &[u32], grid: Grid) -> Vec<u32> {
    let (w, rw) = (grid.w as usize, row_words(grid.w));
    let mut mask = vec![0u32; grid.len()];
    for (row, words) in mask.chunks_exact_mut(w).zip(bits.chunks_exact(rw)) {
        for (chunk, &word) in row.chunks_mut(32).zip(words) {
            for (j, m) in chunk.iter_mut().enumerate() {
                *m = word >> j & 1;
            }
        }
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_round_trips_and_leaves_the_bits_past_a_row_clear() {
        let grid = Grid { w: 37, h: 3 };
        let mask: Vec<u32> = (0..grid.len() as u32)
            .map(|i| (i * 7 % 3 == 0) as u32)
            .collect();
        let bits = pack(&mask, grid);
        assert_eq!(bits.len(), 6);
        assert_eq!(unpack(&bits, grid), mask);
        for row in bits.chunks(2) {
            assert_eq!(row[1] & !inside(37, 1), 0);
        }
        assert_eq!(inside(37, 0), u32::MAX);
        assert_eq!(inside(37, 1), 0b11111);
        assert_eq!(inside(64, 1), u32::MAX);
    }
}
