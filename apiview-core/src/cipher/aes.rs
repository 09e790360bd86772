//! AES-256-GCM: the `encryptedData` field, `B64(nonce ‖ ciphertext ‖ tag)`, with or
//! without associated data.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;

use super::{fail, CipherError, KEY_LEN, NONCE_LEN, TAG_LEN};

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

/// [`seal_with_nonce`] with associated data: `aad` is authenticated by the tag
/// but not carried in the output; [`open_with_aad`] needs the same `aad`.
///
/// ```
/// use apiview_core::cipher::{open, open_with_aad, seal_with_nonce_and_aad};
///
/// let sealed = seal_with_nonce_and_aad(&[7; 32], &[1; 12], b"{}", b"POST /echo");
/// assert_eq!(open_with_aad(&[7; 32], &sealed, b"POST /echo").unwrap(), b"{}");
/// assert!(open_with_aad(&[7; 32], &sealed, b"POST /other").is_err());
/// assert!(open(&[7; 32], &sealed).is_err());
/// ```
pub fn seal_with_nonce_and_aad(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    plaintext: &[u8],
    aad: &[u8],
) -> String {
    let cipher = Aes256Gcm::new(key.into());
    // Encryption of a byte slice with a 12-byte nonce cannot fail.
    let sealed = cipher
        .encrypt(Nonce::from_slice(nonce), Payload { msg: plaintext, aad })
        .unwrap_or_default();
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(nonce);
    out.extend_from_slice(&sealed);
    B64.encode(out)
}

/// [`seal_with_nonce_and_aad`] with a fresh random nonce: the `encryptedData` of a
/// request to a safe endpoint, `aad` being [`request_aad`](super::request_aad).
///
/// ```
/// use apiview_core::cipher::{open_with_aad, request_aad, seal_with_aad};
///
/// let aad = request_aad("POST", "/echo");
/// let sealed = seal_with_aad(&[7; 32], br#"{"msg":"hi"}"#, &aad);
/// assert_eq!(open_with_aad(&[7; 32], &sealed, &aad).unwrap(), br#"{"msg":"hi"}"#);
/// ```
pub fn seal_with_aad(key: &[u8; KEY_LEN], plaintext: &[u8], aad: &[u8]) -> String {
    let mut nonce = [0; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    seal_with_nonce_and_aad(key, &nonce, plaintext, aad)
}

/// Opens an `encryptedData` field sealed with associated data `aad`; any other
/// `aad` fails as tampering does.
///
/// ```
/// use apiview_core::cipher::{open_with_aad, seal_with_aad};
///
/// let sealed = seal_with_aad(&[7; 32], b"secret", b"GET /a");
/// assert!(open_with_aad(&[7; 32], &sealed, b"GET /b").is_err());
/// ```
pub fn open_with_aad(key: &[u8; KEY_LEN], b64: &str, aad: &[u8]) -> Result<Vec<u8>, CipherError> {
    let bytes = B64.decode(b64.trim()).map_err(|_| fail("not standard base64"))?;
    if bytes.len() < NONCE_LEN + TAG_LEN {
        return Err(fail(format!(
            "{} bytes is too short for nonce and tag",
            bytes.len()
        )));
    }
    let (nonce, sealed) = bytes.split_at(NONCE_LEN);
    Aes256Gcm::new(key.into())
        .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad })
        .map_err(|_| {
            fail("AES-GCM authentication failed (wrong key, wrong method or path, or tampered data)")
        })
}
