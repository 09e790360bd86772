use apiview::prelude::*;

#[apiview]
#[requires(file)]
#[string_length_limit(file, max_length = 10)]
async fn attach(file: Option<Upload>) -> u64 {
    file.map_or(0, |file| file.size())
}

fn main() {}
