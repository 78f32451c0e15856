//! Every way a request can fail, each with a message that names the problem.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// A path given on the command line does not exist.
    FileMissing(String),
    /// A file or buffer could not be read or written; `reason` says which and why.
    Io { what: String, reason: String },
    /// The bytes are not PNG, JPEG or WebP.
    NotAnImage(String),
    /// The bytes start like an image but end early or are damaged.
    Corrupt { what: String, reason: String },
    /// The image has no pixels (an empty file, or a header with zero width or height).
    ZeroSize(String),
    /// A data file (annotations, refs, a prediction) that is readable but wrong; `reason` says how.
    BadData { what: String, reason: String },
    /// The header claims more pixels than EditSeg decodes.
    TooLarge {
        what: String,
        width: u32,
        height: u32,
        limit: u64,
    },
    /// A paint colour that is neither a known name nor `#rrggbb`; `known` lists the names.
    UnknownColor { given: String, known: String },
    /// The edited image's aspect ratio is too far from the original's to be the same picture.
    AspectMismatch {
        original: (u32, u32),
        edited: (u32, u32),
    },
    /// Two buffers that must describe the same grid do not.
    SizeMismatch(String),
    /// Painter weights or a vocabulary that cannot be read or do not fit the network.
    Weights(String),
    /// An instruction that is empty or names no object.
    Prompt(String),
    /// An option that is unknown or has a value out of range.
    BadOption(String),
    /// A batch list whose line `line` (0: the whole list) is not a pair.
    BadList {
        list: String,
        line: usize,
        reason: String,
    },
    /// No WebGPU / Vulkan adapter could be found.
    NoGpu(String),
    /// The GPU device went away during the request (driver reset, tab in background, ...).
    DeviceLost(String),
    /// The GPU reported a validation or out-of-memory error.
    Gpu(String),
    /// Training went wrong (a loss that is not a number).
    Training(String),
    /// An image editor gave no usable edit; the message names the failure's class and the
    /// editor's own words.
    Editor(String),
    /// The user stopped the run (Ctrl-C); what was done is kept.
    Interrupted(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::FileMissing(p) => write!(f, "{p}: file not found"),
            Error::Io { what, reason } => write!(f, "{what}: {reason}"),
            Error::NotAnImage(w) => write!(f, "{w}: not an image (expected PNG, JPEG or WebP)"),
            Error::Corrupt { what, reason } => {
                write!(f, "{what}: truncated or corrupt image: {reason}")
            }
            Error::ZeroSize(w) => write!(f, "{w}: zero-size image (no pixels)"),
            Error::BadData { what, reason } => write!(f, "{what}: {reason}"),
            Error::TooLarge {
                what,
                width,
                height,
                limit,
            } => write!(
                f,
                "{what}: too large: {width}x{height} is {:.0} megapixels; the limit is {} megapixels",
                *width as f64 * *height as f64 / 1e6,
                limit / 1_000_000
            ),
            Error::UnknownColor { given, known } => {
                write!(f, "unknown colour {given:?}: use a name ({known}) or #rrggbb")
            }
            Error::AspectMismatch { original, edited } => write!(
                f,
                "aspect ratios more than 2:1 apart: original is {}x{}, edited is {}x{}; \
                 the edit does not show the same picture",
                original.0, original.1, edited.0, edited.1
            ),
            Error::SizeMismatch(m) => write!(f, "size mismatch: {m}"),
            Error::Weights(m) => write!(f, "bad painter weights: {m}"),
            Error::Prompt(m) => write!(f, "bad instruction: {m}"),
            Error::BadOption(m) => write!(f, "bad option: {m}"),
            Error::Training(m) => write!(f, "training failed: {m}"),
            Error::Editor(m) => write!(f, "the editor gave no edit: {m}"),
            Error::Interrupted(m) => write!(f, "stopped: {m}"),
            Error::BadList { list, line: 0, reason } => write!(f, "{list}: {reason}"),
            Error::BadList { list, line, reason } => write!(f, "{list} line {line}: {reason}"),
            Error::NoGpu(m) => write!(f, "no WebGPU adapter: {m}"),
            Error::DeviceLost(m) => write!(f, "GPU device lost: {m}"),
            Error::Gpu(m) => write!(f, "GPU error: {m}"),
        }
    }
}

impl std::error::Error for Error {}
