use apiview::prelude::*;

fn level(_me: &Identity) -> i32 {
    3
}

#[apiview]
#[permission(level)]
fn edit(id: u64) -> u64 {
    id
}

fn main() {}
