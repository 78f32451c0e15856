//! The whole bring-your-own-edit pipeline, written once for both engines:
//! register the edit's frame -> resample (a plain stretch, or a warp through the fitted map) ->
//! thumbnails -> drift -> blur -> shift search (refined at full size, the edit shrunk again moved
//! by it) -> score -> threshold -> open/close -> components -> holes -> outline at the paint's
//! half strength -> mask, heat map, overlay and stats. `--diff ming` swaps the stages from the
//! drift to the cleanup for the article's own diff.

mod options;
mod stats;

pub use options::{Diff, KeepOption, Options};
pub use stats::{Outcome, Registration, Stats};

use crate::cleanup::components::Selection;
use crate::cleanup::morphology::MAX_RADIUS;
use crate::cleanup::outline::{Band, Sharp};
use crate::cleanup::{threshold, upsample};
use crate::diff::register::{self, Method};
use crate::diff::{align, drift, ming, resample, score, warp};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::pixels::{later, words, Grid, Later};
use crate::render;
use image::{GrayImage, RgbaImage};

/// Work on at most this many pixels (not a limit on the picture: larger originals are processed
/// downscaled and the mask is brought back to full size).
pub const WORKING_PIXELS: usize = 16 << 20;
/// An edit that differs from its original over at least this share of the picture has been
/// redrawn, not only painted (BENCHMARKS.md, "Redrawn pictures").
pub const REDRAWN: f64 = 0.5;

/// Find the painted region on about this many pixels: the working grid shrunk by the whole
/// factor that comes nearest; its outline is then placed on the working grid.
const DETECT_PIXELS: usize = 80_000;
/// Pictures smaller than this are searched at full size: their objects are few pixels across.
const SHRINK_FROM: usize = 600_000;
/// Longest side of the thumbnails the drift is estimated on.
const THUMBNAIL: u32 = 96;
/// Aspect ratios further apart than this are not the same picture.
const MAX_ASPECT_RATIO: f64 = 2.0;

/// The parts of a run, reported as each begins: on large pictures each takes long enough to be
/// worth telling a user about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Resample,
    Detect,
    Outline,
    Render,
}

impl Stage {
    pub fn describe(self) -> &'static str {
        match self {
            Stage::Resample => "bringing both pictures onto one grid",
            Stage::Detect => "finding the painted region",
            Stage::Outline => "placing the outline",
            Stage::Render => "drawing the mask, heat map and overlay",
        }
    }
}

/// Refuse pairs that cannot be the same picture; true when the edit has another aspect ratio.
pub fn check_sizes(original: &RgbaImage, edited: &RgbaImage) -> Result<bool> {
    for (img, what) in [(original, "original"), (edited, "edited")] {
        if img.width() == 0 || img.height() == 0 {
            return Err(Error::ZeroSize(what.into()));
        }
    }
    let aspect = |i: &RgbaImage| i.width() as f64 / i.height() as f64;
    let ratio = aspect(original) / aspect(edited);
    if ratio.max(1.0 / ratio) > MAX_ASPECT_RATIO {
        return Err(Error::AspectMismatch {
            original: original.dimensions(),
            edited: edited.dimensions(),
        });
    }
    Ok((ratio - 1.0).abs() > 0.01)
}

/// The working grid: the original's, scaled down to fit `limit` pixels.
fn working_grid(w: u32, h: u32, limit: usize) -> Grid {
    let n = w as f64 * h as f64;
    if n <= limit as f64 {
        return Grid { w, h };
    }
    let s = (limit as f64 / n).sqrt();
    Grid {
        w: ((w as f64 * s).floor() as u32).max(1),
        h: ((h as f64 * s).floor() as u32).max(1),
    }
}

/// The working grid shrunk by the whole factor that brings it nearest to `DETECT_PIXELS` (none
/// under `SHRINK_FROM`, 3 or more from there): whole blocks of pixels, averaged without weights,
/// and each later stage's fine pixel falls in one detection pixel.
fn detection_grid(grid: Grid) -> Grid {
    if grid.len() < SHRINK_FROM {
        return grid;
    }
    let k = (grid.len() as f64 / DETECT_PIXELS as f64).sqrt().round() as u32;
    Grid {
        w: grid.w.div_ceil(k),
        h: grid.h.div_ceil(k),
    }
}

