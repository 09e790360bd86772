use apiview::prelude::*;

#[apiview]
#[methods(get, fetch)]
fn ping() -> &'static str {
    "pong"
}

fn main() {}
