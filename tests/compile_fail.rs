//! Compile-fail cases for `#[apiview]` and its helpers, one per diagnostic, grouped
//! by kind under `tests/ui/<kind>/`, plus compile-pass cases under `tests/ui/pass/`.
//! Every folder under `tests/ui/` is run: a new kind needs no change here.
//! Regenerate snapshots with `TRYBUILD=overwrite cargo test --test compile_fail` and
//! read the diff.
//!
//! The `.stderr` snapshots embed the compiler's wording and paths, which change between
//! releases, so they are pinned to the one release they were recorded with. The pin is
//! here, not in a `rust-toolchain.toml`: that file would make every cargo command in
//! the repository (the README's `cargo run --example demo` too) need that exact
//! toolchain installed, and rustup does not fetch it where `RUSTUP_AUTO_INSTALL=0`.

use std::path::Path;
use std::process::Command;

/// The compiler release the snapshots were recorded with.
const RECORDED_WITH: &str = "1.95.0";

#[test]
fn ui() {
    let version = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("--version")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
        .unwrap_or_default();
    assert!(
        version.starts_with(&format!("rustc {RECORDED_WITH} ")),
        "the tests/ui snapshots were recorded with rustc {RECORDED_WITH}, and this is `{}`: run \
         them with that release (`rustup toolchain install {RECORDED_WITH}`, then \
         `cargo +{RECORDED_WITH} test --test compile_fail`), or re-record them with \
         TRYBUILD=overwrite on yours, read the diff, and change RECORDED_WITH in \
         tests/compile_fail.rs",
        version.trim()
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui");
    let mut kinds: Vec<String> = std::fs::read_dir(&root)
        .expect("tests/ui is readable")
        .map(|entry| entry.expect("a tests/ui entry"))
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
        .map(|entry| entry.file_name().into_string().expect("a UTF-8 folder name"))
        .collect();
    kinds.sort();
    assert!(
        kinds.len() > 1,
        "tests/ui holds the pass folder and the compile-fail kinds"
    );
    let t = trybuild::TestCases::new();
    for kind in &kinds {
        let cases = format!("tests/ui/{kind}/*.rs");
        if kind == "pass" {
            t.pass(cases);
        } else {
            t.compile_fail(cases);
        }
    }
}
