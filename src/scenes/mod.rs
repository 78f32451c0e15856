//! RefScenes: procedural pictures of a few objects with referring expressions that each pick out
//! exactly one of them, and the edit targets a painter learns from. Everything is deterministic
//! from (split, index, seed).
//!
//! scene (objects on a background) -> [`draw`] (image, per-object visible coverage) ->
//! [`refer`] (an expression that names one object, verified unique) -> [`language`]
//! (phrasing, instructions, parsing) -> [`Sample`] (image, mask, painted / overlay / mask targets).

pub mod draw;
pub mod edits;
pub mod language;
pub mod preview;
pub mod refer;
pub mod shapes;

use crate::rng::Rng;
pub use refer::Meaning;
pub use shapes::Category;

/// Object colours: a name people use and the base sRGB the object is drawn in (shading varies it).
pub const COLOURS: &[(&str, [u8; 3])] = &[
    ("red", [215, 35, 35]),
    ("orange", [245, 135, 25]),
    ("yellow", [240, 210, 35]),
    ("green", [45, 165, 60]),
    ("cyan", [35, 200, 215]),
    ("blue", [35, 75, 215]),
    ("purple", [135, 55, 195]),
    ("pink", [240, 130, 185]),
    ("brown", [125, 75, 35]),
    ("white", [240, 240, 236]),
    ("black", [28, 28, 32]),
];

/// Other words for a colour name in [`COLOURS`].
pub const COLOUR_SYNONYMS: &[(&str, &str)] = &[("violet", "purple")];

/// Object radius, as a share of the picture's shorter side, for each size class.
pub const RADII: [f32; 3] = [0.075, 0.105, 0.145];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Texture {
    Plain,
    Stripes,
    Dots,
    Shaded,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    pub category: Category,
    /// Index into [`COLOURS`].
    pub colour: usize,
    /// 0 small, 1 medium, 2 large.
    pub size: usize,
    /// Centre in [0, 1] x [0, 1] of the picture.
    pub centre: [f32; 2],
    /// Tilt in radians.
    pub angle: f32,
    pub texture: Texture,
}

