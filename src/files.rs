//! Files on disk (native only): the one place an IO failure becomes an error naming the file.

use crate::error::{Error, Result};
use std::path::Path;

/// An IO failure on `path` while trying to `action` it ("read", "write", "create", ...).
pub fn error(path: &Path, action: &str, e: impl std::fmt::Display) -> Error {
    Error::Io {
        what: path.display().to_string(),
        reason: format!("cannot {action}: {e}"),
    }
}

/// The file's bytes; a missing file is told apart from an unreadable one.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    if !path.exists() {
        return Err(Error::FileMissing(path.display().to_string()));
    }
    std::fs::read(path).map_err(|e| error(path, "read", e))
}

/// The file as UTF-8 text.
pub fn read_text(path: &Path) -> Result<String> {
    String::from_utf8(read(path)?).map_err(|_| error(path, "read", "not UTF-8 text"))
}

pub fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| error(path, "write", e))
}

/// `value` as pretty-printed JSON.
pub fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    write(
        path,
        serde_json::to_vec_pretty(value).expect("plain values serialise"),
    )
}

/// Add `line` and a newline at the end of the file.
pub fn append_line(path: &Path, line: &str) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| error(path, "append to", e))?;
    std::io::Write::write_all(&mut file, format!("{line}\n").as_bytes())
        .map_err(|e| error(path, "append to", e))
}

/// The folder and its parents.
pub fn create_dir(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(|e| error(path, "create", e))
}

pub fn copy(from: &Path, to: &Path) -> Result<()> {
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| error(to, &format!("copy {} to", from.display()), e))
}
