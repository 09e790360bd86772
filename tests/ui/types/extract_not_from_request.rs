use apiview::prelude::*;

#[apiview]
fn count(#[extract] limit: u32) -> u32 {
    limit
}

fn main() {}
