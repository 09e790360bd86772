use apiview::prelude::*;

/// Ping.
///
/// --------
/// @response: 200 FINE "pong" {{{
///     "pong"
/// }}}
#[apiview]
fn ping() -> &'static str {
    "pong"
}

fn main() {}
