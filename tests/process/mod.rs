#![allow(dead_code)] // Shared by several test binaries; each uses its part.

//! Running the `editseg` binary from the command-line tests, each in a fresh scratch folder.

use std::path::{Path, PathBuf};
use std::process::Command;

/// An empty folder for one test: `target/tmp/{group}/{name}`.
pub fn scratch(group: &str, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(group)
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `editseg` with `args`; returns (status code, stdout, stderr).
pub fn editseg(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_editseg"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}
