use apiview::prelude::*;

/// Echo.
///
/// --------
/// @parameter: msg {{{
///     in: querystring
/// }}}
#[apiview]
fn echo(msg: String) -> String {
    msg
}

fn main() {}
