use apiview::prelude::*;

#[apiview]
fn notes(page: PageRequest) -> Page<u64> {
    Page::new(vec![page.offset()], 1)
}

fn main() {}
