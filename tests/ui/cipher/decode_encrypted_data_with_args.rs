use apiview::prelude::*;

#[apiview]
#[decode_encrypted_data(strict)]
fn transfer(amount: u64) -> u64 {
    amount
}

fn main() {}
