use apiview::prelude::*;

struct Page;

#[apiview]
fn page() -> Raw<Page> {
    Raw(Page)
}

fn main() {}
