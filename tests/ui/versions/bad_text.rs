use apiview::prelude::*;

#[apiview(versions = ["v 2"])]
fn greeting() -> &'static str {
    "hello"
}

fn main() {}
