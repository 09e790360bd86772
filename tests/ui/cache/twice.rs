use apiview::prelude::*;

#[apiview]
#[cache(key = "a:{a}")]
#[cache(key = "b:{a}")]
fn add(a: i64) -> i64 {
    a
}

fn main() {}
