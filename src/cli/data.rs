//! `editseg data preview|export`: RefScenes samples as a contact sheet or a RefCOCO-format dataset.

use super::progress_bar;
use editseg::scenes::{Sample, Split};
use editseg::{files, imageio, Error};
use std::path::PathBuf;

/// Draw RefScenes samples: as a contact sheet (target outlined, expression below), or as a
/// RefCOCO-format dataset (refs(unc).p, instances.json with polygons, images/)
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// A contact sheet (PNG)
    Preview(Samples),
    /// A RefCOCO-format dataset
    Export(Samples),
}

#[derive(clap::Args)]
struct Samples {
    /// train, val, testA or testB; for export also all (val, testA and testB)
    #[arg(long, value_name = "SPLIT")]
    split: String,
    /// Samples per split
    #[arg(long, value_name = "N", allow_negative_numbers = true,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    count: u64,
    /// Where to write: SHEET.png for preview, DIR for export
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
    /// Picks the samples
    #[arg(long, value_name = "S", default_value_t = 0)]
    seed: u64,
    /// The picture's side in pixels
    #[arg(long, value_name = "PX", default_value_t = 128,
          value_parser = clap::value_parser!(u32).range(8..=2048))]
    size: u32,
}

impl Samples {
    fn draw(&self, all_allowed: bool) -> Result<Vec<Sample>, Error> {
        let splits = if all_allowed && self.split == "all" {
            vec![Split::Val, Split::TestA, Split::TestB]
        } else {
            vec![Split::parse(&self.split)?]
        };
        Ok(splits
            .iter()
            .flat_map(|&s| (0..self.count).map(move |i| Sample::generate(s, i, self.seed)))
            .collect())
    }
}

pub fn run(args: Args) -> Result<(), Error> {
    match args.action {
        Action::Preview(s) => {
            let samples = s.draw(false)?;
            let sheet = editseg::scenes::preview::contact_sheet(&samples, s.size);
            files::write(&s.out, imageio::encode_png_rgba(&sheet))?;
            println!(
                "{} samples of {} drawn to {}",
                samples.len(),
                s.split,
                s.out.display()
            );
        }
        Action::Export(s) => {
            let samples = s.draw(true)?;
            editseg::refcoco::write::export(&samples, s.size, &s.out, &progress_bar())?;
            println!(
                "{} samples of {} written to {} (refs(unc).p, instances.json, images/)",
                samples.len(),
                s.split,
                s.out.display()
            );
        }
    }
    Ok(())
}