fn thumbnail_grid(g: Grid) -> Grid {
    let s = (THUMBNAIL as f64 / g.w.max(g.h) as f64).min(1.0);
    Grid {
        w: ((g.w as f64 * s).round() as u32).max(1),
        h: ((g.h as f64 * s).round() as u32).max(1),
    }
}

pub(crate) async fn run<'img, E: Engine>(
    engine: &E,
    original: &'img RgbaImage,
    edited: &'img RgbaImage,
    opts: &Options,
    progress: &dyn Fn(Stage),
) -> Result<Outcome> {
    let started = crate::clock::now_ms();
    let stretched = check_sizes(original, edited)?;
    progress(Stage::Resample);
    let counts_before = engine.counts();
    let full = Grid::of(original);
    let limit = WORKING_PIXELS.min(engine.max_pixels());
    let grid = working_grid(full.w, full.h, limit);
    let mut notes = Vec::new();
    if grid != full {
        notes.push(format!(
            "{}x{} is over the size limit: processed at {}x{} and the mask brought back to full size along its edges",
            full.w, full.h, grid.w, grid.h
        ));
    }

    // Stage 1: the original onto the working grid, the edit as it came (either brought under
    // the limit on the host first when too large for one buffer).
    let mut onto = |img: &'img RgbaImage, to: Grid, what: &str| {
        let (words, from) = (words(img), Grid::of(img));
        if from.len() > limit {
            notes.push(format!(
                "the {what} ({}x{}) is larger than one GPU buffer or the size limit: resampled on the host",
                from.w, from.h
            ));
            return (engine.upload(resample::cpu(&words, from, to).into()), to);
        }
        (engine.upload(words), from)
    };
    let (o, o_from) = onto(original, grid, "original");
    let o = if o_from == grid {
        o
    } else {
        engine.resample(&o, o_from, grid)
    };
    let edit_size = Grid::of(edited);
    let (e_raw, edit_grid) = onto(
        edited,
        working_grid(edit_size.w, edit_size.h, limit),
        "edit",
    );
    progress(Stage::Detect);

    // Stages 2-5 find the painted region on the detection grid (the working grid, or smaller
    // for large pictures); stage 5c places its outline on the working grid.
    let detect = detection_grid(grid);
    let scale = grid.w as f64 / detect.w as f64;
    let o_small;
    let o_d = if detect == grid {
        &o
    } else {
        o_small = engine.shrink(&o, grid, detect, (0, 0));
        &o_small
    };
    // Editors shift by a pixel or two of their own output: that many detection pixels here.
    let upscale = (detect.w as f64 / edit_grid.w as f64)
        .max(detect.h as f64 / edit_grid.h as f64)
        .max(1.0);
    let reach = ((opts.max_shift as f64 * upscale).ceil() as u32).min(16);

    // Stage 1a: where the edit's frame sits on the original's, fitted on thumbnails.
    let edit_detect = detection_grid(edit_grid);
    let e_small = (edit_detect != edit_grid
        && (opts.register != Method::Shift || edit_grid == grid))
        .then(|| engine.shrink(&e_raw, edit_grid, edit_detect, (0, 0)));
    let (fit, thumbs) = if opts.register == Method::Shift {
        (register::Fit::stretch(), None)
    } else {
        // Both thumbnails on one grid: the edit's stretched onto the original's.
        let to = register_grid(detect);
        let (ot, et) = engine
            .download_both(
                (engine.resample(o_d, detect, to), to.len()),
                (
                    engine.resample(e_small.as_ref().unwrap_or(&e_raw), edit_detect, to),
                    to.len(),
                ),
            )
            .await?;
        let fit = register::fit(
            &ot,
            &et,
            to,
            opts.register,
            grid,
            reach * scale.round() as u32,
            edit_size != full,
        );
        (fit, Some((ot, et, to)))
    };
    let registered = fit.method != Method::Shift;
    // Whether the edit's frame shows every pixel of the original (a frame of its own may not).
    let shows_all = !registered || fit.map.sees_all(grid);
    let e = if registered {
        // The editor's drift, from the thumbnails brought together through the map: the pixels
        // the edit does not show take the original's with it applied (where it shows them all,
        // none need it).
        let (ot, et, to) = thumbs.as_ref().expect("fitted on thumbnails");
        let tone = if shows_all {
            drift::Drift::NONE
        } else {
            let through = warp::cpu(et, *to, ot, *to, &fit.map, &drift::Drift::NONE);
            // On the drift's own thumbnail size, as stage 2b estimates it.
            let small = thumbnail_grid(*to);
            drift::estimate(
                &resample::cpu(ot, *to, small),
                &resample::cpu(&through, *to, small),
                small,
            )
        };
        engine.warp(&e_raw, edit_grid, &o, grid, &fit.map, &tone)
    } else if edit_grid == grid {
        e_raw
    } else {
        engine.resample(&e_raw, edit_grid, grid)
    };
    if registered {
        let shape = fit.map.describe(full);
        notes.push(format!(
            "the edit ({}x{}) is in a frame of its own: registered ({}) with its content {:.3}x{:.3} the size of a plain stretch, turned {:.2} degrees, moved {:+.1},{:+.1} px{}",
            edit_size.w,
            edit_size.h,
            match fit.method {
                Method::Flow => "scale, turn, shift and a smooth drift",
                _ => "scale, turn and shift",
            },
            shape.scale[0],
            shape.scale[1],
            shape.rotation,
            shape.offset[0],
            shape.offset[1],
            if shape.largest_drift > 0.0 {
                format!(", drifting up to {:.1} px", shape.largest_drift)
            } else {
                String::new()
            }
        ));
    } else if stretched {
        notes.push(format!(
            "the edit is {}x{}, another aspect ratio than the original's {}x{}: stretched back onto the original",
            edit_size.w, edit_size.h, full.w, full.h
        ));
    } else if edit_size != full {
        notes.push(format!(
            "the edit is {}x{}: resampled to {}x{}",
            edit_size.w, edit_size.h, full.w, full.h
        ));
    }
    // The detection grid's edit: the shrink made for the thumbnails when the edit came in the
    // working grid's size and needed no warp.
    let e_small = if !registered && edit_grid == grid {
        e_small
    } else {
        None
    };

    let found = match opts.diff {
        Diff::Ming => ming_diff(engine, &o, &e, grid, full).await?,
        Diff::EditSeg => {
            find(
                engine,
                Pair {
                    o: &o,
                    e: &e,
                    o_d,
                    e_small,
                },
                Grids { grid, detect, full },
                reach,
                opts,
                progress,
            )
            .await?
        }
    };

    // Stage 6: outputs at the original's size, from the mask as bytes (255 inside).
    progress(Stage::Render);
    let (dispatches, readbacks) = match (counts_before, engine.counts()) {
        (Some(a), Some(b)) => (Some(b.0 - a.0), Some(b.1 - a.1)),
        _ => (None, None),
    };
    let Found {
        bytes,
        grid: mask_grid,
        heat,
        threshold: t,
        changed_share,
        drift,
        shift,
    } = found;
    let mut mask = if mask_grid == full {
        GrayImage::from_raw(full.w, full.h, bytes).expect("one byte a pixel")
    } else {
        // A picture larger than the engine takes: stage 7's joint bilateral upsampling brings
        // the mask to its size along its own edges, on the host.
        let guide = if mask_grid == grid {
            o
        } else {
            engine.shrink(&o, grid, mask_grid, (0, 0))
        };
        let guide = engine.download(guide, mask_grid.len()).await?;
        let big = upsample::cpu(&bytes, &guide, mask_grid, &words(original), full);
        GrayImage::from_raw(full.w, full.h, big).expect("one byte a pixel")
    };
    // What the edit's frame does not show cannot be known: outside the mask, and said.
    let visible = (!shows_all).then(|| fit.map.visible(full));
    let visible_share = match &visible {
        Some(seen) => {
            for (m, &v) in mask.iter_mut().zip(seen) {
                *m &= v;
            }
            let share = seen.iter().filter(|&&v| v != 0).count() as f64 / full.len() as f64;
            notes.push(format!(
                "the edit's frame does not show {:.1}% of the original (cropped away by the editor): those pixels are outside the mask",
                100.0 * (1.0 - share)
            ));
            share
        }
        None => 1.0,
    };
    let area = render::area(mask.as_raw());
    if changed_share >= REDRAWN {
        notes.push(format!(
            "the edit differs from the original over {:.0}% of the picture: the editor seems to have redrawn it, not only painted the object, and the mask may hold more than the object",
            100.0 * changed_share
        ));
    }
    if area == 0 {
        notes.push(
            "no painted region found: the edit does not differ from the original beyond noise"
                .into(),
        );
    }
    let visible =
        visible.map(|seen| GrayImage::from_raw(full.w, full.h, seen).expect("one byte a pixel"));
    let overlay = render::overlay_onto(original, &mask, heat.1.get());
    let overlay = match &visible {
        Some(seen) => render::hatch(overlay, seen),
        None => overlay,
    };
    let shape = if registered {
        fit.map.describe(full)
    } else {
        // The shift in the original's pixels.
        register::Map {
            b: [
                shift.0 as f32 / grid.w as f32,
                shift.1 as f32 / grid.h as f32,
            ],
            ..register::Map::STRETCH
        }
        .describe(full)
    };
    Ok(Outcome {
        heat: heat.0.get(),
        overlay,
        mask,
        visible,
        stats: Stats {
            backend: engine.name(),
            width: full.w,
            height: full.h,
            edited_width: edit_size.w,
            edited_height: edit_size.h,
            stretched,
            working_width: grid.w,
            working_height: grid.h,
            detection_width: detect.w,
            detection_height: detect.h,
            area,
            area_fraction: area as f64 / full.len() as f64,
            threshold: t,
            threshold_auto: opts.threshold.is_none(),
            gain: drift.gain(),
            offset: drift.offset(),
            lighting: drift.lighting(),
            paint: opts.color.map(crate::color::hex),
            changed_share,
            scene_likeness: None,
            shift,
            registration: Registration {
                method: fit.method,
                scale: shape.scale,
                rotation: shape.rotation,
                offset: shape.offset,
                largest_drift: shape.largest_drift,
                residual: fit.residual,
            },
            visible_share,
            diff: opts.diff,
            dispatches,
            readbacks,
            milliseconds: crate::clock::now_ms() - started,
            notes,
        },
    })
}

