use apiview::prelude::*;

#[apiview]
#[rsa_decrypt(password)]
#[rsa_decrypt(password, key = "other.pem")]
fn login(password: String) -> bool {
    password.is_empty()
}

fn main() {}
