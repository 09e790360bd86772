use apiview::prelude::*;

#[apiview]
#[between(a, 0, 10, a.b = true)]
fn add(a: i64) -> i64 {
    a
}

fn main() {}
