use apiview::prelude::*;

#[apiview(tag = "")]
fn ping() -> &'static str {
    "pong"
}

fn main() {}
