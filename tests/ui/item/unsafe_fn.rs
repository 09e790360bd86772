use apiview::prelude::*;

#[apiview]
unsafe fn echo(msg: String) -> String {
    msg
}

fn main() {}
