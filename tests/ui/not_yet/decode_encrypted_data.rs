use apiview::prelude::*;

#[apiview]
#[decode_encrypted_data]
fn login(password: String) -> usize {
    password.len()
}

fn main() {}
