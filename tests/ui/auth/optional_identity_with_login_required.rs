use apiview::prelude::*;

#[apiview]
#[login_required]
fn whoami(me: Option<Identity>) -> Option<String> {
    me.map(|me| me.id().to_owned())
}

fn main() {}
