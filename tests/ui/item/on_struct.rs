use apiview::prelude::*;

#[apiview]
struct Ping;

fn main() {}
