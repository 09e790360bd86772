use apiview::prelude::*;

#[apiview]
fn parse(n: String) -> Result<i64, std::num::ParseIntError> {
    n.parse()
}

fn main() {}
