use apiview::prelude::*;

#[apiview]
#[cache(expire = 60)]
fn add(a: i64) -> i64 {
    a
}

fn main() {}
