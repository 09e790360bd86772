use apiview::prelude::*;

#[apiview]
#[cookie_variable(uid, default = String::new())]
fn whoami(uid: String) -> String {
    uid
}

fn main() {}
