use apiview::prelude::*;

/// Ping.
///
/// --------
/// @response: 200 ERROR "failure" {{{
///     "just a string"
/// }}}
#[apiview]
fn ping() -> &'static str {
    "pong"
}

fn main() {}
