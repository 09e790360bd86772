use apiview::prelude::*;

#[apiview]
#[body_alias(user)]
fn body() -> &'static str {
    "ok"
}

fn main() {}
