use apiview::prelude::*;

#[apiview]
#[check_aclkey(aclkey = "a", aclkeys = ["b"])]
fn secure() -> &'static str {
    "ok"
}

fn main() {}
