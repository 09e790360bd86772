use apiview::prelude::*;

#[apiview]
#[cookie_variable(uid)]
#[header_variable(uid, "X-Uid")]
fn whoami(uid: String) -> String {
    uid
}

fn main() {}
