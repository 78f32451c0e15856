//! Words: how a meaning is phrased (several forms, synonyms, typing noise), how an expression is
//! read back into its meaning, and an instruction around an expression for a scene (from the
//! templates of [`crate::instruction`], which parses instructions back).

use super::refer::{Corner, Description, Meaning, Relation, Side, SizeWord};
use super::{Category, Scene, COLOURS, COLOUR_SYNONYMS};
use crate::instruction::{tokens, INSTRUCTIONS, PAINTS};
use crate::rng::Rng;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Plain,
    Extreme(Side),
    Corner,
    Ordinal,
    Related(Relation),
}

/// The phrasings. `{d}` is the described object ("big blue star"), `{a}` the anchor of a
/// relation, `{c}` a corner ("top right"), `{n}` an ordinal, `{s}` a side.
const FORMS: &[(&str, Kind)] = &[
    ("the {d}", Kind::Plain),
    ("the leftmost {d}", Kind::Extreme(Side::Left)),
    ("the {d} on the far left", Kind::Extreme(Side::Left)),
    ("the {d} furthest to the left", Kind::Extreme(Side::Left)),
    ("the rightmost {d}", Kind::Extreme(Side::Right)),
    ("the {d} on the far right", Kind::Extreme(Side::Right)),
    ("the {d} furthest to the right", Kind::Extreme(Side::Right)),
    ("the topmost {d}", Kind::Extreme(Side::Top)),
    ("the highest {d}", Kind::Extreme(Side::Top)),
    ("the {d} at the very top", Kind::Extreme(Side::Top)),
    ("the bottommost {d}", Kind::Extreme(Side::Bottom)),
    ("the lowest {d}", Kind::Extreme(Side::Bottom)),
    ("the {d} at the very bottom", Kind::Extreme(Side::Bottom)),
    ("the {d} in the {c}", Kind::Corner),
    ("the {d} in the {c} corner", Kind::Corner),
    ("the {c} {d}", Kind::Corner),
    ("the {d} at the {c}", Kind::Corner),
    ("the {n} {d} from the {s}", Kind::Ordinal),
    ("the {n} {d} counting from the {s}", Kind::Ordinal),
    ("the {d} left of the {a}", Kind::Related(Relation::LeftOf)),
    (
        "the {d} to the left of the {a}",
        Kind::Related(Relation::LeftOf),
    ),
    (
        "the {d} on the left of the {a}",
        Kind::Related(Relation::LeftOf),
    ),
    ("the {d} right of the {a}", Kind::Related(Relation::RightOf)),
    (
        "the {d} to the right of the {a}",
        Kind::Related(Relation::RightOf),
    ),
    (
        "the {d} on the right of the {a}",
        Kind::Related(Relation::RightOf),
    ),
    ("the {d} above the {a}", Kind::Related(Relation::Above)),
    ("the {d} over the {a}", Kind::Related(Relation::Above)),
    ("the {d} below the {a}", Kind::Related(Relation::Below)),
    ("the {d} under the {a}", Kind::Related(Relation::Below)),
    ("the {d} beneath the {a}", Kind::Related(Relation::Below)),
    ("the {d} nearest the {a}", Kind::Related(Relation::Nearest)),
    (
        "the {d} nearest to the {a}",
        Kind::Related(Relation::Nearest),
    ),
    (
        "the {d} closest to the {a}",
        Kind::Related(Relation::Nearest),
    ),
];

const SIZE_WORDS: &[(&str, SizeWord)] = &[
    ("big", SizeWord::Big),
    ("large", SizeWord::Big),
    ("small", SizeWord::Small),
    ("little", SizeWord::Small),
];
const ORDINALS: &[(&str, u8)] = &[
    ("first", 1),
    ("1st", 1),
    ("second", 2),
    ("2nd", 2),
    ("third", 3),
    ("3rd", 3),
];
const SIDES: &[(&str, Side)] = &[
    ("left", Side::Left),
    ("right", Side::Right),
    ("top", Side::Top),
    ("bottom", Side::Bottom),
];
const VERTICAL: &[(&str, bool)] = &[
    ("top", true),
    ("upper", true),
    ("bottom", false),
    ("lower", false),
];

fn kind(m: &Meaning) -> Kind {
    match m {
        Meaning::Plain(_) => Kind::Plain,
        Meaning::Extreme(_, s) => Kind::Extreme(*s),
        Meaning::Corner(..) => Kind::Corner,
        Meaning::Ordinal(..) => Kind::Ordinal,
        Meaning::Related(_, r, _) => Kind::Related(*r),
    }
}

fn pick<'a>(options: &[&'a str], rng: &mut Rng) -> &'a str {
    options[(rng.next_u64() % options.len() as u64) as usize]
}

