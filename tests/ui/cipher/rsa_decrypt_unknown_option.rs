use apiview::prelude::*;

#[apiview]
#[rsa_decrypt(password, padding = "oaep")]
fn login(password: String) -> bool {
    password.is_empty()
}

fn main() {}
