use apiview::prelude::*;

#[apiview]
#[throttle(rate = "10/m", burst = 5)]
fn bursty() {}

fn main() {}
