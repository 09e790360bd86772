use apiview::prelude::*;

#[apiview]
fn echo(msg: &str) -> String {
    msg.to_owned()
}

fn main() {}
