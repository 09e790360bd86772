use apiview::prelude::*;

#[apiview]
#[check_aclkey(aclkeys = "a")]
fn secure() -> &'static str {
    "ok"
}

fn main() {}
