//! What an expression means, which objects of a scene it can pick out, and choosing one that picks
//! out exactly the target.
//!
//! [`resolve`] is deliberately generous: an object that nearly satisfies a position or relation
//! (within [`MARGIN`]) counts as a match, so a meaning that resolves to one object is one that a
//! person would also read as unambiguous.

use super::{Category, Scene, Split};
use crate::rng::Rng;

/// How far apart (as a share of the picture) two positions must be to tell them apart.
pub const MARGIN: f32 = 0.06;
/// The least offset, in the named direction, for "left of", "above" and the like.
const CLEAR: f32 = 0.08;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeWord {
    Big,
    Small,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Left,
    Right,
    Top,
    Bottom,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Corner {
    TopLeft,
    TopRight,
    BottomLeft,
    BottomRight,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    LeftOf,
    RightOf,
    Above,
    Below,
    Nearest,
}

/// "[size] [colour] category": the noun phrase every expression is built on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Description {
    pub category: Category,
    /// Index into [`super::COLOURS`].
    pub colour: Option<usize>,
    pub size: Option<SizeWord>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Meaning {
    /// "the blue star", "the big heart"
    Plain(Description),
    /// "the leftmost heart"
    Extreme(Description, Side),
    /// "the star in the top right"
    Corner(Description, Corner),
    /// "the second circle from the left" (1-based)
    Ordinal(Description, u8, Side),
    /// "the star left of the blue square"
    Related(Description, Relation, Description),
}

impl Meaning {
    /// Whether a relation to another object is part of the meaning.
    pub fn is_relational(&self) -> bool {
        matches!(self, Meaning::Related(..))
    }

    pub fn head(&self) -> &Description {
        match self {
            Meaning::Plain(d)
            | Meaning::Extreme(d, _)
            | Meaning::Corner(d, _)
            | Meaning::Ordinal(d, _, _)
            | Meaning::Related(d, _, _) => d,
        }
    }
}

/// What resolving a meaning needs to know of an object, whether drawn (a scene's own objects,
/// known exactly) or perceived (the painter's, from probabilities).
pub trait Candidate {
    /// Whether it is of the description's category and colour (its size aside).
    fn is(&self, d: &Description) -> bool;
    /// Its size, for "big" and "small".
    fn size(&self) -> f32;
    fn centre(&self) -> [f32; 2];
}

impl Candidate for super::Object {
    fn is(&self, d: &Description) -> bool {
        self.category == d.category && d.colour.is_none_or(|c| c == self.colour)
    }

    fn size(&self) -> f32 {
        self.size as f32
    }

    fn centre(&self) -> [f32; 2] {
        self.centre
    }
}

/// The objects that fit a description; a size word keeps the biggest (or smallest) of them.
pub fn described<C: Candidate>(objects: &[C], d: &Description) -> Vec<usize> {
    let fit: Vec<usize> = (0..objects.len()).filter(|&i| objects[i].is(d)).collect();
    let Some(word) = d.size else { return fit };
    let sizes = fit.iter().map(|&i| objects[i].size());
    let keep = match word {
        SizeWord::Big => sizes.fold(f32::NEG_INFINITY, f32::max),
        SizeWord::Small => sizes.fold(f32::INFINITY, f32::min),
    };
    fit.into_iter()
        .filter(|&i| objects[i].size() == keep)
        .collect()
}

/// Smaller is further toward the side.
pub fn side_key(centre: [f32; 2], side: Side) -> f32 {
    match side {
        Side::Left => centre[0],
        Side::Right => -centre[0],
        Side::Top => centre[1],
        Side::Bottom => -centre[1],
    }
}

/// Smaller is further into the corner; also whether the object lies in that quarter, with
/// `slack` to spare.
pub fn corner_key(centre: [f32; 2], corner: Corner, slack: f32) -> (f32, bool) {
    let (sx, sy) = match corner {
        Corner::TopLeft => (1.0, 1.0),
        Corner::TopRight => (-1.0, 1.0),
        Corner::BottomLeft => (1.0, -1.0),
        Corner::BottomRight => (-1.0, -1.0),
    };
    let (x, y) = (centre[0] - 0.5, centre[1] - 0.5);
    (sx * x + sy * y, sx * x < -slack && sy * y < -slack)
}

/// How far a centre `o` lies in the relation's direction from a centre `a` (positive: it does),
/// and how far off to the side.
pub fn offset(o: [f32; 2], a: [f32; 2], relation: Relation) -> (f32, f32) {
    let (dx, dy) = (o[0] - a[0], o[1] - a[1]);
    match relation {
        Relation::LeftOf => (-dx, dy.abs()),
        Relation::RightOf => (dx, dy.abs()),
        Relation::Above => (-dy, dx.abs()),
        Relation::Below => (dy, dx.abs()),
        Relation::Nearest => (-(dx * dx + dy * dy).sqrt(), 0.0),
    }
}

fn within_margin_of_best(candidates: Vec<usize>, key: impl Fn(usize) -> f32) -> Vec<usize> {
    let Some(best) = candidates.iter().map(|&i| key(i)).min_by(f32::total_cmp) else {
        return vec![];
    };
    candidates
        .into_iter()
        .filter(|&i| key(i) <= best + MARGIN)
        .collect()
}

/// Every object the meaning could be taken to name, including near misses.
pub fn resolve(scene: &Scene, meaning: &Meaning) -> Vec<usize> {
    let obj = |i: usize| &scene.objects[i];
    match meaning {
        Meaning::Plain(d) => described(&scene.objects, d),
        Meaning::Extreme(d, side) => within_margin_of_best(described(&scene.objects, d), |i| {
            side_key(obj(i).centre, *side)
        }),
        Meaning::Corner(d, corner) => {
            let inside: Vec<usize> = described(&scene.objects, d)
                .into_iter()
                .filter(|&i| corner_key(obj(i).centre, *corner, -MARGIN).1)
                .collect();
            within_margin_of_best(inside, |i| corner_key(obj(i).centre, *corner, 0.0).0)
        }
        Meaning::Ordinal(d, n, side) => {
            let mut order = described(&scene.objects, d);
            order.sort_by(|&a, &b| {
                side_key(obj(a).centre, *side).total_cmp(&side_key(obj(b).centre, *side))
            });
            let Some(&nth) = order.get(*n as usize - 1) else {
                return vec![];
            };
            let k = side_key(obj(nth).centre, *side);
            order
                .into_iter()
                .filter(|&i| (side_key(obj(i).centre, *side) - k).abs() < MARGIN)
                .collect()
        }
        Meaning::Related(d, relation, anchor) => {
            let anchors = described(&scene.objects, anchor);
            let others: Vec<usize> = described(&scene.objects, d)
                .into_iter()
                .filter(|i| !anchors.contains(i))
                .collect();
            let mut found: Vec<usize> = Vec::new();
            for &a in &anchors {
                let near: Vec<usize> = match relation {
                    Relation::Nearest => {
                        let dist = |i: usize| -offset(obj(i).centre, obj(a).centre, *relation).0;
                        let best = others
                            .iter()
                            .map(|&i| dist(i))
                            .min_by(f32::total_cmp)
                            .unwrap_or(0.0);
                        others
                            .iter()
                            .copied()
                            .filter(|&i| dist(i) <= best * 1.3 + 0.02)
                            .collect()
                    }
                    _ => others
                        .iter()
                        .copied()
                        .filter(|&i| offset(obj(i).centre, obj(a).centre, *relation).0 > -0.02)
                        .collect(),
                };
                found.extend(
                    near.into_iter()
                        .filter(|i| !found.contains(i))
                        .collect::<Vec<_>>(),
                );
            }
            found.sort_unstable();
            found
        }
    }
}

/// Whether the target satisfies the meaning clearly, not just within the margin.
fn clearly(scene: &Scene, target: usize, meaning: &Meaning) -> bool {
    let t = &scene.objects[target];
    match meaning {
        Meaning::Plain(_) | Meaning::Extreme(..) | Meaning::Ordinal(..) => true,
        Meaning::Corner(_, corner) => corner_key(t.centre, *corner, MARGIN).1,
        Meaning::Related(_, relation, anchor) => {
            let a = &scene.objects[described(&scene.objects, anchor)[0]];
            let (along, across) = offset(t.centre, a.centre, *relation);
            *relation == Relation::Nearest || (along >= CLEAR && across <= along)
        }
    }
}

fn count(scene: &Scene, d: &Description) -> usize {
    described(&scene.objects, d).len()
}

/// Every meaning that names `target` alone, clearly.
pub fn meanings(scene: &Scene, target: usize) -> Vec<Meaning> {
    let t = &scene.objects[target];
    let bare = Description {
        category: t.category,
        colour: None,
        size: None,
    };
    let coloured = Description {
        colour: Some(t.colour),
        ..bare
    };
    let descs = [
        bare,
        coloured,
        Description {
            size: Some(SizeWord::Big),
            ..bare
        },
        Description {
            size: Some(SizeWord::Small),
            ..bare
        },
    ];
    let mut all: Vec<Meaning> = descs.iter().map(|d| Meaning::Plain(*d)).collect();
    let sides = [Side::Left, Side::Right, Side::Top, Side::Bottom];
    for d in [bare, coloured] {
        // Position words are for telling alike objects apart.
        if count(scene, &d) < 2 {
            continue;
        }
        all.extend(sides.iter().map(|s| Meaning::Extreme(d, *s)));
        all.extend(
            [
                Corner::TopLeft,
                Corner::TopRight,
                Corner::BottomLeft,
                Corner::BottomRight,
            ]
            .map(|c| Meaning::Corner(d, c)),
        );
        for n in 1..=3u8.min(count(scene, &d) as u8) {
            all.extend(sides.iter().map(|s| Meaning::Ordinal(d, n, *s)));
        }
    }
    for (a, other) in scene.objects.iter().enumerate() {
        if a == target {
            continue;
        }
        let abare = Description {
            category: other.category,
            colour: None,
            size: None,
        };
        let Some(anchor) = [
            abare,
            Description {
                colour: Some(other.colour),
                ..abare
            },
        ]
        .into_iter()
        .find(|d| count(scene, d) == 1) else {
            continue;
        };
        for d in [bare, coloured] {
            for r in [
                Relation::LeftOf,
                Relation::RightOf,
                Relation::Above,
                Relation::Below,
                Relation::Nearest,
            ] {
                all.push(Meaning::Related(d, r, anchor));
            }
        }
    }
    // A size word only where there is something of the same kind to compare with.
    all.retain(|m| {
        let d = m.head();
        let alike = count(scene, &Description { size: None, ..*d });
        (d.size.is_none() || alike >= 2)
            && resolve(scene, m) == [target]
            && clearly(scene, target, m)
    });
    all
}

/// A target and a meaning for it that suits the split, or `None` if this scene has none.
pub fn choose(scene: &Scene, split: Split, rng: &mut Rng) -> Option<(usize, Meaning)> {
    let n = scene.objects.len();
    let start = (rng.next_u64() % n as u64) as usize;
    for target in (0..n).map(|k| (start + k) % n) {
        let t = &scene.objects[target];
        let shared = scene
            .objects
            .iter()
            .filter(|o| o.category == t.category)
            .count()
            >= 2;
        let mut options = meanings(scene, target);
        match split {
            Split::TestA => options.retain(|m| shared && !m.is_relational()),
            Split::TestB => options.retain(|m| match m {
                Meaning::Related(d, ..) => count(scene, d) >= 2,
                _ => false,
            }),
            Split::Train | Split::Val | Split::NonTarget => {}
        }
        if options.is_empty() {
            continue;
        }
        // Pick a kind first, so that plain names do not crowd out positions and relations.
        let kind = |m: &Meaning| std::mem::discriminant(m);
        let mut kinds = Vec::new();
        for m in &options {
            if !kinds.contains(&kind(m)) {
                kinds.push(kind(m));
            }
        }
        let chosen = kinds[(rng.next_u64() % kinds.len() as u64) as usize];
        let of_kind: Vec<&Meaning> = options.iter().filter(|m| kind(m) == chosen).collect();
        return Some((
            target,
            of_kind[(rng.next_u64() % of_kind.len() as u64) as usize].clone(),
        ));
    }
    None
}
