//! The signature of a request to a safe endpoint (RSA-PSS-SHA256 by the client), and
//! the associated data that binds it to its method and path.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::rngs::OsRng;
use rsa::pss::{Signature, SigningKey, VerifyingKey};
use rsa::signature::{RandomizedSigner, SignatureEncoding, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;

use super::{fail, CipherError};

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
