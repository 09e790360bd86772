use apiview::prelude::*;

#[apiview]
#[paginate(style = "pages", page_size = 0, max_size = 5)]
fn notes(page: PageRequest) -> Page<u64> {
    Page::new(vec![page.offset()], 1)
}

fn main() {}
