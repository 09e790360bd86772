use apiview::prelude::*;

#[apiview]
#[check_aclkey("secret")]
fn secure() -> &'static str {
    "ok"
}

fn main() {}
