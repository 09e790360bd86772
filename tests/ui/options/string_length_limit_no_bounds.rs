use apiview::prelude::*;

#[apiview]
#[string_length_limit(msg)]
fn echo(msg: String) -> String {
    msg
}

fn main() {}
