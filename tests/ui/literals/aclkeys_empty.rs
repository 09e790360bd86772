use apiview::prelude::*;

#[apiview]
#[check_aclkey(aclkeys = [])]
fn secure() -> &'static str {
    "ok"
}

fn main() {}
