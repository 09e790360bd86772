//! The cryptography of the safe packer, `rsa_decrypt` and `decode_encrypted_data`:
//! RSA-OAEP-SHA256 for a 32-byte key, AES-256-GCM for the data.
//!
//! Wire format of an encrypted message (a safe-packed answer, or a request body for
//! `decode_encrypted_data`):
//!
//! ```text
//! {"encryptedPassword": B64(RSA-OAEP-SHA256(recipient public key, key)),
//!  "encryptedData":     B64(nonce ‖ AES-256-GCM(key, nonce, plaintext) ‖ tag)}
//! ```
//! with a 32-byte key, a fresh 12-byte nonce per message, a 16-byte tag, and B64 the
//! standard base64 alphabet with padding. Answers and `#[decode_encrypted_data]`
//! bodies have no associated data; a request to a safe endpoint binds its method and
//! path as associated data and carries a `signature` (RSA-PSS-SHA256 by the client,
//! see [`sign_request`]) — DESIGN §19, README "Wire format".

mod aes;
mod keys;
mod rsa;
mod sign;

pub use self::aes::{
    open, open_with_aad, random_key, seal, seal_with_aad, seal_with_nonce, seal_with_nonce_and_aad,
};
pub use self::keys::{
    generate_private_key, private_key_from_pem, private_key_to_pem, public_key_from_pem, public_key_to_pem,
    read_private_key, read_public_key,
};
pub use self::rsa::{decrypt_key, encrypt_key, encrypt_key_bytes, rsa_decrypt, RsaPaddings};
pub use self::sign::{request_aad, sign_request, verify_request};

/// Bytes of an AES-256 key.
pub const KEY_LEN: usize = 32;
/// Bytes of an AES-GCM nonce.
pub const NONCE_LEN: usize = 12;
/// Bytes of an AES-GCM tag.
pub const TAG_LEN: usize = 16;

/// Why something could not be decrypted. Deliberately vague towards the client: the
/// cause goes to the log, the answer is the same for every failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CipherError(pub String);

impl std::fmt::Display for CipherError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CipherError {}

fn fail(message: impl Into<String>) -> CipherError {
    CipherError(message.into())
}
