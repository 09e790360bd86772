use apiview::prelude::*;

#[apiview]
#[body_alias(user, strict = true)]
fn body(user: serde_json::Value) -> serde_json::Value {
    user
}

fn main() {}
