use apiview::prelude::*;

#[apiview]
#[cache(key = "add:*:{a}")]
fn add(a: i64) -> i64 {
    a
}

fn main() {}
