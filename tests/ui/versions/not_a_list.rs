use apiview::prelude::*;

#[apiview(versions = "v2")]
fn greeting() -> &'static str {
    "hello"
}

fn main() {}
