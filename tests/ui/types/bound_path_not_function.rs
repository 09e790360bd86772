use apiview::prelude::*;

const OPS: [&str; 2] = ["add", "sub"];
const MAX: i64 = 10;

#[apiview]
#[choices(op, OPS)]
#[between(n, 0, MAX)]
fn calc(op: String, n: i64) -> String {
    format!("{op} {n}")
}

fn main() {}
