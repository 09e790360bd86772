use apiview::prelude::*;

#[apiview(versions = [V2])]
fn greeting() -> &'static str {
    "hello"
}

fn main() {}
