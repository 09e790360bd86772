use apiview::prelude::*;

#[apiview]
#[body_alias(user)]
#[cookie_variable(user)]
fn show(user: String) -> String {
    user
}

fn main() {}
