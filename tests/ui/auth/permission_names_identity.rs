use apiview::prelude::*;

fn is_admin(me: &Identity) -> bool {
    me.claim("admin").is_some()
}

#[apiview]
#[permission(is_admin(me))]
fn purge(me: Identity) -> String {
    me.id().to_owned()
}

fn main() {}
