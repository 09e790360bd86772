//! `[safe]`: the keys and checks of encrypted, signed requests (DESIGN §19).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `[safe]` settings.
///
/// ```
/// let settings = apiview_core::Settings::default();
/// assert!(settings.safe.client_public_keys.is_empty());
/// assert_eq!((settings.safe.replay_window_s, settings.safe.replay_backend.as_str()), (300, "default"));
/// assert!(!settings.safe.allow_pkcs1v15);
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SafeSettings {
    /// PEM file of the server's RSA private key (PKCS#1 or PKCS#8), for
    /// `rsa_decrypt` and `decode_encrypted_data`.
    pub server_private_key: String,
    /// The request field that names the calling client.
    pub client_id_field: String,
    /// Client id → PEM file of its RSA public key (SPKI or PKCS#1).
    pub client_public_keys: BTreeMap<String, String>,
    /// Seconds one AES key serves one client before a new one is made.
    pub key_reuse_seconds: u64,
    /// Answers one AES key serves one client before a new one is made.
    pub key_reuse_answers: u64,
    /// Seconds a request to a safe endpoint stays valid: its `ts` must be within this
    /// many seconds of the server's clock, either way, else `RequestExpired`; its
    /// `nonce` is remembered for twice as long (DESIGN §19).
    pub replay_window_s: u64,
    /// The `[cache] backends` entry that remembers the nonces of requests to safe
    /// endpoints: a `redis://` backend shares the replay window between instances.
    /// When it fails, such requests are refused (`CacheError`), never run unchecked.
    pub replay_backend: String,
    /// Whether `#[rsa_decrypt]` fields may use PKCS#1 v1.5 padding (django-apiview
    /// clients) besides RSA-OAEP-SHA256. Off by default: PKCS#1 v1.5 decryption is a
    /// padding oracle wherever a conformant plaintext is answered unlike garbage.
    pub allow_pkcs1v15: bool,
}

impl Default for SafeSettings {
    fn default() -> Self {
        SafeSettings {
            server_private_key: String::new(),
            client_id_field: "clientId".into(),
            client_public_keys: BTreeMap::new(),
            key_reuse_seconds: 600,
            key_reuse_answers: 100_000,
            replay_window_s: 300,
            replay_backend: "default".into(),
            allow_pkcs1v15: false,
        }
    }
}
