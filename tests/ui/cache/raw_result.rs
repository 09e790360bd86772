use apiview::prelude::*;

#[apiview]
#[cache(key = "page:{n}")]
fn page(n: i64) -> Raw<String> {
    Raw(n.to_string())
}

fn main() {}
