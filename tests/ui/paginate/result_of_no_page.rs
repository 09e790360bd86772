use apiview::prelude::*;

#[apiview]
#[paginate(style = "cursor")]
fn notes(page: PageRequest) -> apiview::Result<Vec<u64>> {
    Ok(vec![page.limit()])
}

fn main() {}
