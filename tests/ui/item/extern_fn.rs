use apiview::prelude::*;

#[apiview]
extern "C" fn ping() -> i64 {
    1
}

fn main() {}
