use apiview::prelude::*;

#[apiview]
#[choices(operation, ["add", "sub"])]
fn pick(op: String) -> String {
    op
}

fn main() {}
