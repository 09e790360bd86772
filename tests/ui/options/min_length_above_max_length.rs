use apiview::prelude::*;

#[apiview]
#[string_length_limit(msg, min_length = 5, max_length = 2)]
fn echo(msg: String) -> String {
    msg
}

fn main() {}
