use apiview::prelude::*;

#[apiview]
#[cookie_variable(uid)]
fn whoami(userid: Option<String>) -> Option<String> {
    userid
}

fn main() {}
