//! RSA-OAEP-SHA256: the `encryptedPassword` key and `#[rsa_decrypt]` fields, with the
//! same work and the same error for every failure.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::rngs::OsRng;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, Oaep, Pkcs1v15Encrypt, RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;

use super::{fail, CipherError, KEY_LEN};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cipher::generate_private_key;

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
