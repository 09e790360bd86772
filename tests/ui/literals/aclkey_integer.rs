use apiview::prelude::*;

#[apiview]
#[check_aclkey(aclkey = 5)]
fn secure() -> &'static str {
    "ok"
}

fn main() {}
