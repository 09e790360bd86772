use apiview::prelude::*;

#[apiview(body_limit = 0)]
async fn none(file: Upload) -> u64 {
    file.size()
}

#[apiview(body_limit = "20 MB")]
async fn text(file: Upload) -> u64 {
    file.size()
}

#[apiview(body_limit = 10, body_limit = 20)]
async fn twice(file: Upload) -> u64 {
    file.size()
}

fn main() {}
