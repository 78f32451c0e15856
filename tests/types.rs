//! The TypeScript types of the JS API's results are written from the Rust definitions: the
//! checked-in `www/types/generated.d.ts` is what the Rust types give today. After changing them,
//! write it again with `EDITSEG_RECORD=1 cargo test --test types`.

#![cfg(not(target_arch = "wasm32"))]

use editseg::diff::register::Method;
use editseg::painter::segment::{NotFound, Reason, Timings};
use editseg::pipeline::{Diff, Registration};
use editseg::Stats;
use ts_rs::TS;

fn generated() -> String {
    let mut out = String::from(
        "// Written by tests/types.rs from the Rust definitions (EDITSEG_RECORD=1 cargo test --test types).\n",
    );
    for decl in [
        Stats::decl(),
        Registration::decl(),
        Method::decl(),
        Diff::decl(),
        Timings::decl(),
        Reason::decl(),
        NotFound::decl(),
    ] {
        out += &format!("export {decl}\n");
    }
    out
}

#[test]
fn the_typescript_result_types_are_the_rust_definitions() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("www/types/generated.d.ts");
    let want = generated();
    if std::env::var_os("EDITSEG_RECORD").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        have, want,
        "www/types/generated.d.ts is stale: write it again with EDITSEG_RECORD=1 cargo test --test types"
    );
}