impl Object {
    pub fn radius(&self) -> f32 {
        RADII[self.size]
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Background {
    Flat([f32; 3]),
    /// From one colour to another along a direction.
    Gradient {
        from: [f32; 3],
        to: [f32; 3],
        dir: [f32; 2],
    },
    /// Smooth value noise on a coarse grid between two colours.
    Noise {
        from: [f32; 3],
        to: [f32; 3],
        grid: Vec<f32>,
        cells: usize,
    },
    /// One of the bundled greyscale photo textures, tinted, scaled and shifted.
    Photo {
        texture: usize,
        tint: [f32; 3],
        scale: f32,
        offset: [f32; 2],
    },
}

/// Objects in drawing order: later ones cover earlier ones.
#[derive(Clone, Debug, PartialEq)]
pub struct Scene {
    pub background: Background,
    pub objects: Vec<Object>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Split {
    /// An endless stream for training.
    Train,
    Val,
    /// The target shares its category with other objects: colour, size or position decides.
    TestA,
    /// A relation to another object decides.
    TestB,
    /// Expressions true of nothing in the picture ([`NoTarget`]): the painter should say so.
    NonTarget,
}

impl Split {
    pub const ALL: [Split; 4] = [Split::Train, Split::Val, Split::TestA, Split::TestB];

    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Val => "val",
            Split::TestA => "testA",
            Split::TestB => "testB",
            Split::NonTarget => "nontarget",
        }
    }

    pub fn parse(text: &str) -> crate::Result<Split> {
        Split::ALL
            .into_iter()
            .chain([Split::NonTarget])
            .find(|s| s.name().eq_ignore_ascii_case(text))
            .ok_or_else(|| {
                crate::Error::BadOption(format!(
                    "unknown split {text:?}: use train, val, testA, testB or nontarget"
                ))
            })
    }
}

/// One referring-segmentation example. Pixels are drawn on demand at any size.
#[derive(Clone, Debug)]
pub struct Sample {
    pub split: Split,
    pub index: u64,
    pub scene: Scene,
    /// Which object the expression names.
    pub target: usize,
    pub meaning: Meaning,
    pub expression: String,
    /// The full instruction, e.g. "paint the star in the top right purple".
    pub instruction: String,
    /// The paint colour the instruction names; `None` leaves it to [`crate::color::contrasting`].
    pub paint: Option<[u8; 3]>,
}

fn muted(rng: &mut Rng) -> [f32; 3] {
    let hue = rng.range(0.0, 6.0);
    let (sat, val) = (rng.range(0.05, 0.35), rng.range(0.4, 0.82));
    let f = |n: f32| {
        let k = (n + hue) % 6.0;
        val * (1.0 - sat * (k.min(4.0 - k).clamp(0.0, 1.0)))
    };
    [f(5.0), f(3.0), f(1.0)].map(|v| v * 255.0)
}

fn background(rng: &mut Rng) -> Background {
    match rng.next_u64() % 4 {
        0 => Background::Flat(muted(rng)),
        1 => {
            let a = rng.range(0.0, std::f32::consts::TAU);
            Background::Gradient {
                from: muted(rng),
                to: muted(rng),
                dir: [a.cos(), a.sin()],
            }
        }
        2 => {
            let cells = 3 + (rng.next_u64() % 5) as usize;
            let grid = (0..(cells + 1) * (cells + 1))
                .map(|_| rng.range(0.0, 1.0))
                .collect();
            Background::Noise {
                from: muted(rng),
                to: muted(rng),
                grid,
                cells,
            }
        }
        _ => Background::Photo {
            texture: (rng.next_u64() % draw::TEXTURE_COUNT as u64) as usize,
            tint: muted(rng),
            scale: rng.range(0.4, 1.2),
            offset: [rng.range(0.0, 1.0), rng.range(0.0, 1.0)],
        },
    }
}

/// How many objects share each category: most scenes repeat a category, testA always repeats
/// the target's.
fn categories(n: usize, rng: &mut Rng) -> Vec<Category> {
    let kinds = 1 + (rng.next_u64() % n.min(4) as u64) as usize;
    let mut pool = Category::ALL.to_vec();
    let chosen: Vec<Category> = (0..kinds)
        .map(|_| pool.swap_remove((rng.next_u64() % pool.len() as u64) as usize))
        .collect();
    (0..n)
        .map(|i| {
            if i < kinds {
                chosen[i]
            } else {
                chosen[(rng.next_u64() % kinds as u64) as usize]
            }
        })
        .collect()
}

/// Objects that overlap at most partly, so every one stays recognisable.
fn layout(rng: &mut Rng) -> Vec<Object> {
    let n = 2 + (rng.next_u64() % 6) as usize;
    let mut objects: Vec<Object> = Vec::with_capacity(n);
    for category in categories(n, rng) {
        for _attempt in 0..30 {
            let size = (rng.next_u64() % 3) as usize;
            let r = RADII[size];
            let centre = [
                rng.range(r + 0.02, 1.0 - r - 0.02),
                rng.range(r + 0.02, 1.0 - r - 0.02),
            ];
            let clear = objects.iter().all(|o| {
                let d =
                    ((o.centre[0] - centre[0]).powi(2) + (o.centre[1] - centre[1]).powi(2)).sqrt();
                d >= 0.7 * (o.radius() + r)
            });
            if !clear {
                continue;
            }
            let tilt = if category.upright() {
                0.25
            } else {
                std::f32::consts::PI
            };
            let texture = [
                Texture::Plain,
                Texture::Stripes,
                Texture::Dots,
                Texture::Shaded,
            ][(rng.next_u64() % 4) as usize];
            objects.push(Object {
                category,
                colour: (rng.next_u64() % COLOURS.len() as u64) as usize,
                size,
                centre,
                angle: rng.range(-tilt, tilt),
                texture,
            });
            break;
        }
    }
    objects
}

pub(crate) fn stream_seed(split: Split, index: u64, seed: u64) -> u64 {
    let mut rng = Rng::new(seed ^ (split as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F));
    rng.next_u64() ^ index.wrapping_mul(0xE703_7ED1_A0B4_28DB)
}

/// A scene of two to seven objects on one of the backgrounds.
pub(crate) fn layout_scene(rng: &mut Rng) -> Scene {
    loop {
        let scene = Scene {
            background: background(rng),
            objects: layout(rng),
        };
        if scene.objects.len() >= 2 {
            return scene;
        }
    }
}

impl Sample {
    /// The `index`-th sample of `split` under `seed`: the same arguments give the same sample.
    pub fn generate(split: Split, index: u64, seed: u64) -> Sample {
        let mut rng = Rng::new(stream_seed(split, index, seed));
        loop {
            let scene = Scene {
                background: background(&mut rng),
                objects: layout(&mut rng),
            };
            if scene.objects.len() < 2 {
                continue;
            }
            if let Some((target, meaning)) = refer::choose(&scene, split, &mut rng) {
                let expression = language::phrase(&meaning, &mut rng);
                let (instruction, paint) =
                    language::instruct(&scene, target, &expression, &mut rng);
                return Sample {
                    split,
                    index,
                    scene,
                    target,
                    meaning,
                    expression,
                    instruction,
                    paint,
                };
            }
        }
    }

