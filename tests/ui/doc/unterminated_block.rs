use apiview::prelude::*;

/// Echo.
///
/// --------
/// @parameter: msg {{{
///     in: query
#[apiview]
fn echo(msg: String) -> String {
    msg
}

fn main() {}
