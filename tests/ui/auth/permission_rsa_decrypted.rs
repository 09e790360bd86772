use apiview::prelude::*;

fn strong(_me: &Identity, password: &str) -> bool {
    password.len() > 8
}

#[apiview]
#[rsa_decrypt(password)]
#[permission(strong(password))]
fn change(password: String) -> bool {
    password.is_empty()
}

fn main() {}
