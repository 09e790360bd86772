use apiview::prelude::*;

struct Point {
    x: i64,
}

#[apiview]
fn origin() -> Point {
    Point { x: 0 }
}

fn main() {}
