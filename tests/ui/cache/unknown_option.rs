use apiview::prelude::*;

#[apiview]
#[cache(key = "add:{a}", ttl = 60)]
fn add(a: i64) -> i64 {
    a
}

fn main() {}
