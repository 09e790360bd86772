use apiview::prelude::*;

#[apiview]
#[between(n, 0, 300)]
fn level(n: u8) -> u8 {
    n
}

fn main() {}