fn words_where<T: PartialEq + Copy>(table: &[(&'static str, T)], value: T) -> Vec<&'static str> {
    table
        .iter()
        .filter(|(_, v)| *v == value)
        .map(|(w, _)| *w)
        .collect()
}

fn colour_words(colour: usize) -> Vec<&'static str> {
    let name = COLOURS[colour].0;
    std::iter::once(name)
        .chain(
            COLOUR_SYNONYMS
                .iter()
                .filter(|(_, c)| *c == name)
                .map(|(w, _)| *w),
        )
        .collect()
}

fn describe(d: &Description, rng: &mut Rng) -> String {
    let mut words = Vec::new();
    if let Some(size) = d.size {
        words.push(pick(&words_where(SIZE_WORDS, size), rng));
    }
    if let Some(colour) = d.colour {
        words.push(pick(&colour_words(colour), rng));
    }
    words.push(pick(d.category.words(), rng));
    words.join(" ")
}

/// Typing noise people add: a dropped article, capitals, a full stop.
fn noise(text: String, rng: &mut Rng) -> String {
    let mut text = match text.strip_prefix("the ") {
        Some(rest) if rng.range(0.0, 1.0) < 0.1 => rest.to_string(),
        _ => text,
    };
    let roll = rng.range(0.0, 1.0);
    if roll < 0.04 {
        text = text.to_uppercase();
    } else if roll < 0.2 {
        text = text[..1].to_uppercase() + &text[1..];
    }
    match rng.range(0.0, 1.0) {
        r if r < 0.08 => text + ".",
        r if r < 0.1 => text + "!",
        _ => text,
    }
}

/// An expression for `meaning`, in one of its phrasings.
pub fn phrase(meaning: &Meaning, rng: &mut Rng) -> String {
    let forms: Vec<&str> = FORMS
        .iter()
        .filter(|(_, k)| *k == kind(meaning))
        .map(|(f, _)| *f)
        .collect();
    let form = pick(&forms, rng);
    let mut out = form.replace("{d}", &describe(meaning.head(), rng));
    match meaning {
        Meaning::Corner(_, corner) => {
            let (top, left) = match corner {
                Corner::TopLeft => (true, true),
                Corner::TopRight => (true, false),
                Corner::BottomLeft => (false, true),
                Corner::BottomRight => (false, false),
            };
            let vertical = pick(&words_where(VERTICAL, top), rng);
            out = out.replace(
                "{c}",
                &format!("{vertical} {}", if left { "left" } else { "right" }),
            );
        }
        Meaning::Ordinal(_, n, side) => {
            out = out
                .replace("{n}", pick(&words_where(ORDINALS, *n), rng))
                .replace("{s}", words_where(SIDES, *side)[0]);
        }
        Meaning::Related(_, _, anchor) => out = out.replace("{a}", &describe(anchor, rng)),
        _ => {}
    }
    noise(out, rng)
}

fn lookup<T: Copy>(table: &[(&str, T)], word: Option<&String>) -> Option<T> {
    let word = word?;
    table.iter().find(|(w, _)| w == word).map(|(_, v)| *v)
}

fn category_of(word: Option<&String>) -> Option<Category> {
    let word = word?;
    Category::ALL
        .into_iter()
        .find(|c| c.words().contains(&word.as_str()))
}

fn colour_of(word: Option<&String>) -> Option<usize> {
    let word = word?;
    let name = COLOUR_SYNONYMS
        .iter()
        .find(|(w, _)| w == word)
        .map_or(word.as_str(), |(_, c)| c);
    COLOURS.iter().position(|(n, _)| *n == name)
}

/// "[size] [colour] category" at `words[i..]`: the description and where it ends.
fn read_description(words: &[String], mut i: usize) -> Option<(Description, usize)> {
    let size = lookup(SIZE_WORDS, words.get(i));
    i += size.is_some() as usize;
    let colour = colour_of(words.get(i));
    i += colour.is_some() as usize;
    Some((
        Description {
            category: category_of(words.get(i))?,
            colour,
            size,
        },
        i + 1,
    ))
}

#[derive(Default)]
struct Slots {
    d: Option<Description>,
    a: Option<Description>,
    corner: Option<Corner>,
    n: Option<u8>,
    side: Option<Side>,
}

fn fill(form: &str, words: &[String]) -> Option<Slots> {
    let mut slots = Slots::default();
    let mut i = 0;
    for (k, part) in form.split(' ').enumerate() {
        match part {
            "{d}" | "{a}" => {
                let (d, next) = read_description(words, i)?;
                if part == "{d}" {
                    slots.d = Some(d)
                } else {
                    slots.a = Some(d)
                }
                i = next;
            }
            "{c}" => {
                let top = lookup(VERTICAL, words.get(i))?;
                let left = match words.get(i + 1)?.as_str() {
                    "left" => true,
                    "right" => false,
                    _ => return None,
                };
                slots.corner = Some(match (top, left) {
                    (true, true) => Corner::TopLeft,
                    (true, false) => Corner::TopRight,
                    (false, true) => Corner::BottomLeft,
                    (false, false) => Corner::BottomRight,
                });
                i += 2;
            }
            "{n}" => {
                slots.n = Some(lookup(ORDINALS, words.get(i))?);
                i += 1;
            }
            "{s}" => {
                slots.side = Some(lookup(SIDES, words.get(i))?);
                i += 1;
            }
            // The leading article is often left out.
            "the" if k == 0 && words.get(i).map(String::as_str) != Some("the") => {}
            literal => {
                if words.get(i)? != literal {
                    return None;
                }
                i += 1;
            }
        }
    }
    (i == words.len()).then_some(slots)
}

/// The meaning of an expression in the grammar's language, or `None` if it is not one.
pub fn understand(expression: &str) -> Option<Meaning> {
    let words = tokens(expression);
    FORMS.iter().find_map(|(form, kind)| {
        let s = fill(form, &words)?;
        let d = s.d?;
        Some(match kind {
            Kind::Plain => Meaning::Plain(d),
            Kind::Extreme(side) => Meaning::Extreme(d, *side),
            Kind::Corner => Meaning::Corner(d, s.corner?),
            Kind::Ordinal => Meaning::Ordinal(d, s.n?, s.side?),
            Kind::Related(r) => Meaning::Related(d, *r, s.a?),
        })
    })
}

/// Every word an expression may use, sorted: what the grammar reads (other words are refused
/// by name; the generator's word ids are built from these).
pub fn vocabulary() -> Vec<String> {
    let mut words: Vec<String> = FORMS
        .iter()
        .flat_map(|(f, _)| f.split(' '))
        .filter(|w| !w.starts_with('{'))
        .map(String::from)
        .collect();
    words.extend(SIZE_WORDS.iter().map(|(w, _)| w.to_string()));
    words.extend(ORDINALS.iter().map(|(w, _)| w.to_string()));
    words.extend(
        SIDES
            .iter()
            .chain([("upper", Side::Top), ("lower", Side::Bottom)].iter())
            .map(|(w, _)| w.to_string()),
    );
    words.extend(
        COLOURS
            .iter()
            .map(|(w, _)| w.to_string())
            .chain(COLOUR_SYNONYMS.iter().map(|(w, _)| w.to_string())),
    );
    words.extend(
        Category::ALL
            .iter()
            .flat_map(|c| c.words())
            .map(|w| w.to_string()),
    );
    words.sort();
    words.dedup();
    words
}

/// An instruction around `expression` for the scene's `target`, with the paint colour it names
/// (`None` for "segment {e}", which leaves the colour to [`crate::color::contrasting`]). The paint
/// differs clearly from the target's own colour, or the edit would change nothing.
pub fn instruct(
    scene: &Scene,
    target: usize,
    expression: &str,
    rng: &mut Rng,
) -> (String, Option<[u8; 3]>) {
    let own = crate::color::lab_u8(COLOURS[scene.objects[target].colour].1);
    let far: Vec<&str> = PAINTS
        .iter()
        .copied()
        .filter(|p| {
            let lab = crate::color::lab_u8(crate::color::parse(p).expect("known paint"));
            (0..3)
                .map(|k| (lab[k] - own[k]).powi(2))
                .sum::<f32>()
                .sqrt()
                > 50.0
        })
        .collect();
    let name = pick(&far, rng);
    let template = pick(INSTRUCTIONS, rng);
    let paint = template
        .contains("{p}")
        .then(|| crate::color::parse(name).expect("known paint"));
    // A full stop belongs at the end of the whole instruction, not inside it.
    let expression = if template.ends_with("{e}") {
        expression
    } else {
        expression.trim_end_matches(['.', '!'])
    };
    (
        template.replace("{e}", expression).replace("{p}", name),
        paint,
    )
}

/// The expression's words that the grammar does not use, in order of appearance.
pub fn unknown_words(expression: &str) -> Vec<String> {
    let known = vocabulary();
    tokens(expression)
        .into_iter()
        .filter(|w| known.binary_search(w).is_err())
        .collect()
}

/// A description in the words `expression` used for it, for messages ("big violet crescent"):
/// for each of size, colour and category, the word of the expression that names it, else the
/// usual one.
pub fn name_in(d: &Description, expression: &str) -> String {
    let said = tokens(expression);
    let choose = |options: Vec<&'static str>| {
        options
            .iter()
            .find(|w| said.iter().any(|s| s == *w))
            .copied()
            .unwrap_or(options[0])
    };
    let mut words = Vec::new();
    if let Some(size) = d.size {
        words.push(choose(words_where(SIZE_WORDS, size)));
    }
    if let Some(colour) = d.colour {
        words.push(choose(colour_words(colour)));
    }
    words.push(choose(d.category.words().to_vec()));
    words.join(" ")
}
