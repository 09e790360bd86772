use apiview::prelude::*;

#[apiview]
#[string_length_limit(msg, max_length = 5, max_length = 6)]
fn echo(msg: String) -> String {
    msg
}

fn main() {}
