use apiview::prelude::*;

#[apiview(versions = ["v1"], versions = ["v2"])]
fn greeting() -> &'static str {
    "hello"
}

fn main() {}
