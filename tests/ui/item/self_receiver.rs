use apiview::prelude::*;

#[apiview]
fn echo(self, msg: String) -> String {
    msg
}

fn main() {}
