use apiview::prelude::*;

#[apiview]
#[throttle(rate = "10/m", scope = "log in")]
fn spaced() {}

fn main() {}
