use apiview::prelude::*;

#[apiview]
#[requires]
fn echo(msg: String) -> String {
    msg
}

fn main() {}
