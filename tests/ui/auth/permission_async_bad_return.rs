use apiview::prelude::*;

async fn level(_me: &Identity) -> Option<bool> {
    Some(true)
}

#[apiview]
#[permission(level)]
fn edit(id: u64) -> u64 {
    id
}

fn main() {}
