//! The command line: one file per command, parsed by clap (`editseg help COMMAND` for each).

mod data;
mod editor;
mod eval;
mod eval_painter;
mod mask;
mod plot_log;
mod segment;
mod train;

use clap::{Parser, Subcommand};
use editseg::generator::Generator;
use editseg::painter::Painter;
use editseg::{files, BackendChoice, Differ, Error};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Segment the thing a sentence names by differencing a colour edit against the original.
#[derive(Parser)]
#[command(name = "editseg", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Mask(mask::Args),
    Eval(eval::Args),
    Data(data::Args),
    Segment(segment::Args),
    Train(train::Args),
    EvalPainter(eval_painter::Args),
    PlotLog(plot_log::Args),
}

/// `--backend`: where the diff and cleanup run.
#[derive(clap::Args)]
struct Backend {
    /// auto (a real GPU where there is one, else the CPU), gpu or cpu
    #[arg(long, value_name = "auto|gpu|cpu", value_parser = parse_backend)]
    backend: Option<BackendChoice>,
}

fn parse_backend(s: &str) -> Result<BackendChoice, String> {
    reason(s.parse())
}

/// A library parse result for a clap value parser: clap names the flag, so only the reason.
fn reason<T>(parsed: Result<T, Error>) -> Result<T, String> {
    parsed.map_err(|e| match e {
        Error::BadOption(m) => m,
        other => other.to_string(),
    })
}

impl Backend {
    fn open(&self) -> Result<Differ, Error> {
        if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
            // Mesa's Vulkan drivers print a warning to stderr when this is unset.
            std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir());
        }
        let choice = self.backend.unwrap_or(BackendChoice::Auto);
        let differ = pollster::block_on(Differ::new(choice))?;
        if let Some(why) = &differ.fallback {
            eprintln!("editseg: using the CPU path ({why})");
        }
        Ok(differ)
    }
}

/// `--weights`: the painter (or, for scoring, a generator) to load.
#[derive(clap::Args)]
struct Weights {
    /// Network weights (f16 burnpack with their schema) [default: the shipped
    /// www/model/painter.bpk]
    #[arg(long, value_name = "PATH")]
    weights: Option<PathBuf>,
}

/// Weights as loaded: the shipped painter's kind, or an end-to-end generator.
enum Loaded {
    Painter(Box<Painter>),
    Generator(Box<Generator>),
}

impl Weights {
    fn path(&self) -> PathBuf {
        // The shipped weights: the demo page fetches the same file.
        self.weights
            .clone()
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("www/model/painter.bpk"))
    }

    /// Either kind of network, on the CPU, as its schema says.
    fn load(&self) -> Result<Loaded, Error> {
        let path = self.path();
        let naming = |e: Error| match e {
            Error::Weights(m) => Error::Weights(format!("{}: {m}", path.display())),
            other => other,
        };
        let bytes = files::read(&path)?;
        let device = burn::prelude::Device::flex();
        match editseg::generator::kind_of(&bytes)
            .map_err(naming)?
            .as_str()
        {
            "generator" => Ok(Loaded::Generator(Box::new(
                Generator::load(&bytes, device).map_err(naming)?,
            ))),
            _ => Ok(Loaded::Painter(Box::new(
                Painter::load(&bytes, device).map_err(naming)?,
            ))),
        }
    }

    /// The painter: weights of the shipped kind.
    fn painter(&self) -> Result<Painter, Error> {
        match self.load()? {
            Loaded::Painter(p) => Ok(*p),
            Loaded::Generator(_) => Err(Error::Weights(format!(
                "{}: these are an end-to-end generator's weights, which only eval-painter scores; \
                 segment needs the painter's (www/model/painter.bpk)",
                self.path().display()
            ))),
        }
    }
}

/// A bar on stderr when it is a terminal, else nothing.
fn progress_bar() -> impl Fn(usize, usize) + Sync {
    let show = std::io::stderr().is_terminal();
    move |done: usize, total: usize| {
        if show {
            let filled = 30 * done / total.max(1);
            eprint!(
                "\r[{}{}] {done}/{total}",
                "#".repeat(filled),
                " ".repeat(30 - filled)
            );
            if done == total {
                eprintln!();
            }
        }
    }
}

/// A clap error as one line: what is wrong and its tip, without the usage block.
fn one_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let lines: Vec<&str> = text
        .lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let message = lines.join(" ");
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    format!("{message} (see editseg help COMMAND)")
}

/// The exit status of a request that was understood but has no object to mask; errors exit with
/// 1 (or 2 for bad arguments).
pub const NOT_FOUND: u8 = 3;
/// The exit status when an editor gave no usable edit (refused, no picture, unreachable...).
pub const EDITOR_FAILED: u8 = 4;

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("editseg: {}", one_line(&e));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Mask(args) => mask::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Data(args) => data::run(args),
        // Nothing in the picture fits: no mask, and a status of its own (not an error's).
        Command::Segment(args) => match segment::run(args) {
            Ok(false) => return ExitCode::from(NOT_FOUND),
            other => other.map(drop),
        },
        Command::Train(args) => train::run(args),
        Command::EvalPainter(args) => eval_painter::run(args),
        Command::PlotLog(args) => plot_log::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("editseg: {e}");
            ExitCode::from(match e {
                Error::BadOption(_) => 2,
                Error::Editor(_) => EDITOR_FAILED,
                Error::Interrupted(_) => 130,
                _ => 1,
            })
        }
    }
}
