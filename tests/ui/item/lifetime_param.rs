use apiview::prelude::*;

#[apiview]
fn echo<'a>(msg: String) -> &'a str {
    Box::leak(msg.into_boxed_str())
}

fn main() {}
