// rustc's type error points at the bound `0`.
use apiview::prelude::*;

#[apiview]
#[between(name, 0, 10)]
fn greet(name: String) -> String {
    name
}

fn main() {}
