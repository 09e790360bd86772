use apiview::prelude::*;

fn can_edit(_me: &Identity, _id: &u64, _again: &u64) -> bool {
    true
}

#[apiview]
#[permission(can_edit(id, id))]
fn edit(id: u64) -> u64 {
    id
}

fn main() {}
