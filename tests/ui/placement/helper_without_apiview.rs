use apiview::prelude::*;

#[allow_get]
fn ping() -> &'static str {
    "pong"
}

fn main() {}
