use apiview::prelude::*;

#[apiview]
#[rsa_decrypt(pasword)]
fn login(password: String) -> bool {
    password.is_empty()
}

fn main() {}
