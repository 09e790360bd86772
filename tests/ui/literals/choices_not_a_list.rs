use apiview::prelude::*;

#[apiview]
#[choices(op, "add")]
fn pick(op: String) -> String {
    op
}

fn main() {}
