use apiview::prelude::*;

#[apiview]
#[permission]
fn edit(id: u64) -> u64 {
    id
}

fn main() {}