    /// One instruction for each object of the scene that some expression names alone (the
    /// sample's own target first), with that object's index.
    pub fn suggestions(&self) -> Vec<(usize, String)> {
        let mut rng = Rng::new(stream_seed(self.split, self.index, 0x5u64));
        let mut out = vec![(self.target, self.instruction.clone())];
        for target in (0..self.scene.objects.len()).filter(|&t| t != self.target) {
            if let Some(meaning) = refer::meanings(&self.scene, target).first() {
                let expression = language::phrase(meaning, &mut rng);
                let (instruction, _) =
                    language::instruct(&self.scene, target, &expression, &mut rng);
                out.push((target, instruction));
            }
        }
        out
    }

    /// The true mask of object `object` at `w` x `h`, as `targets` gives it for the target.
    pub fn object_mask(&self, object: usize, w: u32, h: u32) -> image::GrayImage {
        crate::synth::truth(&draw::visible_cover(&self.scene, object, w, h), w, h)
    }

    /// The picture at `w` x `h`.
    pub fn image(&self, w: u32, h: u32) -> image::RgbaImage {
        draw::render(&self.scene, w, h)
    }

    /// How much of each pixel the target covers where nothing in front hides it.
    pub fn cover(&self, w: u32, h: u32) -> Vec<f32> {
        draw::visible_cover(&self.scene, self.target, w, h)
    }

