use apiview::prelude::*;

#[apiview]
#[choices(op, allow_none = true, ["add", "sub"])]
fn pick(op: Option<String>) -> Option<String> {
    op
}

fn main() {}
