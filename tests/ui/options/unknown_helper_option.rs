use apiview::prelude::*;

#[apiview]
#[string_length_limit(msg, maxlen = 5)]
fn echo(msg: String) -> String {
    msg
}

fn main() {}
