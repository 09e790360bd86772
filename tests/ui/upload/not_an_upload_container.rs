use apiview::prelude::*;

#[apiview]
async fn boxed(file: Box<Upload>) -> u64 {
    file.size()
}

fn main() {}
