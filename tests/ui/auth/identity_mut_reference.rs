use apiview::prelude::*;

#[apiview]
fn whoami(me: &mut Identity) -> String {
    me.id().to_owned()
}

fn main() {}
