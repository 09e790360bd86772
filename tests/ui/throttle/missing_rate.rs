use apiview::prelude::*;

#[apiview]
#[throttle(scope = "login")]
fn unrated() {}

fn main() {}
