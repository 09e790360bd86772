use apiview::prelude::*;

#[apiview]
#[check_aclkey]
#[check_aclkey(aclkey = "secret")]
fn secure() -> &'static str {
    "ok"
}

fn main() {}
