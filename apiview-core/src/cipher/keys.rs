//! RSA keys: read from PEM files and text, written as PEM, generated.

use std::path::Path;

use rand::rngs::OsRng;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::{RsaPrivateKey, RsaPublicKey};

use super::{fail, CipherError};

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
/// ```
/// use apiview_core::cipher::{generate_private_key, private_key_to_pem, read_private_key};
///
/// # let dir = std::env::temp_dir().join(format!("apiview-doc-keys-{}", std::process::id()));
/// # std::fs::create_dir_all(dir.join("keys")).unwrap();
/// # std::env::set_current_dir(&dir).unwrap();
/// # let key = generate_private_key(1024).unwrap();
/// # std::fs::write("keys/server.pem", private_key_to_pem(&key).unwrap()).unwrap();
/// let read = read_private_key("keys/server.pem").unwrap();
/// # assert!(read == key);
/// let error = read_private_key("keys/missing.pem").unwrap_err();
/// assert!(error.to_string().contains("keys/missing.pem"), "{error}");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn read_private_key(path: impl AsRef<Path>) -> Result<RsaPrivateKey, CipherError> {
    let path = path.as_ref();
    let pem = std::fs::read_to_string(path)
        .map_err(|err| fail(format!("cannot read {}: {err}", path.display())))?;
    private_key_from_pem(&pem).map_err(|err| fail(format!("{}: {err}", path.display())))
}

/// Reads a PEM public key file; the error names the file.
///
/// ```
/// use apiview_core::cipher::{generate_private_key, public_key_to_pem, read_public_key};
///
/// # let dir = std::env::temp_dir().join(format!("apiview-doc-pub-{}", std::process::id()));
/// # std::fs::create_dir_all(dir.join("keys")).unwrap();
/// # std::env::set_current_dir(&dir).unwrap();
/// # let key = generate_private_key(1024).unwrap().to_public_key();
/// # std::fs::write("keys/demo.pub.pem", public_key_to_pem(&key).unwrap()).unwrap();
/// let read = read_public_key("keys/demo.pub.pem").unwrap();
/// # assert!(read == key);
/// let error = read_public_key("keys/missing.pub.pem").unwrap_err();
/// assert!(error.to_string().contains("keys/missing.pub.pem"), "{error}");
/// # std::fs::remove_dir_all(&dir).unwrap();
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
/// use rsa::traits::PublicKeyParts;
///
/// let key = apiview_core::cipher::generate_private_key(1024).unwrap();
/// assert_eq!(key.size() * 8, 1024);
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
