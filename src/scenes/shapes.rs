//! The object categories as signed distance fields in a unit frame (the object fits a circle of
//! radius about 1 around its centre; y grows downwards as in images). Exact distances give
//! anti-aliased edges at any render size: coverage is 0.5 minus the distance in pixels.

type V = [f32; 2];

fn len(p: V) -> f32 {
    (p[0] * p[0] + p[1] * p[1]).sqrt()
}

fn sub(p: V, q: V) -> V {
    [p[0] - q[0], p[1] - q[1]]
}

fn dot(p: V, q: V) -> f32 {
    p[0] * q[0] + p[1] * q[1]
}

fn circle(p: V, c: V, r: f32) -> f32 {
    len(sub(p, c)) - r
}

fn rect(p: V, c: V, half: V) -> f32 {
    let q = [(p[0] - c[0]).abs() - half[0], (p[1] - c[1]).abs() - half[1]];
    len([q[0].max(0.0), q[1].max(0.0)]) + q[0].max(q[1]).min(0.0)
}

/// An upward-pointing equilateral triangle with circumradius `r` (after Inigo Quilez).
fn triangle(p: V, r: f32) -> f32 {
    let k = 3f32.sqrt();
    let s = r * k / 2.0; // half the side
    let (mut x, mut y) = (p[0].abs() - s, -p[1] + s / k);
    if x + k * y > 0.0 {
        (x, y) = ((x - k * y) / 2.0, (-k * x - y) / 2.0);
    }
    x -= x.clamp(-2.0 * s, 0.0);
    -len([x, y]) * y.signum()
}

/// A five-pointed star, point up, outer radius `r`, inner to outer ratio `rf` (Quilez).
fn star(p: V, r: f32, rf: f32) -> f32 {
    let k1 = [0.809_017, -0.587_785];
    let k2 = [-k1[0], k1[1]];
    let mut p = [p[0].abs(), -p[1]];
    let d1 = 2.0 * dot(k1, p).max(0.0);
    p = [p[0] - d1 * k1[0], p[1] - d1 * k1[1]];
    let d2 = 2.0 * dot(k2, p).max(0.0);
    p = [p[0] - d2 * k2[0], p[1] - d2 * k2[1]];
    p = [p[0].abs(), p[1] - r];
    let ba = [rf * -k1[1] - 0.0, rf * k1[0] - 1.0];
    let h = (dot(p, ba) / dot(ba, ba)).clamp(0.0, r);
    len(sub(p, [ba[0] * h, ba[1] * h])) * (p[1] * ba[0] - p[0] * ba[1]).signum()
}

/// Quilez's heart: lobes up, point down, spanning y in [0, 1.1] with y up; scaled to fit.
fn heart(p: V) -> f32 {
    const S: f32 = 1.7;
    let (x, y) = ((p[0] * 1.05 / S).abs(), -p[1] / S + 0.5);
    let d = if x + y > 1.0 {
        len(sub([x, y], [0.25, 0.75])) - 2f32.sqrt() / 4.0
    } else {
        let a = len(sub([x, y], [0.0, 1.0]));
        let m = 0.5 * (x + y).max(0.0);
        a.min(len(sub([x, y], [m, m]))) * (x - y).signum()
    };
    d * S
}

/// A crescent: a disc with an offset disc taken out (Quilez's moon), horns pointing right.
fn crescent(p: V) -> f32 {
    let (d, ra, rb) = (0.55f32, 1.0f32, 0.85f32);
    let (x, y) = (p[0], p[1].abs());
    let a = (ra * ra - rb * rb + d * d) / (2.0 * d);
    let b = (ra * ra - a * a).max(0.0).sqrt();
    if d * (x * b - y * a) > d * d * (b - y).max(0.0) {
        return len(sub([x, y], [a, b]));
    }
    (len([x, y]) - ra).max(-(len(sub([x, y], [d, 0.0])) - rb))
}

fn cross(p: V) -> f32 {
    let (bx, by) = (0.95f32, 0.32f32);
    let (mut x, mut y) = (p[0].abs(), p[1].abs());
    if y > x {
        (x, y) = (y, x);
    }
    let q = [x - bx, y - by];
    let k = q[0].max(q[1]);
    let w = if k > 0.0 { q } else { [by - x, -k] };
    k.signum() * len([w[0].max(0.0), w[1].max(0.0)])
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Ball,
    Box,
    Triangle,
    Star,
    Heart,
    Ring,
    Cross,
    Banana,
    Apple,
    Cup,
}

impl Category {
    pub const ALL: [Category; 10] = [
        Category::Ball,
        Category::Box,
        Category::Triangle,
        Category::Star,
        Category::Heart,
        Category::Ring,
        Category::Cross,
        Category::Banana,
        Category::Apple,
        Category::Cup,
    ];

    /// The words that name the category, the canonical one first.
    pub fn words(self) -> &'static [&'static str] {
        match self {
            Category::Ball => &["ball", "circle", "disc"],
            Category::Box => &["box", "square", "block"],
            Category::Triangle => &["triangle"],
            Category::Star => &["star"],
            Category::Heart => &["heart"],
            Category::Ring => &["ring", "donut"],
            Category::Cross => &["cross", "plus"],
            Category::Banana => &["banana", "crescent"],
            Category::Apple => &["apple"],
            Category::Cup => &["cup", "mug"],
        }
    }

    pub fn name(self) -> &'static str {
        self.words()[0]
    }

    /// Whether rotating the shape changes how people would name it (a tilted cup is still a cup,
    /// a tilted box reads as a diamond).
    pub fn upright(self) -> bool {
        matches!(
            self,
            Category::Box
                | Category::Triangle
                | Category::Cross
                | Category::Cup
                | Category::Apple
                | Category::Heart
        )
    }

    /// Signed distance from `p` (unit frame) to the outline: negative inside.
    pub fn distance(self, p: V) -> f32 {
        match self {
            Category::Ball => circle(p, [0.0, 0.0], 0.95),
            Category::Box => rect(p, [0.0, 0.0], [0.72, 0.72]) - 0.08,
            Category::Triangle => triangle([p[0], p[1] - 0.15], 1.08),
            Category::Star => star(p, 1.02, 0.45),
            Category::Heart => heart(p),
            Category::Ring => (len(p) - 0.68).abs() - 0.28,
            Category::Cross => cross(p),
            Category::Banana => crescent(p),
            Category::Apple => {
                let body = circle(p, [-0.26, 0.12], 0.66).min(circle(p, [0.26, 0.12], 0.66));
                body.min(rect(p, [0.04, -0.72], [0.06, 0.22]) - 0.02)
            }
            Category::Cup => {
                let body = rect(p, [-0.2, 0.08], [0.56, 0.7]) - 0.06;
                let handle = (circle(p, [0.42, 0.04], 0.36)).abs() - 0.1;
                body.min(handle)
            }
        }
    }
}
