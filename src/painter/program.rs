//! From perception maps to the named object: find the objects in the maps ([`detect`]), then
//! carry out what the expression means over them ([`pick`]), the way RefScenes' resolver reads a
//! scene, but choosing the one best object where the resolver lists every near miss.

use super::perceive::{CATEGORIES, COLOUR_CLASSES, OFFSET_UNIT, SIZE_CLASSES};
use crate::scenes::refer::{self, Corner, Description, Side, SizeWord};
use crate::scenes::{Category, Meaning};

/// One object found in the maps.
#[derive(Clone, Debug)]
pub struct Found {
    /// Mean class probabilities over the object's pixels.
    pub category: [f32; CATEGORIES],
    pub colour: [f32; COLOUR_CLASSES],
    /// Expected size class (0 small .. 2 large).
    pub size: f32,
    /// Centre in [0, 1] x [0, 1], from the pixels' votes (so a partly hidden object keeps its
    /// own centre).
    pub centre: [f32; 2],
    /// Pixel indices (row-major at the maps' size).
    pub pixels: Vec<usize>,
}

impl Found {
    fn is(&self, category: Category) -> f32 {
        self.category[1 + Category::ALL
            .iter()
            .position(|c| *c == category)
            .unwrap_or(0)]
    }

    fn best_category(&self) -> usize {
        argmax(&self.category)
    }

    fn best_colour(&self) -> usize {
        argmax(&self.colour)
    }
}

fn argmax(v: &[f32]) -> usize {
    (0..v.len())
        .max_by(|&a, &b| v[a].total_cmp(&v[b]))
        .unwrap_or(0)
}

/// Perception maps of one picture, channel-major: [`CATEGORIES`] category probabilities,
/// [`COLOUR_CLASSES`] colour probabilities, [`SIZE_CLASSES`] size probabilities, 2 offsets.
pub struct Maps<'a> {
    pub values: &'a [f32],
    pub side: usize,
}

impl Maps<'_> {
    fn at(&self, channel: usize, i: usize) -> f32 {
        self.values[channel * self.side * self.side + i]
    }
}

/// Votes closer than this (pixels) to a peak belong to the same object.
const PEAK_RADIUS: i32 = 3;
/// Objects smaller than this many pixels are noise.
const MIN_PIXELS: usize = 4;

/// Objects in the maps: pixels are grouped by category into connected regions, and a region is
/// split where its pixels vote for different centres (two touching objects of one kind).
pub fn detect(maps: &Maps) -> Vec<Found> {
    let side = maps.side;
    let n = side * side;
    let label: Vec<usize> = (0..n)
        .map(|i| {
            (0..CATEGORIES)
                .max_by(|&a, &b| maps.at(a, i).total_cmp(&maps.at(b, i)))
                .unwrap_or(0)
        })
        .collect();
    let vote: Vec<[f32; 2]> = (0..n)
        .map(|i| {
            let o = CATEGORIES + COLOUR_CLASSES + SIZE_CLASSES;
            [
                (i % side) as f32 + 0.5 + maps.at(o, i) * OFFSET_UNIT,
                (i / side) as f32 + 0.5 + maps.at(o + 1, i) * OFFSET_UNIT,
            ]
        })
        .collect();
    let mut seen = vec![false; n];
    let mut found = Vec::new();
    for start in 0..n {
        if seen[start] || label[start] == 0 {
            continue;
        }
        // One connected region of one category (4-connected).
        let mut region = vec![start];
        seen[start] = true;
        let mut k = 0;
        while k < region.len() {
            let i = region[k];
            k += 1;
            let (x, y) = (i % side, i / side);
            let mut near = Vec::with_capacity(4);
            if x > 0 {
                near.push(i - 1);
            }
            if x + 1 < side {
                near.push(i + 1);
            }
            if y > 0 {
                near.push(i - side);
            }
            if y + 1 < side {
                near.push(i + side);
            }
            for j in near {
                if !seen[j] && label[j] == label[start] {
                    seen[j] = true;
                    region.push(j);
                }
            }
        }
        for pixels in split_by_votes(&region, &vote, side) {
            if pixels.len() >= MIN_PIXELS {
                found.push(describe(maps, &vote, pixels));
            }
        }
    }
    found
}

/// Split a region at the peaks of its centre votes.
fn split_by_votes(region: &[usize], vote: &[[f32; 2]], side: usize) -> Vec<Vec<usize>> {
    let mut counts = vec![0f32; side * side];
    let cell = |v: [f32; 2]| {
        let x = (v[0].floor() as i32).clamp(0, side as i32 - 1);
        let y = (v[1].floor() as i32).clamp(0, side as i32 - 1);
        (x, y)
    };
    for &i in region {
        let (x, y) = cell(vote[i]);
        // Spread each vote over its 3x3 neighbourhood so that peaks are not split by rounding.
        for dy in -1..=1 {
            for dx in -1..=1 {
                let (xx, yy) = (x + dx, y + dy);
                if xx >= 0 && yy >= 0 && xx < side as i32 && yy < side as i32 {
                    counts[yy as usize * side + xx as usize] += 1.0;
                }
            }
        }
    }
    let strongest = counts.iter().cloned().fold(0.0, f32::max);
    let floor = (0.25 * strongest).max(9.0);
    let mut peaks: Vec<(f32, [f32; 2])> = Vec::new();
    for y in 0..side as i32 {
        for x in 0..side as i32 {
            let c = counts[y as usize * side + x as usize];
            if c < floor {
                continue;
            }
            let mut top = true;
            for dy in -PEAK_RADIUS..=PEAK_RADIUS {
                for dx in -PEAK_RADIUS..=PEAK_RADIUS {
                    let (xx, yy) = (x + dx, y + dy);
                    if (dx, dy) == (0, 0)
                        || xx < 0
                        || yy < 0
                        || xx >= side as i32
                        || yy >= side as i32
                    {
                        continue;
                    }
                    let other = counts[yy as usize * side + xx as usize];
                    // Ties go to the first in reading order.
                    if other > c || (other == c && (dy < 0 || (dy == 0 && dx < 0))) {
                        top = false;
                    }
                }
            }
            if top {
                peaks.push((c, [x as f32 + 0.5, y as f32 + 0.5]));
            }
        }
    }
    if peaks.len() < 2 {
        return vec![region.to_vec()];
    }
    let mut parts = vec![Vec::new(); peaks.len()];
    for &i in region {
        let v = vote[i];
        let nearest = (0..peaks.len())
            .min_by(|&a, &b| {
                let d = |p: [f32; 2]| (p[0] - v[0]).powi(2) + (p[1] - v[1]).powi(2);
                d(peaks[a].1).total_cmp(&d(peaks[b].1))
            })
            .unwrap_or(0);
        parts[nearest].push(i);
    }
    parts.retain(|p| !p.is_empty());
    parts
}

