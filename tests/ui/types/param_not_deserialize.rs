use apiview::prelude::*;

struct Point {
    x: i64,
}

#[apiview]
fn x(point: Point) -> i64 {
    point.x
}

fn main() {}
