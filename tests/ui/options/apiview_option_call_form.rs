use apiview::prelude::*;

#[apiview(packer("safe"))]
fn ping() -> &'static str {
    "pong"
}

fn main() {}