/// The registration's thumbnails: the grid shrunk to `register::THUMBNAIL` on its longest side.
fn register_grid(g: Grid) -> Grid {
    let s = (register::THUMBNAIL as f64 / g.w.max(g.h) as f64).min(1.0);
    Grid {
        w: ((g.w as f64 * s).round() as u32).max(1),
        h: ((g.h as f64 * s).round() as u32).max(1),
    }
}

/// Both pictures on the working grid, the original on the detection grid, and the edit there
/// when it is already made.
struct Pair<'b, 'a, E: Engine> {
    o: &'b E::Buf<'a>,
    e: &'b E::Buf<'a>,
    o_d: &'b E::Buf<'a>,
    e_small: Option<E::Buf<'a>>,
}

#[derive(Clone, Copy)]
struct Grids {
    grid: Grid,
    detect: Grid,
    full: Grid,
}

/// What a diff found: the mask as bytes on `grid`, the heat map and the overlay's buffer (both
/// made beside the rest), the threshold, the share that changed, the drift and the shift.
struct Found {
    bytes: Vec<u8>,
    grid: Grid,
    heat: (Later<RgbaImage>, Later<Vec<u8>>),
    threshold: u8,
    changed_share: f64,
    drift: drift::Drift,
    shift: (i32, i32),
}

