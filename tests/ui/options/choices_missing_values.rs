use apiview::prelude::*;

#[apiview]
#[choices(op)]
fn pick(op: String) -> String {
    op
}

fn main() {}
