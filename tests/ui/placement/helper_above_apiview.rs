use apiview::prelude::*;

#[requires(a)]
#[apiview]
fn add(a: i64) -> i64 {
    a
}

fn main() {}
