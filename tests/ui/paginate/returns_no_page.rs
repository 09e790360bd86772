use apiview::prelude::*;

#[apiview]
#[paginate]
fn notes(page: PageRequest) -> Vec<u64> {
    vec![page.offset()]
}

fn main() {}
