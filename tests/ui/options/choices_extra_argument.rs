use apiview::prelude::*;

#[apiview]
#[choices(op, ["add"], ["sub"])]
fn pick(op: String) -> String {
    op
}

fn main() {}
