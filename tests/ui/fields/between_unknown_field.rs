use apiview::prelude::*;

#[apiview]
#[between(c, 0, 100)]
fn add(a: i64, b: i64) -> i64 {
    a + b
}

fn main() {}
