use apiview::prelude::*;

#[apiview]
#[allow_get(x)]
fn ping() -> &'static str {
    "pong"
}

fn main() {}
