use apiview::prelude::*;

fn small(_me: &Identity, file: &Upload) -> bool {
    file.size() < 10
}

#[apiview]
#[permission(small(file))]
fn store(file: Upload) -> u64 {
    file.size()
}

fn main() {}
