use apiview::prelude::*;

#[apiview]
#[requires = "msg"]
fn echo(msg: String) -> String {
    msg
}

fn main() {}
