use apiview::prelude::*;

#[apiview]
#[throttle(rate = "10/m")]
#[throttle(rate = "10/m")]
fn doubled() {}

fn main() {}
