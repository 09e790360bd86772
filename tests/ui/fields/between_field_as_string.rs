use apiview::prelude::*;

#[apiview]
#[between("a", 0, 100)]
fn add(a: i64) -> i64 {
    a
}

fn main() {}
