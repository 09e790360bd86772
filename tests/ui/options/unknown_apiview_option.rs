use apiview::prelude::*;

#[apiview(packr = "safe")]
fn ping() -> &'static str {
    "pong"
}

fn main() {}
