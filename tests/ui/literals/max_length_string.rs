use apiview::prelude::*;

#[apiview]
#[string_length_limit(msg, max_length = "10")]
fn echo(msg: String) -> String {
    msg
}

fn main() {}
