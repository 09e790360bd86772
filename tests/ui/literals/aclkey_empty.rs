use apiview::prelude::*;

#[apiview]
#[check_aclkey(aclkey = "")]
fn secure() -> &'static str {
    "ok"
}

fn main() {}
