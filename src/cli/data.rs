//! `editseg data preview|export`: RefScenes samples as a contact sheet or a RefCOCO-format dataset.

use super::{progress_bar, usage, write, Flags};
use editseg::scenes::{Sample, Split};
use editseg::{imageio, Error};
use std::path::PathBuf;

pub fn run(mut argv: impl Iterator<Item = String>) -> Result<(), Error> {
    let action = argv
        .next()
        .ok_or_else(|| usage("data needs preview or export".into()))?;
    if action != "preview" && action != "export" {
        return Err(usage(format!(
            "unknown data command {action:?}: use preview or export"
        )));
    }
    let flags = Flags::parse(
        &format!("data {action}"),
        argv,
        &["split", "count", "out", "seed", "size"],
        &[],
    )?;
    let count = flags.number("count", 0, 1..=1_000_000)?;
    if count == 0 {
        return Err(usage("--count is required".into()));
    }
    let seed = flags.number("seed", 0, 0..=u64::MAX)?;
    let size = flags.number("size", 128, 8..=2048)? as u32;
    let split = flags.need("split")?;
    let splits = match (split, action.as_str()) {
        ("all", "export") => vec![Split::Val, Split::TestA, Split::TestB],
        _ => vec![Split::parse(split)?],
    };
    let out = PathBuf::from(flags.need("out")?);
    let samples: Vec<Sample> = splits
        .iter()
        .flat_map(|&s| (0..count).map(move |i| Sample::generate(s, i, seed)))
        .collect();
    if action == "preview" {
        let sheet = editseg::scenes::preview::contact_sheet(&samples, size);
        write(&out, &imageio::encode_png_rgba(&sheet))?;
        println!(
            "{} samples of {split} drawn to {}",
            samples.len(),
            out.display()
        );
    } else {
        editseg::refcoco::write::export(&samples, size, &out, &progress_bar())?;
        println!(
            "{} samples of {split} written to {} (refs(unc).p, instances.json, images/)",
            samples.len(),
            out.display()
        );
    }
    Ok(())
}
