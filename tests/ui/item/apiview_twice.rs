use apiview::prelude::*;

#[apiview]
#[apiview]
fn ping() -> &'static str {
    "pong"
}

fn main() {}
