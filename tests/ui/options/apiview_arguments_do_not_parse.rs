use apiview::prelude::*;

#[apiview(packer = )]
fn ping() -> &'static str {
    "pong"
}

fn main() {}
