//! [`BearerJwt`]: `Authorization: Bearer <JSON Web Token>`, HS256 or RS256, on the
//! `jsonwebtoken` crate.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use poem::http::header::AUTHORIZATION;
use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{Map, Value};

use super::{Authenticate, Identity};
use crate::cipher::{read_private_key, read_public_key};
use crate::error::BizError;
use crate::request::ApiRequest;
use crate::settings::{JwtSettings, SettingsError};

/// The built-in authenticator: a JSON Web Token in `Authorization: Bearer <token>`,
/// signed with HS256 (a shared secret) or RS256 (checked with a public key). Made from
/// settings' `[auth.jwt]` when the App has no other authenticator; cheap to clone.
///
/// A token passes when its signature is right for the one algorithm configured (a
/// token naming another algorithm, `none` included, is refused: no algorithm
/// confusion), it carries `exp` and `sub`, `exp` and `nbf` hold within `leeway_s`, and
/// `iss`/`aud` are the configured ones (when configured). [`Identity::id`] is `sub`,
/// [`Identity::claims`] the whole payload. Anything else is `BadUserToken`. A request
/// without an `Authorization` header, or with another scheme (`Basic ..`), carries no
/// bearer token: `LoginRequired` where logging in is required, no identity where it
/// is optional. Checking a token costs one HMAC or one RSA signature check; a token
/// is never logged.
///
/// It also signs tokens ([`BearerJwt::issue`]), for a login endpoint to hand out:
/// with the secret for HS256, with `[auth.jwt] private_key` (or
/// [`BearerJwt::signing_key`]) for RS256. An endpoint reaches the App's
/// `BearerJwt` with a parameter of that type, `jwt: &BearerJwt`.
///
/// ```
/// use std::time::Duration;
/// use apiview::BearerJwt;
///
/// let jwt = BearerJwt::hs256("a-secret-of-32-bytes-or-more!!!!").issuer("shop");
/// let token = jwt.issue("ann", Duration::from_secs(60), serde_json::json!({"role": "admin"})).unwrap();
/// let me = jwt.verify(&token).unwrap();
/// assert_eq!((me.id(), me.claims()["role"].as_str(), me.claims()["iss"].as_str()), ("ann", Some("admin"), Some("shop")));
///
/// let other = BearerJwt::hs256("another-secret-of-32-bytes-or-more");
/// assert_eq!(other.verify(&token).unwrap_err().code(), 1001040012); // BadUserToken
/// ```
#[derive(Clone)]
pub struct BearerJwt(Arc<Inner>);

#[derive(Clone)]
struct Inner {
    algorithm: Algorithm,
    decoding: DecodingKey,
    encoding: Option<EncodingKey>,
    validation: Validation,
    issuer: Option<String>,
    audience: Option<String>,
}

/// The claims every token must carry.
const REQUIRED: [&str; 2] = ["exp", "sub"];

/// The default leeway around `exp` and `nbf`, as `[auth.jwt] leeway_s`.
const DEFAULT_LEEWAY_S: u64 = 30;

impl BearerJwt {
    fn new(algorithm: Algorithm, decoding: DecodingKey, encoding: Option<EncodingKey>) -> Self {
        // One algorithm, never the token's choice.
        let mut validation = Validation::new(algorithm);
        validation.set_required_spec_claims(&REQUIRED);
        validation.leeway = DEFAULT_LEEWAY_S;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = false;
        BearerJwt(Arc::new(Inner {
            algorithm,
            decoding,
            encoding,
            validation,
            issuer: None,
            audience: None,
        }))
    }

    /// Tokens signed and checked with HS256 and this secret (use at least 32 random
    /// bytes; settings refuse less).
    ///
    /// ```
    /// let jwt = apiview::BearerJwt::hs256(b"0123456789abcdef0123456789abcdef");
    /// let token = jwt.issue("7", std::time::Duration::from_secs(60), serde_json::Value::Null).unwrap();
    /// assert_eq!(jwt.verify(&token).unwrap().id(), "7");
    /// ```
    pub fn hs256(secret: impl AsRef<[u8]>) -> Self {
        let secret = secret.as_ref();
        BearerJwt::new(
            Algorithm::HS256,
            DecodingKey::from_secret(secret),
            Some(EncodingKey::from_secret(secret)),
        )
    }

