use apiview::prelude::*;

#[apiview]
#[requires(a, c)]
fn add(a: i64, b: i64) -> i64 {
    a + b
}

fn main() {}
