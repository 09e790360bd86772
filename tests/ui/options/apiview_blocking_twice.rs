use apiview::prelude::*;

#[apiview(blocking, blocking)]
fn ping() -> &'static str {
    "pong"
}

fn main() {}
