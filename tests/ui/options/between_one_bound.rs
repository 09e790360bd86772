use apiview::prelude::*;

#[apiview]
#[between(a, 0)]
fn add(a: i64) -> i64 {
    a
}

fn main() {}