/// Stages 2-5c: EditSeg's diff and cleanup.
async fn find<'a, E: Engine>(
    engine: &E,
    pair: Pair<'_, 'a, E>,
    grids: Grids,
    reach: u32,
    opts: &Options,
    progress: &dyn Fn(Stage),
) -> Result<Found> {
    let Grids { grid, detect, full } = grids;
    let Pair { o, e, o_d, e_small } = pair;
    let scale = grid.w as f64 / detect.w as f64;
    let e_made;
    let e_d = if detect == grid {
        e
    } else {
        e_made = e_small.unwrap_or_else(|| engine.shrink(e, grid, detect, (0, 0)));
        &e_made
    };

    // Stage 2: drift from thumbnails, blur, drift applied to the original, shift search.
    let thumb = thumbnail_grid(detect);
    let (o_thumb, e_thumb) = engine
        .download_both(
            (engine.resample(o_d, detect, thumb), thumb.len()),
            (engine.resample(e_d, detect, thumb), thumb.len()),
        )
        .await?;
    // The overlay's buffer, zeroed where the drift fit leaves a core idle.
    let canvas = later(move || vec![0u8; 4 * full.len()]);
    let sigma = (detect.w.min(detect.h) as f32 / 512.0).clamp(1.0, 2.0);
    let (drift, o_blurred, e_blurred) = engine.blur_pair(o_d, e_d, detect, sigma, || {
        drift::estimate(&o_thumb, &e_thumb, thumb)
    });
    let o_sharp = engine.drift(o_d, detect, &drift);
    let search = align::Search::new(detect, reach);
    let shift = search.best(
        &engine
            .align(&o_blurred, &e_blurred, detect, &search, None)
            .await?,
    );

    // Stage 2c, on a detection grid smaller than the working grid: the shift refined at full
    // size around its scaled value, and the edit shrunk again read moved by it. Blocks paired
    // a fraction of a block apart would leave a seam along every edge of the picture in the
    // score, above the noise where the grid is coarse.
    let (fine_shift, aligned) = if detect == grid {
        (shift, None)
    } else {
        // At full size the drift is applied only where pixels are read: the sampled pixels of
        // the shift search and the band along the outline.
        let guess = (
            (shift.0 as f64 * scale).round() as i32,
            (shift.1 as f64 * scale).round() as i32,
        );
        // Beyond a pixel each way, a first look on fewer sampled pixels narrows the range.
        let radius = (scale / 2.0).ceil() as u32;
        let guess = if radius > 1 {
            let wide = align::Search::around(grid, guess, radius);
            wide.best(&engine.align(o, e, grid, &wide, Some(&drift)).await?)
        } else {
            guess
        };
        let around = align::Search::refine(grid, guess, 1);
        let fine = around.best(&engine.align(o, e, grid, &around, Some(&drift)).await?);
        let aligned = (fine != (0, 0)).then(|| {
            let e_d = engine.shrink(e, grid, detect, fine);
            let e_blurred = engine.blur(&e_d, detect, sigma);
            (e_d, e_blurred)
        });
        (fine, aligned)
    };
    // The detection grid's pair as the score reads it, and the shift between them.
    let (e_d, e_blurred, shift) = match &aligned {
        Some((e_d, e_blurred)) => (e_d, e_blurred, (0, 0)),
        None if detect != grid => (e_d, &e_blurred, (0, 0)),
        None => (e_d, &e_blurred, shift),
    };

    // Stage 3: score.
    let scoring = score::Scoring {
        shift,
        paint: opts.color,
    };
    let s = engine.score(
        score::Pair {
            original: &o_blurred,
            edited: e_blurred,
        },
        score::Pair {
            original: &o_sharp,
            edited: e_d,
        },
        detect,
        &scoring,
    );

    // Stage 4: threshold. The score comes to the host once, here: for its histogram and, at the
    // end, the heat map.
    let n = detect.len();
    let score = engine.read(&s, n).await?;
    let histogram = threshold::histogram_cpu(&score);
    let t = match opts.threshold {
        Some(t) => t,
        None => threshold::auto(&histogram),
    };
    let changed_share = threshold::changed_share(&histogram);
    // The heat map needs nothing more: drawn beside the cleanup and the outline.
    let heat = later(move || render::heat_image(&score, detect, full));
    let mask = engine.binarize(&s, detect, t);

    // Stage 5: cleanup.
    let (open, close) = radii(opts, detect, grid);
    if open.max(close) > MAX_RADIUS {
        return Err(Error::BadOption(format!(
            "open={open}, close={close}: the largest radius is {MAX_RADIUS}"
        )));
    }
    let mask = engine.open_close(&mask, detect, open, close);
    let selection = Selection {
        keep: opts.keep.on(full, detect, open as i32 + 1)?,
        min_area: (opts.min_area * n as f64).ceil() as u32,
        max_hole: (opts.max_hole.unwrap_or(options::MAX_HOLE) * n as f64) as u32,
    };
    let mask = engine.components(&mask, detect, &selection);

    // Stage 5c: the outline where the paint is at half its local strength, on the working grid.
    progress(Stage::Outline);
    let coarse = Sharp {
        original: &o_sharp,
        edited: e_d,
        grid: detect,
        drift: None,
        shift,
        paint: opts.color,
    };
    let fine = if detect == grid {
        coarse
    } else {
        Sharp {
            original: o,
            edited: e,
            grid,
            drift: Some(drift),
            shift: fine_shift,
            paint: opts.color,
        }
    };
    let outlined = opts
        .outline
        .unwrap_or(true)
        .then(|| engine.outline(&mask, &s, Band::new(scale), coarse, fine));
    let (bytes, mask_grid) = match outlined {
        Some(packed) => {
            let words = engine.download(packed, grid.len().div_ceil(4)).await?;
            (render::unpacked(&words, grid.len()), grid)
        }
        None => (render::bytes(&engine.download(mask, n).await?), detect),
    };
    Ok(Found {
        bytes,
        grid: mask_grid,
        heat: (heat, canvas),
        threshold: t,
        changed_share,
        drift,
        shift: fine.shift,
    })
}

