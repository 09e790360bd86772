//! Compile-fail cases for `#[apiview]` and its helpers, one per diagnostic, grouped
//! by kind under `tests/ui/<kind>/`, plus compile-pass cases under `tests/ui/pass/`.
//! Regenerate snapshots with `TRYBUILD=overwrite cargo test --test compile_fail` and
//! read the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    for kind in [
        "placement",
        "item",
        "options",
        "fields",
        "literals",
        "types",
        "cipher",
        "doc",
        "cache",
        "multiple",
    ] {
        t.compile_fail(format!("tests/ui/{kind}/*.rs"));
    }
}
