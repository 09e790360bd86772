use apiview::prelude::*;

#[apiview(tag = "users", tag = "admin")]
fn ping() -> &'static str {
    "pong"
}

fn main() {}
