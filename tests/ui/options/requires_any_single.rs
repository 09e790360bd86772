use apiview::prelude::*;

#[apiview]
#[requires(any(phone))]
fn login(phone: Option<String>) -> Option<String> {
    phone
}

fn main() {}
