use apiview::prelude::*;

#[apiview]
#[choices(op, [1, 2])]
fn pick(op: String) -> String {
    op
}

fn main() {}
