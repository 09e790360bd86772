use apiview::prelude::*;

#[apiview]
fn echo<T: Default>(msg: String) -> String {
    msg
}

fn main() {}
