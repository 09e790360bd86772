use apiview::prelude::*;

#[apiview]
#[permission("can_edit")]
fn edit(id: u64) -> u64 {
    id
}

fn main() {}
