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
//! with a 32-byte key, a fresh 12-byte nonce per message, no associated data, a
//! 16-byte tag, and B64 the standard base64 alphabet with padding.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::{Oaep, Pkcs1v15Encrypt, RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;

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

/// Reads an RSA private key from PEM text: PKCS#1 (`RSA PRIVATE KEY`) or PKCS#8
/// (`PRIVATE KEY`).
///
/// ```
/// use apiview_core::cipher::{generate_private_key, private_key_from_pem, private_key_to_pem};
///
/// let key = generate_private_key(1024).unwrap();
/// let pem = private_key_to_pem(&key).unwrap();
/// assert_eq!(private_key_from_pem(&pem).unwrap(), key);
/// ```
pub fn private_key_from_pem(pem: &str) -> Result<RsaPrivateKey, CipherError> {
    RsaPrivateKey::from_pkcs1_pem(pem)
        .or_else(|_| RsaPrivateKey::from_pkcs8_pem(pem))
        .map_err(|_| fail("not a PEM RSA private key (PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`)"))
}

/// Reads an RSA public key from PEM text: PKCS#1 (`RSA PUBLIC KEY`) or SPKI
/// (`PUBLIC KEY`).
///
/// ```
/// use apiview_core::cipher::{generate_private_key, public_key_from_pem, public_key_to_pem};
///
/// let key = generate_private_key(1024).unwrap().to_public_key();
/// assert_eq!(public_key_from_pem(&public_key_to_pem(&key).unwrap()).unwrap(), key);
/// ```
pub fn public_key_from_pem(pem: &str) -> Result<RsaPublicKey, CipherError> {
    RsaPublicKey::from_public_key_pem(pem)
        .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem))
        .map_err(|_| fail("not a PEM RSA public key (SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY`)"))
}

/// Reads a PEM private key file; the error names the file.
///
/// ```no_run
/// let key = apiview_core::cipher::read_private_key("keys/server.pem").unwrap();
/// ```
pub fn read_private_key(path: impl AsRef<Path>) -> Result<RsaPrivateKey, CipherError> {
    let path = path.as_ref();
    let pem = std::fs::read_to_string(path)
        .map_err(|err| fail(format!("cannot read {}: {err}", path.display())))?;
    private_key_from_pem(&pem).map_err(|err| fail(format!("{}: {err}", path.display())))
}

/// Reads a PEM public key file; the error names the file.
///
/// ```no_run
/// let key = apiview_core::cipher::read_public_key("keys/demo.pub.pem").unwrap();
/// ```
pub fn read_public_key(path: impl AsRef<Path>) -> Result<RsaPublicKey, CipherError> {
    let path = path.as_ref();
    let pem = std::fs::read_to_string(path)
        .map_err(|err| fail(format!("cannot read {}: {err}", path.display())))?;
    public_key_from_pem(&pem).map_err(|err| fail(format!("{}: {err}", path.display())))
}

/// A new RSA key of `bits` bits (2048 or more for real use).
///
/// ```
/// let key = apiview_core::cipher::generate_private_key(1024).unwrap();
/// # let _ = key;
/// ```
pub fn generate_private_key(bits: usize) -> Result<RsaPrivateKey, CipherError> {
    RsaPrivateKey::new(&mut OsRng, bits).map_err(|err| fail(format!("cannot generate an RSA key: {err}")))
}

/// A private key as PKCS#8 PEM.
///
/// ```
/// let key = apiview_core::cipher::generate_private_key(1024).unwrap();
/// assert!(apiview_core::cipher::private_key_to_pem(&key).unwrap().starts_with("-----BEGIN PRIVATE KEY-----"));
/// ```
pub fn private_key_to_pem(key: &RsaPrivateKey) -> Result<String, CipherError> {
    use rsa::pkcs8::EncodePrivateKey;
    key.to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
        .map(|pem| pem.to_string())
        .map_err(|err| fail(err.to_string()))
}

/// A public key as SPKI PEM.
///
/// ```
/// let key = apiview_core::cipher::generate_private_key(1024).unwrap().to_public_key();
/// assert!(apiview_core::cipher::public_key_to_pem(&key).unwrap().starts_with("-----BEGIN PUBLIC KEY-----"));
/// ```
pub fn public_key_to_pem(key: &RsaPublicKey) -> Result<String, CipherError> {
    use rsa::pkcs8::EncodePublicKey;
    key.to_public_key_pem(rsa::pkcs8::LineEnding::LF)
        .map_err(|err| fail(err.to_string()))
}

/// A fresh random AES-256 key.
///
/// ```
/// assert_ne!(apiview_core::cipher::random_key(), apiview_core::cipher::random_key());
/// ```
pub fn random_key() -> [u8; KEY_LEN] {
    let mut key = [0; KEY_LEN];
    OsRng.fill_bytes(&mut key);
    key
}

/// `B64(RSA-OAEP-SHA256(public, key))`: the `encryptedPassword` field.
///
/// ```
/// use apiview_core::cipher::{encrypt_key, decrypt_key, generate_private_key, random_key};
///
/// let private = generate_private_key(1024).unwrap();
/// let key = random_key();
/// let password = encrypt_key(&private.to_public_key(), &key).unwrap();
/// assert_eq!(decrypt_key(&private, &password).unwrap(), key);
/// ```
pub fn encrypt_key(public: &RsaPublicKey, key: &[u8; KEY_LEN]) -> Result<String, CipherError> {
    encrypt_key_bytes(public, key)
}

