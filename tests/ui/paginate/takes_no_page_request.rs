use apiview::prelude::*;

#[apiview]
#[paginate(page_size = 10)]
fn notes() -> Page<u64> {
    Page::new(vec![], 0)
}

fn main() {}
