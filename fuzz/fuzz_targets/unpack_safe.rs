//! `SafePacker::unpack` (client side) on arbitrary bytes: never panics, and decryption
//! is transparent: a sealed simple envelope, or an answer that is not encrypted,
//! unpacks as `SimplePacker` unpacks the plain envelope (whose own round trip
//! `unpack_simple` checks).
//!
//! Random bytes almost never hold a valid RSA-encrypted key, so the first byte picks
//! what the fuzzer controls:
//! - `0`: the whole answer;
//! - `1`: the plaintext, sealed under a valid key (reaches the decrypted envelope);
//! - `2`: `encryptedData` as text, with a valid `encryptedPassword`;
//! - `3`: `encryptedPassword` as text, with a valid `encryptedData`.

#![no_main]

#[allow(dead_code)] // only `assert_same` serves here
mod round_trip;

use std::sync::OnceLock;

use apiview::cipher;
use apiview::packer::{Packer, SafePacker, SimplePacker, UnpackContext};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

const AES_KEY: [u8; cipher::KEY_LEN] = [7; cipher::KEY_LEN];

struct Client {
    packer: SafePacker,
    /// `AES_KEY`, encrypted for the client.
    password: String,
}

fn client() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        // 1024 bits: each execution that reaches RSA pays one private-key operation.
        let private = cipher::generate_private_key(1024).expect("an RSA key generates");
        let password = cipher::encrypt_key(&private.to_public_key(), &AES_KEY).expect("the key encrypts");
        Client {
            packer: SafePacker::for_client(private),
            password,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let client = client();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let cx = UnpackContext::new();
    let text = String::from_utf8_lossy(rest);
    match mode % 4 {
        0 => {
            let unpacked = client.packer.unpack(rest, &cx);
            if !is_encrypted(rest) {
                round_trip::assert_same(&SimplePacker.unpack(rest, &cx), &unpacked);
            }
        }
        1 => {
            let sealed = envelope(&client.password, &cipher::seal(&AES_KEY, rest));
            let unpacked = client.packer.unpack(&sealed, &cx);
            round_trip::assert_same(&SimplePacker.unpack(rest, &cx), &unpacked);
        }
        2 => drop(client.packer.unpack(&envelope(&client.password, &text), &cx)),
        _ => {
            let sealed = cipher::seal(&AES_KEY, br#"{"success": true, "result": 1}"#);
            drop(client.packer.unpack(&envelope(&text, &sealed), &cx));
        }
    }
});

fn envelope(password: &str, data: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"encryptedPassword": password, "encryptedData": data}))
        .expect("an envelope serializes")
}

fn is_encrypted(answer: &[u8]) -> bool {
    match serde_json::from_slice::<Value>(answer) {
        Ok(Value::Object(fields)) => ["encryptedPassword", "encryptedData"]
            .iter()
            .all(|name| fields.get(*name).is_some_and(Value::is_string)),
        _ => false,
    }
}
