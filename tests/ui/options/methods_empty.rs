use apiview::prelude::*;

#[apiview]
#[methods]
fn ping() -> &'static str {
    "pong"
}

fn main() {}
