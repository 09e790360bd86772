use apiview::prelude::*;

#[apiview]
fn echo(msg: impl AsRef<str>) -> String {
    msg.as_ref().to_owned()
}

fn main() {}
