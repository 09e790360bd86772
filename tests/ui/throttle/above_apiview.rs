use apiview::prelude::*;

#[throttle(rate = "10/m")]
#[apiview]
fn early() {}

fn main() {}
