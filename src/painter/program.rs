//! From perception maps to the named object: find the objects in the maps ([`detect`]), then
//! carry out what the expression means over them ([`pick`]), the way RefScenes' resolver reads a
//! scene, but choosing the one best object where the resolver lists every near miss, or saying
//! that nothing in the picture fits.

use super::perceive::{CATEGORIES, COLOUR_CLASSES, OFFSET_UNIT, SIZE_CLASSES};
use crate::scenes::language::name_in;
use crate::scenes::refer::{self, described, Candidate, Corner, Description, Relation, Side};
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
    fn is_category(&self, category: Category) -> f32 {
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
    let category = std::array::from_fn(&mean);
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

impl Candidate for Found {
    /// By its most likely category and colour.
    fn is(&self, d: &Description) -> bool {
        let want = 1 + Category::ALL
            .iter()
            .position(|c| *c == d.category)
            .unwrap_or(0);
        self.best_category() == want && d.colour.is_none_or(|c| self.best_colour() == c)
    }

    fn size(&self) -> f32 {
        self.size
    }

    fn centre(&self) -> [f32; 2] {
        self.centre
    }
}

/// Why the painter paints nothing: what the expression names is not in the picture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Absence {
    /// Nothing fits the description.
    Missing(Description),
    /// Fewer objects fit than the ordinal counts.
    TooFew {
        described: Description,
        nth: u8,
        side: Side,
        count: usize,
    },
    /// Nothing that fits lies in the named direction from the anchor.
    NoneThere {
        described: Description,
        relation: Relation,
        anchor: Description,
    },
}

impl Absence {
    /// In words, naming things as `expression` did: "no green star in this picture".
    pub fn note(&self, expression: &str) -> String {
        let name = |d: &Description| name_in(d, expression);
        match self {
            Absence::Missing(d) => format!("no {} in this picture", name(d)),
            Absence::TooFew {
                described,
                nth,
                side,
                count,
            } => format!(
                "no {} {} from the {} in this picture: it has {count} {}",
                ordinal(*nth),
                name(described),
                side_name(*side),
                if *count == 1 {
                    "such object"
                } else {
                    "such objects"
                }
            ),
            Absence::NoneThere {
                described,
                relation,
                anchor,
            } => format!(
                "no {} {} the {} in this picture",
                name(described),
                relation_name(*relation),
                name(anchor)
            ),
        }
    }
}

/// How well an object fits a description without its size word (product of probabilities).
fn fit_ignoring_size(o: &Found, d: &Description) -> f32 {
    o.is_category(d.category) * d.colour.map_or(1.0, |c| o.colour[c])
}

/// Where no object's most likely category and colour fit a description, the one most likely to
/// fit still counts when it fits with at least this probability (a near tie in the maps).
const FIT_FLOOR: f32 = 0.1;

/// The objects that fit `d`, or the note that none does.
fn fitting(objects: &[Found], d: &Description) -> Result<Vec<usize>, Absence> {
    let fit = described(objects, d);
    if !fit.is_empty() {
        return Ok(fit);
    }
    (0..objects.len())
        .filter(|&i| fit_ignoring_size(&objects[i], d) >= FIT_FLOOR)
        .max_by(|&a, &b| {
            fit_ignoring_size(&objects[a], d).total_cmp(&fit_ignoring_size(&objects[b], d))
        })
        .map(|best| vec![best])
        .ok_or(Absence::Missing(*d))
}

/// The most likely of several candidates: the best fit, then the larger.
fn likeliest(objects: &[Found], d: &Description, candidates: &[usize]) -> Option<usize> {
    candidates.iter().copied().max_by(|&a, &b| {
        let score =
            |i: usize| fit_ignoring_size(&objects[i], d) * (objects[i].pixels.len() as f32).sqrt();
        score(a).total_cmp(&score(b))
    })
}

fn side_key(o: &Found, side: Side) -> f32 {
    refer::side_key(o.centre, side)
}

fn ordinal(n: u8) -> String {
    match n {
        1 => "first".into(),
        2 => "second".into(),
        3 => "third".into(),
        _ => format!("{n}th"),
    }
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Left => "left",
        Side::Right => "right",
        Side::Top => "top",
        Side::Bottom => "bottom",
    }
}

fn relation_name(relation: Relation) -> &'static str {
    match relation {
        Relation::LeftOf => "left of",
        Relation::RightOf => "right of",
        Relation::Above => "above",
        Relation::Below => "below",
        Relation::Nearest => "nearest to",
    }
}

/// How far past the anchor, against the named direction, a candidate may lie and still count:
/// perceived centres are a few pixels off, and "left of" was said of the scene's own.
const BEHIND: f32 = 0.1;

/// The one object `meaning` names among `objects`, or why none fits.
pub fn pick(objects: &[Found], meaning: &Meaning) -> Result<usize, Absence> {
    let best_by = |c: Vec<usize>, key: &dyn Fn(usize) -> f32| -> usize {
        c.into_iter()
            .min_by(|&a, &b| key(a).total_cmp(&key(b)))
            .expect("fitting gives at least one")
    };
    match meaning {
        Meaning::Plain(d) => {
            Ok(likeliest(objects, d, &fitting(objects, d)?).expect("at least one"))
        }
        Meaning::Extreme(d, side) => Ok(best_by(fitting(objects, d)?, &|i| {
            side_key(&objects[i], *side)
        })),
        Meaning::Corner(d, corner) => Ok(best_by(fitting(objects, d)?, &|i| {
            corner_key(&objects[i], *corner)
        })),
        Meaning::Ordinal(d, n, side) => {
            let mut order = fitting(objects, d)?;
            if order.len() < *n as usize {
                return Err(Absence::TooFew {
                    described: *d,
                    nth: *n,
                    side: *side,
                    count: order.len(),
                });
            }
            order.sort_by(|&a, &b| {
                side_key(&objects[a], *side).total_cmp(&side_key(&objects[b], *side))
            });
            Ok(order[*n as usize - 1])
        }
        Meaning::Related(d, relation, anchor) => {
            let a = likeliest(objects, anchor, &fitting(objects, anchor)?).expect("at least one");
            let along = |i: usize| refer::offset(objects[i].centre, objects[a].centre, *relation).0;
            let others: Vec<usize> = fitting(objects, d)?
                .into_iter()
                .filter(|&i| i != a && (*relation == Relation::Nearest || along(i) > -BEHIND))
                .collect();
            if others.is_empty() {
                return Err(Absence::NoneThere {
                    described: *d,
                    relation: *relation,
                    anchor: *anchor,
                });
            }
            // The candidate furthest in the named direction (nearest, for "nearest").
            Ok(best_by(others, &|i| -along(i)))
        }
    }
}

fn corner_key(o: &Found, corner: Corner) -> f32 {
    refer::corner_key(o.centre, corner, 0.0).0
}
