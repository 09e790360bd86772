use apiview::prelude::*;

#[apiview]
#[cache(key = "add:{a}:{c}", expire = 60)]
fn add(a: i64, b: i64) -> i64 {
    a + b
}

fn main() {}
