use apiview::prelude::*;

#[apiview]
#[string_length_limit(n, max_length = 3)]
fn square(n: i64) -> i64 {
    n * n
}

fn main() {}
