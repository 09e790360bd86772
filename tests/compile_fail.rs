//! Compile-fail cases for `#[apiview]` and its helpers, one per diagnostic, grouped
//! by kind under `tests/ui/<kind>/`, plus compile-pass cases under `tests/ui/pass/`.
//! Every folder under `tests/ui/` is run: a new kind needs no change here.
//! Regenerate snapshots with `TRYBUILD=overwrite cargo test --test compile_fail` and
//! read the diff.

use std::path::Path;

#[test]
fn ui() {
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
