use apiview::prelude::*;

#[apiview]
#[between(a, "x", 10)]
fn add(a: i64) -> i64 {
    a
}

fn main() {}
