use apiview::prelude::*;

#[apiview]
#[cache(key = "add:{a}", expire = 0)]
fn add(a: i64) -> i64 {
    a
}

fn main() {}
