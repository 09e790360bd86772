use apiview::prelude::*;

#[apiview]
#[string_length_limit(message, max_length = 10)]
fn echo(msg: String) -> String {
    msg
}

fn main() {}