    /// Everything a training or evaluation step needs at one size.
    pub fn targets(&self, w: u32, h: u32) -> Targets {
        let image = self.image(w, h);
        let cover = self.cover(w, h);
        let mask = crate::synth::truth(&cover, w, h);
        let paint = self
            .paint
            .unwrap_or_else(|| crate::color::contrasting(&image));
        let painted = crate::color::recolour(&image, &cover, paint, crate::color::Style::Paint);
        let overlay = crate::color::recolour(&image, &cover, paint, crate::color::Style::Overlay);
        Targets {
            image,
            mask,
            painted,
            overlay,
            paint,
        }
    }
}

/// A no-target sample: an expression that reads like the others but is true of nothing in the
/// picture (as gRefCOCO has them), of one of four kinds.
#[derive(Clone, Debug)]
pub struct NoTarget {
    pub index: u64,
    pub scene: Scene,
    pub meaning: Meaning,
    pub expression: String,
    pub instruction: String,
    /// "category", "colour", "ordinal" or "anchor": what is missing.
    pub kind: &'static str,
}

impl NoTarget {
    pub const KINDS: [&'static str; 4] = ["category", "colour", "ordinal", "anchor"];
    /// The paint every no-target instruction names ("... purple").
    pub const PAINT: [u8; 3] = [140, 40, 200];

    /// The `index`-th no-target sample under `seed`.
    pub fn generate(index: u64, seed: u64) -> NoTarget {
        use refer::{Description, Relation, Side};
        let mut rng = Rng::new(stream_seed(Split::NonTarget, index, seed));
        loop {
            let scene = layout_scene(&mut rng);
            let kind = Self::KINDS[(rng.next_u64() % 4) as usize];
            let present = |c: Category| scene.objects.iter().any(|o| o.category == c);
            let absent: Vec<Category> =
                Category::ALL.into_iter().filter(|c| !present(*c)).collect();
            let some = &scene.objects[(rng.next_u64() % scene.objects.len() as u64) as usize];
            let count = |c: Category| scene.objects.iter().filter(|o| o.category == c).count();
            let bare = |category| Description {
                category,
                colour: None,
                size: None,
            };
            let meaning = match kind {
                "category" if !absent.is_empty() => {
                    let c = absent[(rng.next_u64() % absent.len() as u64) as usize];
                    let colour = rng
                        .next_u64()
                        .is_multiple_of(2)
                        .then(|| (rng.next_u64() % COLOURS.len() as u64) as usize);
                    Meaning::Plain(Description { colour, ..bare(c) })
                }
                "colour" => {
                    let worn: Vec<usize> = scene
                        .objects
                        .iter()
                        .filter(|o| o.category == some.category)
                        .map(|o| o.colour)
                        .collect();
                    let free: Vec<usize> =
                        (0..COLOURS.len()).filter(|c| !worn.contains(c)).collect();
                    let colour = free[(rng.next_u64() % free.len() as u64) as usize];
                    Meaning::Plain(Description {
                        colour: Some(colour),
                        ..bare(some.category)
                    })
                }
                "ordinal" => {
                    let n = count(some.category);
                    if n + 1 > 3 {
                        continue;
                    }
                    let side = [Side::Left, Side::Right, Side::Top, Side::Bottom]
                        [(rng.next_u64() % 4) as usize];
                    Meaning::Ordinal(bare(some.category), (n + 1) as u8, side)
                }
                "anchor" if !absent.is_empty() => {
                    let a = absent[(rng.next_u64() % absent.len() as u64) as usize];
                    let relation = [
                        Relation::LeftOf,
                        Relation::RightOf,
                        Relation::Above,
                        Relation::Below,
                    ][(rng.next_u64() % 4) as usize];
                    Meaning::Related(bare(some.category), relation, bare(a))
                }
                _ => continue,
            };
            let expression = language::phrase(&meaning, &mut rng);
            // The colour name `color::parse` reads as `PAINT`.
            let instruction = format!("paint {expression} purple");
            return NoTarget {
                index,
                scene,
                meaning,
                expression,
                instruction,
                kind,
            };
        }
    }

    pub fn image(&self, w: u32, h: u32) -> image::RgbaImage {
        draw::render(&self.scene, w, h)
    }
}

/// A sample's pixels: the input, its exact mask (255 where the target shows), and the three
/// edit targets the painter can be trained to produce (the mask itself is the third).
pub struct Targets {
    pub image: image::RgbaImage,
    pub mask: image::GrayImage,
    /// The target recoloured in the paint colour, its shading kept.
    pub painted: image::RgbaImage,
    /// The paint laid over the target at half opacity.
    pub overlay: image::RgbaImage,
    /// The paint colour used.
    pub paint: [u8; 3],
}
