use apiview::prelude::*;

#[apiview]
#[check_aclkey(aclkeys = ["a", 5])]
fn secure() -> &'static str {
    "ok"
}

fn main() {}
