use apiview::prelude::*;

#[apiview]
#[requires(any(phone, mail))]
fn login(phone: Option<String>, email: Option<String>) -> bool {
    phone.is_some() || email.is_some()
}

fn main() {}
