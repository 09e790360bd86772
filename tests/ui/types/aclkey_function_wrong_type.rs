use apiview::prelude::*;

fn keys() -> i64 {
    5
}

#[apiview]
#[check_aclkey(aclkey = keys)]
fn secure() -> &'static str {
    "ok"
}

fn main() {}
