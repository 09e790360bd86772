use apiview::prelude::*;

#[apiview(blocking)]
async fn echo(msg: String) -> String {
    msg
}

fn main() {}
