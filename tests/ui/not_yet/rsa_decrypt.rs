use apiview::prelude::*;

#[apiview]
#[rsa_decrypt(password)]
fn login(password: String) -> usize {
    password.len()
}

fn main() {}