fn describe(maps: &Maps, vote: &[[f32; 2]], pixels: Vec<usize>) -> Found {
    let count = pixels.len() as f32;
    let mean = |channel: usize| pixels.iter().map(|&i| maps.at(channel, i)).sum::<f32>() / count;
    let category = std::array::from_fn(|c| mean(c));
    let colour = std::array::from_fn(|c| mean(CATEGORIES + c));
    let size = (0..SIZE_CLASSES)
        .map(|k| k as f32 * mean(CATEGORIES + COLOUR_CLASSES + k))
        .sum();
    let side = maps.side as f32;
    let centre = [0, 1].map(|a| pixels.iter().map(|&i| vote[i][a]).sum::<f32>() / count / side);
    Found {
        category,
        colour,
        size,
        centre,
        pixels,
    }
}

/// How well an object fits a description without its size word (product of probabilities).
fn fit(o: &Found, d: &Description) -> f32 {
    o.is(d.category) * d.colour.map_or(1.0, |c| o.colour[c])
}

/// Objects that fit `d` by their most likely category and colour; if none does, the one that
/// fits best. A size word keeps the biggest (or smallest).
fn described(objects: &[Found], d: &Description) -> Vec<usize> {
    let want = 1 + Category::ALL
        .iter()
        .position(|c| *c == d.category)
        .unwrap_or(0);
    let mut fit_all: Vec<usize> = (0..objects.len())
        .filter(|&i| {
            let o = &objects[i];
            o.best_category() == want && d.colour.is_none_or(|c| o.best_colour() == c)
        })
        .collect();
    if fit_all.is_empty() {
        fit_all = (0..objects.len())
            .max_by(|&a, &b| fit(&objects[a], d).total_cmp(&fit(&objects[b], d)))
            .into_iter()
            .collect();
    }
    match d.size {
        None => fit_all,
        Some(word) => {
            let key = |i: &usize| match word {
                SizeWord::Big => objects[*i].size,
                SizeWord::Small => -objects[*i].size,
            };
            fit_all
                .into_iter()
                .max_by(|a, b| key(a).total_cmp(&key(b)))
                .into_iter()
                .collect()
        }
    }
}

/// The most likely of several candidates: the best fit, then the larger.
fn likeliest(objects: &[Found], d: &Description, candidates: &[usize]) -> Option<usize> {
    candidates.iter().copied().max_by(|&a, &b| {
        let score = |i: usize| fit(&objects[i], d) * (objects[i].pixels.len() as f32).sqrt();
        score(a).total_cmp(&score(b))
    })
}

fn side_key(o: &Found, side: Side) -> f32 {
    refer::side_key(o.centre, side)
}

/// The one object `meaning` names among `objects`, or `None` if nothing fits.
pub fn pick(objects: &[Found], meaning: &Meaning) -> Option<usize> {
    let best_by = |c: Vec<usize>, key: &dyn Fn(usize) -> f32| -> Option<usize> {
        c.into_iter().min_by(|&a, &b| key(a).total_cmp(&key(b)))
    };
    match meaning {
        Meaning::Plain(d) => likeliest(objects, d, &described(objects, d)),
        Meaning::Extreme(d, side) => {
            best_by(described(objects, d), &|i| side_key(&objects[i], *side))
        }
        Meaning::Corner(d, corner) => {
            best_by(described(objects, d), &|i| corner_key(&objects[i], *corner))
        }
        Meaning::Ordinal(d, n, side) => {
            let mut order = described(objects, d);
            order.sort_by(|&a, &b| {
                side_key(&objects[a], *side).total_cmp(&side_key(&objects[b], *side))
            });
            let last = order.len().checked_sub(1)?;
            Some(order[(*n as usize - 1).min(last)])
        }
        Meaning::Related(d, relation, anchor) => {
            let a = likeliest(objects, anchor, &described(objects, anchor))?;
            let others: Vec<usize> = described(objects, d)
                .into_iter()
                .filter(|&i| i != a)
                .collect();
            // The candidate furthest in the named direction (nearest, for "nearest").
            best_by(others, &|i| {
                let (along, _) = refer::offset(objects[i].centre, objects[a].centre, *relation);
                -along
            })
        }
    }
}

fn corner_key(o: &Found, corner: Corner) -> f32 {
    refer::corner_key(o.centre, corner, 0.0).0
}
