// The error points at the `where` clause.
use apiview::prelude::*;

#[apiview]
fn echo(msg: String) -> String
where
    String: Clone,
{
    msg
}

fn main() {}
