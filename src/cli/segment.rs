//! `editseg segment`: the painter on one instruction, the mask at the image's size, or the
//! reason there is none (exit status 3).

use super::editor::EditorArgs;
use super::{Backend, Weights};
use editseg::editor::{redact, Adapter};
use editseg::painter::segment::{segment, Answer, NotFound};
use editseg::{color, files, imageio, Error, Options};
use std::path::PathBuf;
use std::time::Instant;

/// Have the painter, or with --editor any editor, paint what an instruction names, e.g. "paint
/// the girl with the umbrella purple", and write the mask at the image's size (255 inside).
/// When the painter finds nothing that fits, it writes no mask, says why and exits with status
/// 3; an editor that fails exits with status 4, saying why
#[derive(clap::Args)]
pub struct Args {
    /// The picture
    #[arg(long, value_name = "PATH")]
    image: PathBuf,
    /// What to paint, e.g. "paint the small heart left of the box red"
    #[arg(long, value_name = "TEXT")]
    instruction: String,
    /// Where to write the mask (PNG)
    #[arg(long, value_name = "MASK.png")]
    out: PathBuf,
    /// Also write the edit: the painter's at the image's size, an editor's as it came (PNG)
    #[arg(long, value_name = "PATH")]
    edit_out: Option<PathBuf>,
    /// The paint, overriding the instruction's: a name or #rrggbb
    #[arg(long, value_name = "NAME|#rrggbb")]
    color: Option<String>,
    /// Also write what was found as JSON: {found, reason, note, sceneLikeness, expression,
    /// paint, stats}
    #[arg(long, value_name = "PATH")]
    stats: Option<PathBuf>,
    /// Paint even when the picture does not look like a RefScenes scene
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    weights: Weights,
    #[command(flatten)]
    backend: Backend,
    #[command(flatten)]
    editor: EditorArgs,
}

/// What `--stats` holds.
#[derive(serde::Serialize)]
struct Report<'a> {
    found: bool,
    #[serde(flatten)]
    not_found: Option<&'a NotFound>,
    expression: &'a str,
    paint: Option<String>,
    stats: Option<&'a editseg::Stats>,
}

/// Whether a mask was written: `Ok(false)` when nothing in the picture fits.
pub fn run(args: Args) -> Result<bool, Error> {
    match args.editor.editor {
        Some(adapter) if adapter != Adapter::Builtin => return with_editor(&args, adapter),
        _ => {}
    }
    let options = Options {
        color: args.color.as_deref().map(color::parse).transpose()?,
        ..Default::default()
    };
    let picture = imageio::read(&args.image)?;
    let painter = args.weights.painter()?;
    let differ = args.backend.open()?;
    let clock = Instant::now();
    let answer = pollster::block_on(segment(
        &painter,
        &differ,
        &picture,
        &args.instruction,
        &options,
        args.force,
    ))?;
    let result = match answer {
        Answer::Found(result) => result,
        Answer::NotFound {
            expression,
            not_found,
            ..
        } => {
            if let Some(path) = &args.stats {
                let report = Report {
                    found: false,
                    not_found: Some(&not_found),
                    expression: &expression,
                    paint: None,
                    stats: None,
                };
                files::write_json(path, &report)?;
            }
            eprintln!("editseg: {}; no mask written", not_found.note);
            return Ok(false);
        }
    };
    files::write(&args.out, imageio::encode_png_gray(&result.outcome.mask))?;
    if let Some(path) = &args.edit_out {
        let edit = image::imageops::resize(
            &result.painted.edit,
            picture.width(),
            picture.height(),
            image::imageops::FilterType::Triangle,
        );
        files::write(path, imageio::encode_png_rgba(&edit))?;
    }
    if let Some(path) = &args.stats {
        let report = Report {
            found: true,
            not_found: None,
            expression: &result.painted.instruction.expression,
            paint: Some(color::hex(result.painted.paint)),
            stats: Some(&result.outcome.stats),
        };
        files::write_json(path, &report)?;
    }
    for note in &result.outcome.stats.notes {
        eprintln!("editseg: {note}");
    }
    let area = result.outcome.stats.area;
    let t = result.timings;
    println!(
        "{:?} painted {}: mask {}x{}, {area} pixels ({:.1}%), {:.0} ms (painter {:.0}, diff {:.0}, upsample {:.0})",
        result.painted.instruction.expression,
        color::hex(result.painted.paint),
        picture.width(),
        picture.height(),
        100.0 * result.outcome.stats.area_fraction,
        clock.elapsed().as_secs_f64() * 1000.0,
        t.painter,
        t.diff,
        t.upsample
    );
    Ok(true)
}

/// An external editor: the instruction sent as written, the edit diffed against the picture
/// with the colour given, else the one the instruction names, else colour-blind.
fn with_editor(args: &Args, adapter: Adapter) -> Result<bool, Error> {
    let paint = match &args.color {
        Some(c) => Some(color::parse(c)?),
        None => editseg::instruction::parse(&args.instruction)?.paint,
    };
    let options = Options {
        color: paint,
        ..Default::default()
    };
    let picture = imageio::read(&args.image)?;
    let opened = args.editor.open(adapter, &args.weights)?;
    let differ = args.backend.open()?;
    let clock = Instant::now();
    let png = imageio::encode_png_rgba(&picture);
    let answer = opened
        .editor
        .edit(&png, &args.instruction, args.editor.seed)
        .map_err(|f| Error::Editor(redact(&f.to_string(), opened.key.as_deref())))?;
    let asked_ms = clock.elapsed().as_secs_f64() * 1000.0;
    let edit = imageio::decode(&answer.image, "the editor's picture")?;
    if let Some(path) = &args.edit_out {
        files::write(path, imageio::encode_png_rgba(&edit))?;
    }
    let outcome = pollster::block_on(differ.mask_from_edit(&picture, &edit, &options))?;
    files::write(&args.out, imageio::encode_png_gray(&outcome.mask))?;
    if let Some(path) = &args.stats {
        let expression = editseg::instruction::parse(&args.instruction)?.expression;
        let report = Report {
            found: true,
            not_found: None,
            expression: &expression,
            paint: paint.map(color::hex),
            stats: Some(&outcome.stats),
        };
        files::write_json(path, &report)?;
    }
    for note in &outcome.stats.notes {
        eprintln!("editseg: {note}");
    }
    println!(
        "{} edited {}x{} into {}x{}: mask {area} pixels ({:.1}%), {:.0} ms (editor {asked_ms:.0}, diff {:.0})",
        adapter.name(),
        picture.width(),
        picture.height(),
        edit.width(),
        edit.height(),
        100.0 * outcome.stats.area_fraction,
        clock.elapsed().as_secs_f64() * 1000.0,
        outcome.stats.milliseconds,
        area = outcome.stats.area,
    );
    Ok(true)
}
