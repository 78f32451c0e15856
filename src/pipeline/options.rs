//! What the caller can steer: the paint, the threshold and the cleanup. One parser serves the
//! command line and the JS options object.

use crate::cleanup::components::Keep;
use crate::cleanup::morphology::MAX_RADIUS;
use crate::color;
use crate::diff::register::Method;
use crate::error::{Error, Result};
use crate::pixels::Grid;

#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// The colour the editor was asked to paint, when known.
    pub color: Option<[u8; 3]>,
    /// A fixed score threshold (0-255); automatic (Otsu) when `None`.
    pub threshold: Option<u8>,
    pub keep: KeepOption,
    /// Disk radii for opening and closing; chosen from the image size when `None`.
    pub open_radius: Option<u32>,
    pub close_radius: Option<u32>,
    /// Components smaller than this share of the image are dropped.
    pub min_area: f64,
    /// Holes no larger than this share of the image are filled; [`MAX_HOLE`] when `None`.
    pub max_hole: Option<f64>,
    /// Largest shift to search for, in the edited image's pixels.
    pub max_shift: u32,
    /// Place the outline where the paint is at half its local strength (stage 5c); off, the
    /// threshold's outline stays (for clean, hard-edged edits of small shapes). On when `None`.
    pub outline: Option<bool>,
    /// How the edit's frame is brought onto the original's.
    pub register: Method,
    /// Which diff finds the painted region.
    pub diff: Diff,
}

/// The diff that finds the painted region: EditSeg's stages, or the article's own recipe
/// (`diff::ming`) for comparing with its numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Diff {
    #[default]
    EditSeg,
    Ming,
}

/// The share of the image up to which holes are filled, unless the caller says otherwise.
pub const MAX_HOLE: f64 = 0.01;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum KeepOption {
    All,
    Largest,
    /// Keep the components touching this point of the original.
    Seed(u32, u32),
}

impl Default for Options {
    fn default() -> Self {
        Options {
            color: None,
            threshold: None,
            keep: KeepOption::All,
            open_radius: None,
            close_radius: None,
            min_area: 0.0005,
            max_hole: None,
            max_shift: 2,
            outline: None,
            register: Method::Auto,
            diff: Diff::EditSeg,
        }
    }
}

impl Options {
    /// The option names `set` accepts, shared by the command line and the JS options object.
    pub const KEYS: &'static [&'static str] = &[
        "color",
        "threshold",
        "keep",
        "seed",
        "open",
        "close",
        "min-area",
        "max-hole",
        "max-shift",
        "outline",
        "register",
        "diff",
    ];

    /// Set one option from its text form.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let bad = |why: &str| Error::BadOption(format!("{key} {value:?}: {why}"));
        let int = |max: u32| {
            value
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|v| *v <= max)
                .ok_or_else(|| bad(&format!("expected a whole number 0-{max}")))
        };
        let share = || {
            value
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| (0.0..=1.0).contains(v))
                .ok_or_else(|| bad("expected a share of the image between 0 and 1"))
        };
        match key {
            "color" | "colour" => self.color = Some(color::parse(value)?),
            "threshold" => self.threshold = Some(int(255)? as u8),
            "keep" => {
                self.keep = match value.trim() {
                    "all" => KeepOption::All,
                    "largest" => KeepOption::Largest,
                    _ => return Err(bad("expected all or largest (or give seed=x,y)")),
                }
            }
            "seed" => {
                let (x, y) = value.split_once(',').ok_or_else(|| bad("expected x,y"))?;
                let p = |s: &str| {
                    s.trim()
                        .parse::<u32>()
                        .map_err(|_| bad("expected x,y in pixels"))
                };
                self.keep = KeepOption::Seed(p(x)?, p(y)?);
            }
            "open" => self.open_radius = Some(int(MAX_RADIUS)?),
            "close" => self.close_radius = Some(int(MAX_RADIUS)?),
            "min-area" => self.min_area = share()?,
            "max-hole" => self.max_hole = Some(share()?),
            "max-shift" => self.max_shift = int(16)?,
            "outline" => {
                self.outline = match value.trim() {
                    "half" => Some(true),
                    "threshold" => Some(false),
                    _ => return Err(bad("expected half or threshold")),
                }
            }
            "register" => self.register = value.parse()?,
            "diff" => {
                self.diff = match value.trim() {
                    "editseg" => Diff::EditSeg,
                    "ming" => Diff::Ming,
                    _ => return Err(bad("expected editseg or ming")),
                }
            }
            _ => {
                return Err(Error::BadOption(format!(
                    "unknown option {key:?} (known: {})",
                    Self::KEYS.join(", ")
                )))
            }
        }
        Ok(())
    }
}

impl KeepOption {
    /// The components to keep on the working `grid`, a seed given in the `full` original's
    /// pixels scaled onto it and widened by `radius` (what the opening may have eaten).
    pub(crate) fn on(self, full: Grid, grid: Grid, radius: i32) -> Result<Keep> {
        let scale = |v: u32, from: u32, to: u32| (v as f64 * to as f64 / from as f64) as i32;
        Ok(match self {
            KeepOption::All => Keep::All,
            KeepOption::Largest => Keep::Largest,
            KeepOption::Seed(x, y) => {
                if x >= full.w || y >= full.h {
                    return Err(Error::BadOption(format!(
                        "seed {x},{y} is outside the {}x{} original",
                        full.w, full.h
                    )));
                }
                Keep::Seed {
                    x: scale(x, full.w, grid.w),
                    y: scale(y, full.h, grid.h),
                    radius,
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_and_refuse_bad_values_by_name() {
        let mut o = Options::default();
        o.set("color", "#102030").unwrap();
        o.set("seed", "3, 4").unwrap();
        o.set("threshold", "40").unwrap();
        assert_eq!(
            (o.color, o.keep, o.threshold),
            (Some([16, 32, 48]), KeepOption::Seed(3, 4), Some(40))
        );
        assert!(o
            .set("threshold", "300")
            .unwrap_err()
            .to_string()
            .contains("threshold"));
        assert!(o
            .set("colour", "plaid")
            .unwrap_err()
            .to_string()
            .contains("plaid"));
        assert!(o
            .set("speed", "1")
            .unwrap_err()
            .to_string()
            .contains("unknown option \"speed\""));
    }
}
