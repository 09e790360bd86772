use apiview::prelude::*;

#[apiview]
#[choices(op, ["add", "sub"], allow_none = 1)]
fn pick(op: Option<String>) -> Option<String> {
    op
}

fn main() {}
