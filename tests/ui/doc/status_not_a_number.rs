use apiview::prelude::*;

/// Ping.
///
/// --------
/// @response: OK 200 "pong" {{{
///     "pong"
/// }}}
#[apiview]
fn ping() -> &'static str {
    "pong"
}

fn main() {}