/// The article's own diff (`--diff ming`), on the host: `ming::mask` of the working grid's pair.
async fn ming_diff<E: Engine>(
    engine: &E,
    o: &E::Buf<'_>,
    e: &E::Buf<'_>,
    grid: Grid,
    full: Grid,
) -> Result<Found> {
    let n = grid.len();
    let (o, e) = (engine.read(o, n).await?, engine.read(e, n).await?);
    let diffed = ming::diff(&o, &e, grid);
    let changed_share = diffed.changed_share();
    let bytes = diffed.mask();
    let score = diffed.score;
    let heat = later(move || render::heat_image(&score, grid, full));
    let canvas = later(move || vec![0u8; 4 * full.len()]);
    Ok(Found {
        bytes,
        grid,
        heat: (heat, canvas),
        threshold: ming::THRESHOLD,
        changed_share,
        drift: drift::Drift::NONE,
        shift: (0, 0),
    })
}

/// The opening's and the closing's radii on the detection grid `detect` (of the working grid
/// `grid`), unless the caller chose them: a pixel per 256 of the shorter side for the opening,
/// one more for the closing, and one more again on a shrunk grid.
fn radii(opts: &Options, detect: Grid, grid: Grid) -> (u32, u32) {
    let auto_radius = (detect.w.min(detect.h) as f32 / 256.0)
        .round()
        .clamp(1.0, 8.0) as u32;
    let open = opts.open_radius.unwrap_or(auto_radius);
    // A pixel of a shrunk grid stands for a block of working pixels: the opening there takes away
    // thinly found parts of the object (a red stripe painted red) several working pixels across,
    // and a wider closing brings them back.
    let close = opts
        .close_radius
        .unwrap_or(auto_radius + 1 + u32::from(detect != grid));
    (open, close)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cleanup_radii_follow_the_grid_unless_the_caller_chose_them() {
        let g = |w, h| Grid { w, h };
        let auto = Options::default();
        // The quality tables were measured with these; changing them needs new measurements.
        assert_eq!(radii(&auto, g(640, 480), g(640, 480)), (2, 3));
        assert_eq!(radii(&auto, g(200, 150), g(200, 150)), (1, 2));
        assert_eq!(radii(&auto, g(289, 217), g(1156, 868)), (1, 3));
        assert_eq!(radii(&auto, g(4000, 3000), g(4000, 3000)), (8, 9));
        let chosen = Options {
            open_radius: Some(0),
            close_radius: Some(4),
            ..Options::default()
        };
        assert_eq!(radii(&chosen, g(289, 217), g(1156, 868)), (0, 4));
    }

    #[test]
    fn large_originals_get_a_working_grid_under_the_limit() {
        let g = working_grid(6000, 4000, WORKING_PIXELS);
        assert!(g.len() <= WORKING_PIXELS && g.w > 4900, "{g:?}");
        assert_eq!(
            working_grid(640, 480, WORKING_PIXELS),
            Grid { w: 640, h: 480 }
        );
    }

    #[test]
    fn the_detection_grid_is_the_working_grid_a_whole_factor_smaller() {
        let g = |w, h| detection_grid(Grid { w, h });
        assert_eq!(g(640, 480), Grid { w: 640, h: 480 });
        assert_eq!(g(900, 600), Grid { w: 900, h: 600 });
        assert_eq!(g(1200, 800), Grid { w: 400, h: 267 });
        assert_eq!(g(1155, 866), Grid { w: 289, h: 217 });
        assert_eq!(g(4000, 3000), Grid { w: 334, h: 250 });
        for (w, h) in [(1000, 700), (1920, 1080), (4896, 3264), (300, 8000)] {
            let n = g(w, h).len() as f64 / DETECT_PIXELS as f64;
            assert!((0.6..2.5).contains(&n), "{w}x{h}: {n}");
        }
    }

    #[test]
    fn a_radius_set_past_the_largest_is_refused_by_name() {
        let img = RgbaImage::new(40, 30);
        let opts = Options {
            close_radius: Some(MAX_RADIUS + 1),
            ..Options::default()
        };
        let run = run(&crate::engine::Cpu, &img, &img, &opts, &|_| {});
        let e = pollster::block_on(run).err().expect("refused");
        assert!(e.to_string().contains("the largest radius is 32"), "{e}");
    }
}
