use apiview::prelude::*;

fn is_owner(_me: &Identity) -> bool {
    true
}

fn is_admin(_me: &Identity) -> bool {
    true
}

#[apiview]
#[permission(is_owner, is_admin)]
fn edit(id: u64) -> u64 {
    id
}

fn main() {}
