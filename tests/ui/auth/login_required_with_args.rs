use apiview::prelude::*;

#[apiview]
#[login_required(admin)]
fn purge() {}

fn main() {}
