use apiview::prelude::*;

#[apiview]
#[methods(get, strict = true)]
fn ping() -> &'static str {
    "pong"
}

fn main() {}
