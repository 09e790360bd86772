use apiview::prelude::*;

/// Ping.
///
/// --------
/// @paramter: x {{{
/// }}}
#[apiview]
fn ping() -> &'static str {
    "pong"
}

fn main() {}
