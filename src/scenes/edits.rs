//! RefScenes edits that are not referring segmentation: the general image edits a generator
//! learns first (its image prior), each rendered exactly from the scene model. Keep the picture,
//! repaint the background, recolour every object of a category, remove every object of a
//! category (the background drawn where it was). Deterministic from (split, index, seed), on a
//! stream of its own, so the referring samples are unchanged.

use super::{draw, layout_scene, stream_seed, Background, Category, Scene, Split, COLOURS};
use crate::rng::Rng;
use image::RgbaImage;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditKind {
    Keep,
    Background,
    Recolour,
    Remove,
}

impl EditKind {
    pub const ALL: [EditKind; 4] = [
        EditKind::Keep,
        EditKind::Background,
        EditKind::Recolour,
        EditKind::Remove,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EditKind::Keep => "keep",
            EditKind::Background => "background",
            EditKind::Recolour => "recolour",
            EditKind::Remove => "remove",
        }
    }
}

/// The phrasings of each kind: `{p}` a colour name, `{c}` a category's plural.
pub const FORMS: &[(EditKind, &str)] = &[
    (EditKind::Keep, "keep the picture as it is"),
    (EditKind::Keep, "change nothing"),
    (EditKind::Background, "paint the background {p}"),
    (EditKind::Background, "make the background {p}"),
    (EditKind::Recolour, "make every {c} {p}"),
    (EditKind::Recolour, "paint all the {c} {p}"),
    (EditKind::Remove, "remove every {c}"),
    (EditKind::Remove, "take away all the {c}"),
];

/// Every word the edit instructions use (colour and category words come from the grammar).
pub fn words() -> Vec<String> {
    let mut out: Vec<String> = FORMS
        .iter()
        .flat_map(|(_, f)| f.split(' '))
        .filter(|w| !w.starts_with('{'))
        .map(String::from)
        .collect();
    out.extend(Category::ALL.iter().map(|c| plural(*c)));
    out
}

fn plural(c: Category) -> String {
    let word = c.words()[0];
    if word.ends_with('x') || word.ends_with('s') {
        format!("{word}es")
    } else {
        format!("{word}s")
    }
}

/// One edit: the scene before and after, what was asked and the colour it names.
#[derive(Clone, Debug)]
pub struct Edit {
    pub kind: EditKind,
    pub before: Scene,
    pub after: Scene,
    pub instruction: String,
    /// The colour the instruction names; a neutral grey where it names none.
    pub paint: [u8; 3],
    /// The objects of `before` the edit changes (recolour, remove).
    pub touched: Vec<usize>,
}

/// The pixels of an edit at one size.
pub struct EditPictures {
    pub before: RgbaImage,
    pub after: RgbaImage,
    /// How much of each pixel the instruction names (the background, or the touched objects).
    pub region: Vec<f32>,
}

const NEUTRAL: [u8; 3] = [128, 128, 128];
/// Salt that puts edits on a stream apart from the referring samples'.
const STREAM: u64 = 0x6564_6974_735f_7631;

impl Edit {
    /// The `index`-th edit of `split` under `seed`.
    pub fn generate(split: Split, index: u64, seed: u64) -> Edit {
        let mut rng = Rng::new(stream_seed(split, index, seed ^ STREAM));
        let before = layout_scene(&mut rng);
        let kind = EditKind::ALL[(rng.next_u64() % 4) as usize];
        let forms: Vec<&str> = FORMS
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, f)| *f)
            .collect();
        let form = forms[(rng.next_u64() % forms.len() as u64) as usize];
        let colour = (rng.next_u64() % COLOURS.len() as u64) as usize;
        let present: Vec<Category> = before.objects.iter().map(|o| o.category).collect();
        let category = present[(rng.next_u64() % present.len() as u64) as usize];
        let touched: Vec<usize> = match kind {
            EditKind::Recolour | EditKind::Remove => (0..before.objects.len())
                .filter(|&i| before.objects[i].category == category)
                .collect(),
            _ => Vec::new(),
        };
        let mut after = before.clone();
        let paint = match kind {
            EditKind::Keep | EditKind::Remove => NEUTRAL,
            EditKind::Background | EditKind::Recolour => COLOURS[colour].1,
        };
        match kind {
            EditKind::Keep => {}
            EditKind::Background => {
                after.background = Background::Flat(COLOURS[colour].1.map(|v| v as f32))
            }
            EditKind::Recolour => {
                for &i in &touched {
                    after.objects[i].colour = colour;
                }
            }
            EditKind::Remove => after.objects.retain(|o| o.category != category),
        }
        let instruction = form
            .replace("{p}", COLOURS[colour].0)
            .replace("{c}", &plural(category));
        Edit {
            kind,
            before,
            after,
            instruction,
            paint,
            touched,
        }
    }

    /// The pictures before and after at `side` x `side`, and the region the instruction names.
    pub fn pictures(&self, side: u32) -> EditPictures {
        let n = (side * side) as usize;
        let covers = |objects: &mut dyn Iterator<Item = usize>| {
            let mut region = vec![0f32; n];
            for k in objects {
                for (r, c) in
                    region
                        .iter_mut()
                        .zip(draw::visible_cover(&self.before, k, side, side))
                {
                    *r = (*r + c).min(1.0);
                }
            }
            region
        };
        let region = match self.kind {
            EditKind::Keep => vec![0f32; n],
            EditKind::Background => covers(&mut (0..self.before.objects.len()))
                .into_iter()
                .map(|c| 1.0 - c)
                .collect(),
            EditKind::Recolour | EditKind::Remove => covers(&mut self.touched.iter().copied()),
        };
        EditPictures {
            before: draw::render(&self.before, side, side),
            after: draw::render(&self.after, side, side),
            region,
        }
    }
}
