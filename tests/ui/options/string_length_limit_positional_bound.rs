use apiview::prelude::*;

#[apiview]
#[string_length_limit(msg, 10)]
fn echo(msg: String) -> String {
    msg
}

fn main() {}
