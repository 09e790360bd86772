use apiview::prelude::*;

#[apiview]
#[allow_get]
#[methods(get, post)]
fn ping() -> &'static str {
    "pong"
}

fn main() {}
