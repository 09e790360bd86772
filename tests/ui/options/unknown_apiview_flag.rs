use apiview::prelude::*;

#[apiview(block)]
fn ping() -> &'static str {
    "pong"
}

fn main() {}
