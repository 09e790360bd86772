use apiview::prelude::*;

#[apiview]
#[between(limit, 0, 10)]
fn count(#[extract] limit: poem::web::Data<&u32>) -> u32 {
    **limit
}

fn main() {}
