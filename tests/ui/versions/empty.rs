use apiview::prelude::*;

#[apiview(versions = [])]
fn greeting() -> &'static str {
    "hello"
}

fn main() {}
