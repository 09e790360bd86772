use apiview::prelude::*;

#[apiview(versions = ["v1", "v2", "v1"])]
fn greeting() -> &'static str {
    "hello"
}

fn main() {}
