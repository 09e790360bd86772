use apiview::prelude::*;

#[apiview]
#[login_required]
#[login_required]
fn purge() {}

fn main() {}
