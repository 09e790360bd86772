use apiview::prelude::*;

/// Echo.
///
/// --------
/// @parameter: msg {{{
///     in: query
///     example: [unclosed
/// }}}
#[apiview]
fn echo(msg: String) -> String {
    msg
}

fn main() {}
