use apiview::prelude::*;

#[apiview]
#[throttle(rate = "10/week")]
fn weekly() {}

#[apiview]
#[throttle(rate = "0/m")]
fn never() {}

fn main() {}