    /// Tokens checked with RS256 and this public key; add [`BearerJwt::signing_key`]
    /// to sign them here too.
    ///
    /// ```
    /// use apiview::{cipher::generate_private_key, BearerJwt};
    ///
    /// let private = generate_private_key(2048).unwrap();
    /// let checker = BearerJwt::rs256(&private.to_public_key()).unwrap();
    /// let signer = checker.clone().signing_key(&private).unwrap();
    /// let token = signer.issue("ann", std::time::Duration::from_secs(60), serde_json::Value::Null).unwrap();
    /// assert_eq!(checker.verify(&token).unwrap().id(), "ann");
    /// // Without the private key, nothing is signed.
    /// assert!(checker.issue("ann", std::time::Duration::from_secs(60), serde_json::Value::Null).is_err());
    /// ```
    pub fn rs256(public_key: &RsaPublicKey) -> Result<Self, rsa::pkcs1::Error> {
        let der = public_key.to_pkcs1_der()?;
        Ok(BearerJwt::new(
            Algorithm::RS256,
            DecodingKey::from_rsa_der(der.as_bytes()),
            None,
        ))
    }

    /// Signs RS256 tokens with this private key (the pair of the public key that
    /// checks them). Changes nothing for HS256, which signs with its secret.
    ///
    /// See [`BearerJwt::rs256`].
    pub fn signing_key(mut self, private_key: &RsaPrivateKey) -> Result<Self, rsa::pkcs1::Error> {
        if self.0.algorithm == Algorithm::RS256 {
            let der = private_key.to_pkcs1_der()?;
            Arc::make_mut(&mut self.0).encoding = Some(EncodingKey::from_rsa_der(der.as_bytes()));
        }
        Ok(self)
    }

