use apiview::prelude::*;

#[apiview]
fn ping(_: String) -> &'static str {
    "pong"
}

fn main() {}
