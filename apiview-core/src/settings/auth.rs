//! `[auth]`: how requests are authenticated (DESIGN §14).

use serde::{Deserialize, Serialize};

/// `[auth]` settings: off unless `[auth.jwt]` is there.
///
/// ```
/// let settings = apiview_core::Settings::from_toml_str(
///     "[auth.jwt]\nsecret = 'a-demo-secret-of-at-least-32-bytes!'\nissuer = 'demo'",
/// )
/// .unwrap();
/// let jwt = settings.auth.jwt.unwrap();
/// assert_eq!((jwt.issuer.as_str(), jwt.leeway_s), ("demo", 30));
/// assert!(apiview_core::Settings::default().auth.jwt.is_none());
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// `[auth.jwt]`: bearer JSON Web Tokens (`BearerJwt`). The section
    /// alone turns them on; `App::authenticator` replaces them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt: Option<JwtSettings>,
}

/// `[auth.jwt]`: how bearer tokens are checked (and signed). Exactly one of
/// `secret` (HS256) and `public_key` (RS256) is set.
///
/// ```
/// let settings = apiview_core::Settings::from_toml_str("[auth.jwt]\npublic_key = 'keys/jwt.pub.pem'\naudience = 'api'").unwrap();
/// let jwt = settings.auth.jwt.unwrap();
/// assert_eq!((jwt.public_key.as_str(), jwt.audience.as_str()), ("keys/jwt.pub.pem", "api"));
/// // Both, or neither, is an error that names the keys.
/// let err = apiview_core::Settings::from_toml_str("[auth.jwt]\nissuer = 'me'").unwrap_err();
/// assert!(err.to_string().contains("auth.jwt.secret"), "{err}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JwtSettings {
    /// The HS256 secret, at least 32 bytes (a shorter one can be guessed offline
    /// from any one token).
    pub secret: String,
    /// The PEM file of the RS256 public key (SPKI or PKCS#1) that checks tokens;
    /// read at start-up.
    pub public_key: String,
    /// The PEM file of the RS256 private key (PKCS#8 or PKCS#1), with `public_key`,
    /// when this server also signs tokens (`BearerJwt::issue`); read at start-up.
    pub private_key: String,
    /// The `iss` every token must carry (and that issued tokens get); empty: not checked.
    pub issuer: String,
    /// The `aud` every token must carry (and that issued tokens get); empty: not checked.
    pub audience: String,
    /// Seconds of clock skew allowed around `exp` and `nbf`.
    pub leeway_s: u64,
}

impl Default for JwtSettings {
    fn default() -> Self {
        JwtSettings {
            secret: String::new(),
            public_key: String::new(),
            private_key: String::new(),
            issuer: String::new(),
            audience: String::new(),
            leeway_s: 30,
        }
    }
}

/// The shortest HS256 secret accepted, in bytes (the hash's size, RFC 7518 §3.2).
pub(crate) const MIN_SECRET_BYTES: usize = 32;

/// The largest `leeway_s`: an hour of clock skew is already a broken clock.
pub(crate) const MAX_LEEWAY_S: u64 = 3600;