    /// Requires this `iss` of every token, and writes it into issued ones.
    ///
    /// ```
    /// use apiview::BearerJwt;
    ///
    /// let secret = "a-secret-of-32-bytes-or-more!!!!";
    /// let token = BearerJwt::hs256(secret).issuer("a").issue("ann", std::time::Duration::from_secs(60), serde_json::Value::Null).unwrap();
    /// assert!(BearerJwt::hs256(secret).issuer("a").verify(&token).is_ok());
    /// assert!(BearerJwt::hs256(secret).issuer("b").verify(&token).is_err());
    /// ```
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        let inner = Arc::make_mut(&mut self.0);
        let issuer = issuer.into();
        inner.validation.set_issuer(&[issuer.as_str()]);
        inner.issuer = Some(issuer);
        inner.refresh_required();
        self
    }

    /// Requires this `aud` of every token, and writes it into issued ones.
    ///
    /// ```
    /// use apiview::BearerJwt;
    ///
    /// let secret = "a-secret-of-32-bytes-or-more!!!!";
    /// let token = BearerJwt::hs256(secret).audience("api").issue("ann", std::time::Duration::from_secs(60), serde_json::Value::Null).unwrap();
    /// assert!(BearerJwt::hs256(secret).audience("api").verify(&token).is_ok());
    /// assert!(BearerJwt::hs256(secret).audience("admin").verify(&token).is_err());
    /// ```
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        let inner = Arc::make_mut(&mut self.0);
        let audience = audience.into();
        inner.validation.set_audience(&[audience.as_str()]);
        inner.validation.validate_aud = true;
        inner.audience = Some(audience);
        inner.refresh_required();
        self
    }

    /// The clock skew allowed around `exp` and `nbf` (whole seconds; 30 unless set).
    ///
    /// ```
    /// use std::time::Duration;
    /// use apiview::BearerJwt;
    ///
    /// let jwt = BearerJwt::hs256("a-secret-of-32-bytes-or-more!!!!").leeway(Duration::ZERO);
    /// let expired = jwt.issue("ann", Duration::ZERO, serde_json::Value::Null).unwrap();
    /// std::thread::sleep(Duration::from_millis(1100));
    /// assert_eq!(jwt.verify(&expired).unwrap_err().code(), 1001040012);
    /// ```
    pub fn leeway(mut self, leeway: Duration) -> Self {
        Arc::make_mut(&mut self.0).validation.leeway = leeway.as_secs();
        self
    }

    /// The `BearerJwt` of `[auth.jwt]`, its key files read now. A file that cannot
    /// be read or parsed is an error that names the key and the file.
    ///
    /// ```
    /// use apiview::{BearerJwt, Settings};
    ///
    /// let settings = Settings::from_toml_str("[auth.jwt]\nsecret = 'a-secret-of-32-bytes-or-more!!!!'").unwrap();
    /// assert!(BearerJwt::from_settings(settings.auth.jwt.as_ref().unwrap()).is_ok());
    ///
    /// let settings = Settings::from_toml_str("[auth.jwt]\npublic_key = 'no/such.pem'").unwrap();
    /// let err = BearerJwt::from_settings(settings.auth.jwt.as_ref().unwrap()).err().unwrap();
    /// assert!(err.to_string().contains("auth.jwt.public_key") && err.to_string().contains("no/such.pem"), "{err}");
    /// ```
    pub fn from_settings(settings: &JwtSettings) -> Result<Self, SettingsError> {
        let fail = |key: &str, err: &dyn std::fmt::Display| {
            SettingsError::new(format!("settings key `auth.jwt.{key}`: {err}"))
        };
        let mut jwt = if settings.public_key.is_empty() {
            BearerJwt::hs256(settings.secret.as_bytes())
        } else {
            let public = read_public_key(&settings.public_key).map_err(|err| fail("public_key", &err))?;
            let jwt = BearerJwt::rs256(&public).map_err(|err| fail("public_key", &err))?;
            if settings.private_key.is_empty() {
                jwt
            } else {
                let private =
                    read_private_key(&settings.private_key).map_err(|err| fail("private_key", &err))?;
                if private.to_public_key() != public {
                    return Err(fail(
                        "private_key",
                        &format!(
                            "{} is not the pair of public_key {}: tokens it signs would not pass",
                            settings.private_key, settings.public_key
                        ),
                    ));
                }
                jwt.signing_key(&private)
                    .map_err(|err| fail("private_key", &err))?
            }
        };
        if !settings.issuer.is_empty() {
            jwt = jwt.issuer(settings.issuer.as_str());
        }
        if !settings.audience.is_empty() {
            jwt = jwt.audience(settings.audience.as_str());
        }
        Ok(jwt.leeway(Duration::from_secs(settings.leeway_s)))
    }

    /// Whether it can sign tokens: HS256, or RS256 with a signing key.
    ///
    /// ```
    /// assert!(apiview::BearerJwt::hs256("a-secret-of-32-bytes-or-more!!!!").can_issue());
    /// ```
    pub fn can_issue(&self) -> bool {
        self.0.encoding.is_some()
    }

    /// A token for `subject` (its `sub`), valid for `ttl` from now (`iat`, `exp`),
    /// with the configured `iss` and `aud`, and the fields of `extra` (a JSON object,
    /// or null for none) as further claims; the claims named above win over `extra`'s.
    ///
    /// An RS256 `BearerJwt` without a signing key, or `extra` that is not an object,
    /// is a `SysError` (logged): a mistake of the server, not of its client.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let jwt = apiview::BearerJwt::hs256("a-secret-of-32-bytes-or-more!!!!");
    /// let token = jwt.issue("ann", Duration::from_secs(3600), serde_json::json!({"sub": "bob", "admin": true})).unwrap();
    /// let me = jwt.verify(&token).unwrap();
    /// assert_eq!((me.id(), me.claims()["admin"].as_bool()), ("ann", Some(true)));
    /// let claims = me.claims();
    /// assert_eq!(claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(), 3600);
    /// assert!(jwt.issue("ann", Duration::from_secs(60), serde_json::json!([1])).is_err());
    /// ```
    pub fn issue(&self, subject: &str, ttl: Duration, extra: Value) -> Result<String, BizError> {
        let inner = &self.0;
        let Some(key) = &inner.encoding else {
            tracing::error!(
                "BearerJwt::issue: an RS256 BearerJwt signs with a private key; set settings key \
                 `auth.jwt.private_key` or call BearerJwt::signing_key"
            );
            return Err(BizError::sys_error());
        };
        let mut claims = match extra {
            Value::Object(claims) => claims,
            Value::Null => Map::new(),
            _ => {
                tracing::error!("BearerJwt::issue: the extra claims are a JSON object or null");
                return Err(BizError::sys_error());
            }
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        claims.insert("sub".into(), Value::from(subject));
        claims.insert("iat".into(), Value::from(now));
        claims.insert("exp".into(), Value::from(now.saturating_add(ttl.as_secs())));
        if let Some(issuer) = &inner.issuer {
            claims.insert("iss".into(), Value::from(issuer.as_str()));
        }
        if let Some(audience) = &inner.audience {
            claims.insert("aud".into(), Value::from(audience.as_str()));
        }
        jsonwebtoken::encode(&Header::new(inner.algorithm), &claims, key).map_err(|err| {
            tracing::error!(%err, "BearerJwt::issue: the token could not be signed");
            BizError::sys_error()
        })
    }

    /// The identity a token proves, or `BadUserToken` with the reason logged (at
    /// debug level, never the token).
    ///
    /// ```
    /// let jwt = apiview::BearerJwt::hs256("a-secret-of-32-bytes-or-more!!!!");
    /// assert_eq!(jwt.verify("not.a.token").unwrap_err().code(), 1001040012);
    /// ```
    pub fn verify(&self, token: &str) -> Result<Identity, BizError> {
        let inner = &self.0;
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &inner.decoding, &inner.validation)
            .map_err(|err| {
                tracing::debug!(reason = refusal(err.kind()), "bearer token refused");
                BizError::bad_user_token()
            })?;
        let Some(Value::String(subject)) = data.claims.get("sub") else {
            tracing::debug!(reason = "`sub` is not a string", "bearer token refused");
            return Err(BizError::bad_user_token());
        };
        Ok(Identity::new(subject.clone(), Value::Object(data.claims)))
    }
}

