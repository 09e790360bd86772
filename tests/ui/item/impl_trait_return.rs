use apiview::prelude::*;

#[apiview]
fn echo(msg: String) -> impl serde::Serialize {
    msg
}

fn main() {}
