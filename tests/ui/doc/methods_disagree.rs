use apiview::prelude::*;

/// Ping.
///
/// --------
/// @methods: get, post
#[apiview]
#[allow_get]
fn ping() -> &'static str {
    "pong"
}

fn main() {}
