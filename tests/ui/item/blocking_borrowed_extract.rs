use apiview::prelude::*;

#[apiview(blocking)]
fn whereami(#[extract] uri: &poem::http::Uri) -> String {
    uri.to_string()
}

fn main() {}
