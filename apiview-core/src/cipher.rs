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

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::pss::{Signature, SigningKey, VerifyingKey};
use rsa::signature::{RandomizedSigner, SignatureEncoding, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, Oaep, Pkcs1v15Encrypt, RsaPrivateKey, RsaPublicKey};
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
/// use apiview_core::cipher::{encrypt_key_bytes, generate_private_key, rsa_decrypt, RsaPaddings};
///
/// let private = generate_private_key(1024).unwrap();
/// let blob = encrypt_key_bytes(&private.to_public_key(), b"s3cret").unwrap();
/// assert_eq!(rsa_decrypt(&private, &blob, RsaPaddings::OaepOnly).unwrap(), b"s3cret");
/// ```
pub fn encrypt_key_bytes(public: &RsaPublicKey, plaintext: &[u8]) -> Result<String, CipherError> {
    public
        .encrypt(&mut OsRng, Oaep::new::<Sha256>(), plaintext)
        .map(|blob| B64.encode(blob))
        .map_err(|err| fail(format!("RSA encryption failed: {err}")))
}

/// Which RSA paddings [`rsa_decrypt`] accepts (settings `safe.allow_pkcs1v15`).
///
/// ```
/// use apiview_core::cipher::RsaPaddings;
///
/// assert_eq!(RsaPaddings::default(), RsaPaddings::OaepOnly);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RsaPaddings {
    /// RSA-OAEP-SHA256 only: the default.
    #[default]
    OaepOnly,
    /// RSA-OAEP-SHA256, or PKCS#1 v1.5 as django-apiview clients send it. PKCS#1 v1.5
    /// decryption is a padding oracle wherever the answer to a conformant plaintext
    /// differs from the answer to garbage (Bleichenbacher), and the `rsa` crate has no
    /// implicit rejection: opt in only for clients that cannot send OAEP.
    OaepOrPkcs1v15,
}

/// RSA-decrypts base64 text: OAEP-SHA256, or also PKCS#1 v1.5 when `paddings`
/// says so.
///
/// Hardened against padding oracles (RUSTSEC-2023-0071, "Marvin"; see SECURITY.md):
/// - the private-key operation is blinded with a fresh random factor;
/// - with [`RsaPaddings::OaepOrPkcs1v15`] both paddings are tried, always, in a fixed
///   order (OAEP, then PKCS#1 v1.5), whatever the first one says, so the work done
///   does not tell which failed;
/// - text that is not base64, a blob of the wrong length or one above the modulus
///   is replaced by a stand-in blob that goes through the same private-key
///   operations, so malformed input costs what bad padding costs;
/// - every failure is the same [`CipherError`], whatever its cause.
///
/// ```
/// use apiview_core::cipher::{encrypt_key_bytes, generate_private_key, rsa_decrypt, RsaPaddings};
/// use rsa::Pkcs1v15Encrypt;
///
/// let private = generate_private_key(1024).unwrap();
/// let blob = encrypt_key_bytes(&private.to_public_key(), b"s3cret").unwrap();
/// assert_eq!(rsa_decrypt(&private, &blob, RsaPaddings::OaepOnly).unwrap(), b"s3cret");
/// // Not base64, bad padding: one error for both.
/// let garbage = rsa_decrypt(&private, "not base64!", RsaPaddings::OaepOnly).unwrap_err();
/// let tampered = rsa_decrypt(&private, &blob.replacen(&blob[..4], "AAAA", 1), RsaPaddings::OaepOnly).unwrap_err();
/// assert_eq!(garbage, tampered);
/// // PKCS#1 v1.5 only when asked for.
/// use base64::Engine;
/// let old = private.to_public_key().encrypt(&mut rand::rngs::OsRng, Pkcs1v15Encrypt, b"old").unwrap();
/// let old = base64::engine::general_purpose::STANDARD.encode(old);
/// assert_eq!(rsa_decrypt(&private, &old, RsaPaddings::OaepOnly).unwrap_err(), garbage);
/// assert_eq!(rsa_decrypt(&private, &old, RsaPaddings::OaepOrPkcs1v15).unwrap(), b"old");
/// ```
pub fn rsa_decrypt(
    private: &RsaPrivateKey,
    b64: &str,
    paddings: RsaPaddings,
) -> Result<Vec<u8>, CipherError> {
    let (blob, well_formed) = rsa_blob(private, b64);
    let oaep = private.decrypt_blinded(&mut OsRng, Oaep::new::<Sha256>(), &blob);
    let pkcs1v15 = match paddings {
        RsaPaddings::OaepOnly => Err(rsa::Error::Decryption),
        RsaPaddings::OaepOrPkcs1v15 => private.decrypt_blinded(&mut OsRng, Pkcs1v15Encrypt, &blob),
    };
    match (well_formed, oaep, pkcs1v15) {
        (true, Ok(plaintext), _) | (true, Err(_), Ok(plaintext)) => Ok(plaintext),
        _ => Err(undecryptable()),
    }
}