impl Inner {
    /// `iss` and `aud` are required once they are checked: a token without them
    /// would otherwise pass.
    fn refresh_required(&mut self) {
        let mut required: Vec<&str> = REQUIRED.to_vec();
        if self.issuer.is_some() {
            required.push("iss");
        }
        if self.audience.is_some() {
            required.push("aud");
        }
        self.validation.set_required_spec_claims(&required);
    }
}

/// Why a token was refused, in words that quote nothing of it.
fn refusal(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::ExpiredSignature => "expired",
        ErrorKind::ImmatureSignature => "not valid yet (nbf)",
        ErrorKind::InvalidSignature => "bad signature",
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => "algorithm not accepted",
        ErrorKind::InvalidIssuer => "wrong issuer",
        ErrorKind::InvalidAudience => "wrong audience",
        ErrorKind::MissingRequiredClaim(_) => "a required claim is missing",
        _ => "malformed",
    }
}

/// The token of an `Authorization: Bearer <token>` header: `None` without the
/// header or with another scheme, `BadUserToken` for a malformed one or for two
/// headers.
fn bearer_token(request: &ApiRequest) -> Result<Option<&str>, BizError> {
    let mut values = request.headers().get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(BizError::bad_user_token());
    }
    let text = value.to_str().map_err(|_| BizError::bad_user_token())?.trim();
    let (scheme, token) = text.split_once(' ').unwrap_or((text, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Ok(None);
    }
    let token = token.trim_start_matches(' ');
    // RFC 6750 §2.1: b64token.
    let b64token = |b: u8| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b);
    if token.is_empty() || !token.bytes().all(b64token) {
        return Err(BizError::bad_user_token());
    }
    Ok(Some(token))
}

impl Authenticate for BearerJwt {
    fn authenticate(
        &self,
        request: &ApiRequest,
    ) -> impl std::future::Future<Output = Result<Option<Identity>, BizError>> + Send {
        let identity = match bearer_token(request) {
            Ok(Some(token)) => self.verify(token).map(Some),
            Ok(None) => Ok(None),
            Err(err) => Err(err),
        };
        std::future::ready(identity)
    }

    /// The `Authorization` header only.
    fn reads_body(&self) -> bool {
        false
    }
}

impl std::fmt::Debug for BearerJwt {
    /// Names the algorithm and the claims checked; never a key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BearerJwt")
            .field("algorithm", &self.0.algorithm)
            .field("issuer", &self.0.issuer)
            .field("audience", &self.0.audience)
            .field("leeway_s", &self.0.validation.leeway)
            .field("can_issue", &self.can_issue())
            .finish()
    }
}