/// `B64(RSA-OAEP-SHA256(public, plaintext))` of any short text: what a client sends
/// for an `#[rsa_decrypt]` field.
///
/// ```
/// use apiview_core::cipher::{encrypt_key_bytes, generate_private_key, rsa_decrypt};
///
/// let private = generate_private_key(1024).unwrap();
/// let blob = encrypt_key_bytes(&private.to_public_key(), b"s3cret").unwrap();
/// assert_eq!(rsa_decrypt(&private, &blob).unwrap(), b"s3cret");
/// ```
pub fn encrypt_key_bytes(public: &RsaPublicKey, plaintext: &[u8]) -> Result<String, CipherError> {
    public
        .encrypt(&mut OsRng, Oaep::new::<Sha256>(), plaintext)
        .map(|blob| B64.encode(blob))
        .map_err(|err| fail(format!("RSA encryption failed: {err}")))
}

/// RSA-decrypts base64 text: OAEP-SHA256, or PKCS#1 v1.5 as django-apiview
/// clients send it. Blinded, so the private-key operation's timing does not depend
/// on the ciphertext.
///
/// ```
/// use apiview_core::cipher::{generate_private_key, rsa_decrypt};
///
/// let private = generate_private_key(1024).unwrap();
/// assert!(rsa_decrypt(&private, "not base64!").is_err());
/// ```
pub fn rsa_decrypt(private: &RsaPrivateKey, b64: &str) -> Result<Vec<u8>, CipherError> {
    let blob = rsa_blob(private, b64)?;
    private
        .decrypt_blinded(&mut OsRng, Oaep::new::<Sha256>(), &blob)
        .or_else(|_| private.decrypt_blinded(&mut OsRng, Pkcs1v15Encrypt, &blob))
        .map_err(|_| fail("RSA decryption failed"))
}

/// Base64 text as an RSA blob of the key's size.
fn rsa_blob(private: &RsaPrivateKey, b64: &str) -> Result<Vec<u8>, CipherError> {
    let blob = B64.decode(b64.trim()).map_err(|_| fail("not standard base64"))?;
    let size = rsa::traits::PublicKeyParts::size(private);
    if blob.len() != size {
        return Err(fail(format!(
            "an RSA blob of {} bytes, for a {size}-byte key",
            blob.len()
        )));
    }
    Ok(blob)
}

/// Decrypts an `encryptedPassword` into a 32-byte key: RSA-OAEP-SHA256 only (the
/// PKCS#1 v1.5 fallback is for `#[rsa_decrypt]` fields, as django-apiview clients
/// send them).
pub fn decrypt_key(private: &RsaPrivateKey, b64: &str) -> Result<[u8; KEY_LEN], CipherError> {
    let blob = rsa_blob(private, b64)?;
    let key = private
        .decrypt_blinded(&mut OsRng, Oaep::new::<Sha256>(), &blob)
        .map_err(|_| fail("RSA-OAEP decryption failed"))?;
    key.as_slice().try_into().map_err(|_| {
        fail(format!(
            "the decrypted key has {} bytes, not {KEY_LEN}",
            key.len()
        ))
    })
}

/// `B64(nonce ‖ AES-256-GCM(key, nonce, plaintext) ‖ tag)` with the given nonce.
///
/// ```
/// use apiview_core::cipher::{open, seal_with_nonce};
///
/// let sealed = seal_with_nonce(&[7; 32], &[1; 12], b"{}");
/// assert_eq!(open(&[7; 32], &sealed).unwrap(), b"{}");
/// ```
pub fn seal_with_nonce(key: &[u8; KEY_LEN], nonce: &[u8; NONCE_LEN], plaintext: &[u8]) -> String {
    let cipher = Aes256Gcm::new(key.into());
    // Encryption of a byte slice with a 12-byte nonce cannot fail.
    let sealed = cipher
        .encrypt(Nonce::from_slice(nonce), plaintext)
        .unwrap_or_default();
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(nonce);
    out.extend_from_slice(&sealed);
    B64.encode(out)
}

/// [`seal_with_nonce`] with a fresh random nonce: the `encryptedData` field.
///
/// ```
/// use apiview_core::cipher::seal;
///
/// assert_ne!(seal(&[7; 32], b"same"), seal(&[7; 32], b"same"));
/// ```
pub fn seal(key: &[u8; KEY_LEN], plaintext: &[u8]) -> String {
    let mut nonce = [0; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    seal_with_nonce(key, &nonce, plaintext)
}

/// Opens an `encryptedData` field: base64, then nonce, ciphertext and tag checked
/// together. Any tampering, truncation or wrong key is an error; nothing partial is
/// ever returned.
///
/// ```
/// use apiview_core::cipher::{open, seal};
///
/// let sealed = seal(&[7; 32], b"secret");
/// assert!(open(&[8; 32], &sealed).is_err());
/// assert!(open(&[7; 32], &sealed[..sealed.len() - 4]).is_err());
/// ```
pub fn open(key: &[u8; KEY_LEN], b64: &str) -> Result<Vec<u8>, CipherError> {
    let bytes = B64.decode(b64.trim()).map_err(|_| fail("not standard base64"))?;
    if bytes.len() < NONCE_LEN + TAG_LEN {
        return Err(fail(format!(
            "{} bytes is too short for nonce and tag",
            bytes.len()
        )));
    }
    let (nonce, sealed) = bytes.split_at(NONCE_LEN);
    Aes256Gcm::new(key.into())
        .decrypt(Nonce::from_slice(nonce), sealed)
        .map_err(|_| fail("AES-GCM authentication failed (wrong key, or tampered data)"))
}
