use apiview::prelude::*;

#[apiview]
fn whoami(me: Option<&Identity>) -> bool {
    me.is_some()
}

fn main() {}
