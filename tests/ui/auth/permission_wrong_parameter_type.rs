use apiview::prelude::*;

fn can_edit(me: &Identity, id: &str) -> bool {
    me.id() == id
}

#[apiview]
#[permission(can_edit(id))]
fn edit(id: u64) -> u64 {
    id
}

fn main() {}
