use apiview::prelude::*;

#[apiview(packr = "safe")]
#[between(c, 0, 100)]
#[string_length_limit(msg, max_length = "10")]
fn echo(msg: String) -> String {
    msg
}

fn main() {}
