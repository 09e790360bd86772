use apiview::prelude::*;

#[apiview]
#[check_aclkey]
#[throttle(rate = "10/m", key = "{ip}:{user}")]
fn login(username: String) -> String {
    username
}

fn main() {}