/// The one error of [`rsa_decrypt`] and [`decrypt_key`]: the cause is deliberately
/// not told, not even to the log, since telling causes apart is what a padding
/// oracle needs.
fn undecryptable() -> CipherError {
    fail("RSA decryption failed (not base64, not one block of the key's size, or bad padding)")
}

/// Base64 text as an RSA blob for `private`, and whether it was one: standard
/// base64 of exactly the key's size, below the modulus. Anything else gives a
/// stand-in blob (the modulus minus one) of the right size instead, so that the
/// caller still runs the full private-key operation. These checks read only what the
/// sender already knows (its text, the public modulus), so their own timing tells
/// nothing secret.
fn rsa_blob(private: &RsaPrivateKey, b64: &str) -> (Vec<u8>, bool) {
    let size = private.size();
    let stand_in = (private.n() - 1u8).to_bytes_be();
    match B64.decode(b64.trim()) {
        Ok(blob) if blob.len() == size && BigUint::from_bytes_be(&blob) < *private.n() => (blob, true),
        _ => (stand_in, false),
    }
}

/// Decrypts an `encryptedPassword` into a 32-byte key: RSA-OAEP-SHA256 only (the
/// PKCS#1 v1.5 fallback is for `#[rsa_decrypt]` fields, as django-apiview clients
/// send them).
///
/// Blinded, and with the same defences as [`rsa_decrypt`]: malformed text goes
/// through the private-key operation too, and every failure (malformed, bad
/// padding, a decrypted key that is not 32 bytes) is the same [`CipherError`].
///
/// ```
/// use apiview_core::cipher::{decrypt_key, encrypt_key, encrypt_key_bytes, generate_private_key, random_key};
///
/// let private = generate_private_key(1024).unwrap();
/// let key = random_key();
/// assert_eq!(decrypt_key(&private, &encrypt_key(&private.to_public_key(), &key).unwrap()).unwrap(), key);
/// let short = encrypt_key_bytes(&private.to_public_key(), &[7; 16]).unwrap();
/// assert_eq!(decrypt_key(&private, &short).unwrap_err(), decrypt_key(&private, "%%").unwrap_err());
/// ```
pub fn decrypt_key(private: &RsaPrivateKey, b64: &str) -> Result<[u8; KEY_LEN], CipherError> {
    let (blob, well_formed) = rsa_blob(private, b64);
    let decrypted = private.decrypt_blinded(&mut OsRng, Oaep::new::<Sha256>(), &blob);
    match (well_formed, decrypted) {
        (true, Ok(key)) => <[u8; KEY_LEN]>::try_from(key.as_slice()).map_err(|_| undecryptable()),
        _ => Err(undecryptable()),
    }
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
/// request to a safe endpoint, `aad` being [`request_aad`].
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

/// The associated data of a request to a safe endpoint: the method in capitals, one
/// space, and the path as sent in the request line, without the query string.
///
/// ```
/// assert_eq!(apiview_core::cipher::request_aad("post", "/api/echo"), b"POST /api/echo");
/// ```
pub fn request_aad(method: &str, path: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(method.len() + 1 + path.len());
    aad.extend(method.bytes().map(|b| b.to_ascii_uppercase()));
    aad.push(b' ');
    aad.extend_from_slice(path.as_bytes());
    aad
}

/// The text a request's `signature` signs: `encryptedPassword`, a dot,
/// `encryptedData`, as sent (base64 text, not decoded).
fn signed_text(password: &str, data: &str) -> Vec<u8> {
    [password.as_bytes(), b".", data.as_bytes()].concat()
}

/// `B64(RSA-PSS-SHA256(client private key, encryptedPassword ‖ "." ‖ encryptedData))`:
/// the `signature` of a request to a safe endpoint. PSS with SHA-256 for the hash
/// and MGF1, and a 32-byte salt.
///
/// ```
/// use apiview_core::cipher::{generate_private_key, sign_request, verify_request};
///
/// let client = generate_private_key(1024).unwrap();
/// let signature = sign_request(&client, "PASSWORD", "DATA");
/// assert!(verify_request(&client.to_public_key(), "PASSWORD", "DATA", &signature).is_ok());
/// assert!(verify_request(&client.to_public_key(), "PASSWORD", "OTHER", &signature).is_err());
/// ```
pub fn sign_request(private: &RsaPrivateKey, password: &str, data: &str) -> String {
    let key = SigningKey::<Sha256>::new(private.clone());
    B64.encode(
        key.sign_with_rng(&mut OsRng, &signed_text(password, data))
            .to_bytes(),
    )
}

/// Checks a request's `signature` (see [`sign_request`]) with the client's public
/// key: public-key work only, done before any private-key work. Text that is not
/// standard base64 of the key's size fails like a wrong signature.
///
/// ```
/// use apiview_core::cipher::{generate_private_key, sign_request, verify_request};
///
/// let alice = generate_private_key(1024).unwrap();
/// let bob = generate_private_key(1024).unwrap();
/// let signature = sign_request(&alice, "P", "D");
/// assert!(verify_request(&bob.to_public_key(), "P", "D", &signature).is_err());
/// assert!(verify_request(&alice.to_public_key(), "P", "D", &signature[..signature.len() - 4]).is_err());
/// ```
pub fn verify_request(
    public: &RsaPublicKey,
    password: &str,
    data: &str,
    signature: &str,
) -> Result<(), CipherError> {
    let bad = || fail("not an RSA-PSS-SHA256 signature of encryptedPassword.encryptedData by this key");
    let bytes = B64.decode(signature.trim()).map_err(|_| bad())?;
    if bytes.len() != public.size() {
        return Err(bad());
    }
    let signature = Signature::try_from(bytes.as_slice()).map_err(|_| bad())?;
    VerifyingKey::<Sha256>::new(public.clone())
        .verify(&signed_text(password, data), &signature)
        .map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Malformed text must reach the private-key operation like a real blob: full
    /// size, below the modulus, flagged as not well formed.
    #[test]
    fn malformed_text_becomes_a_full_size_stand_in_below_the_modulus() {
        let key = generate_private_key(1024).unwrap();
        let size = key.size();
        let good = encrypt_key_bytes(&key.to_public_key(), b"s3cret").unwrap();
        let malformed = [
            String::new(),
            "not base64!".to_owned(),
            B64.encode(vec![1; size - 1]),
            B64.encode(vec![1; size + 1]),
            B64.encode(vec![0xff; size]),
            B64.encode(key.n().to_bytes_be()),
        ];
        for text in &malformed {
            let (blob, well_formed) = rsa_blob(&key, text);
            assert!(!well_formed, "{text:?} passed as well formed");
            assert_eq!(blob.len(), size, "{text:?}");
            assert!(BigUint::from_bytes_be(&blob) < *key.n(), "{text:?}");
        }
        let (blob, well_formed) = rsa_blob(&key, &good);
        assert!(well_formed);
        assert_eq!(B64.encode(blob), good);
    }

    /// Every failure of the two RSA entry points is one and the same error.
    #[test]
    fn every_rsa_failure_is_the_same_error() {
        let key = generate_private_key(1024).unwrap();
        let public = key.to_public_key();
        let mut flipped = B64
            .decode(encrypt_key_bytes(&public, b"s3cret").unwrap())
            .unwrap();
        flipped[40] ^= 1;
        let inputs = [
            "%%".to_owned(),
            B64.encode([1; 10]),
            B64.encode(vec![0xff; key.size()]),
            B64.encode(&flipped),
        ];
        let expected = undecryptable();
        for input in &inputs {
            for paddings in [RsaPaddings::OaepOnly, RsaPaddings::OaepOrPkcs1v15] {
                assert_eq!(
                    rsa_decrypt(&key, input, paddings).unwrap_err(),
                    expected,
                    "{input:?}"
                );
            }
            assert_eq!(decrypt_key(&key, input).unwrap_err(), expected, "{input:?}");
        }
        let short_key = encrypt_key_bytes(&public, &[7; 16]).unwrap();
        assert_eq!(decrypt_key(&key, &short_key).unwrap_err(), expected);
    }
}
