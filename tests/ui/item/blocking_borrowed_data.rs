use apiview::prelude::*;

struct Pool;

#[apiview(blocking)]
fn count(#[extract] pool: poem::web::Data<&Pool>) -> u32 {
    let _ = pool;
    1
}

fn main() {}
