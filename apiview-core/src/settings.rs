//! Settings: one TOML file (`apiview.toml`, or the path in `APIVIEW_SETTINGS`), every
//! key overridable from the environment (`APIVIEW_PACKER=deetr`,
//! `APIVIEW_CACHE__DEFAULT_EXPIRE=60`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use poem::http::Method;
use serde::{Deserialize, Serialize};

use crate::error::Language;

/// The environment variable that names the settings file.
///
/// ```
/// assert_eq!(apiview_core::settings::SETTINGS_ENV, "APIVIEW_SETTINGS");
/// ```
pub const SETTINGS_ENV: &str = "APIVIEW_SETTINGS";
/// The settings file read when `APIVIEW_SETTINGS` is not set.
///
/// ```
/// assert_eq!(apiview_core::settings::DEFAULT_SETTINGS_FILE, "apiview.toml");
/// ```
pub const DEFAULT_SETTINGS_FILE: &str = "apiview.toml";
const ENV_PREFIX: &str = "APIVIEW_";

/// Which HTTP status a packed error is sent with.
///
/// ```
/// use apiview_core::{HttpStatusMode, Settings};
///
/// let settings = Settings::from_toml_str("http_status = 'semantic'").unwrap();
/// assert_eq!(settings.http_status, HttpStatusMode::Semantic);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HttpStatusMode {
    /// Always 200, the code in the envelope tells (django-apiview's rule).
    #[default]
    Business,
    /// 400 for parameter errors, 403 auth, 405 method, 413 body size, 500 system.
    Semantic,
}

/// All of apiview's settings. Every field has a default, so an empty file (or none)
/// is valid.
///
/// ```
/// use apiview_core::Settings;
///
/// let settings = Settings::from_toml_str(r#"
///     packer = "deetr"
///     aclkey = "s3cret"
///     [cache]
///     default_expire = 60
/// "#).unwrap();
/// assert_eq!(settings.packer, "deetr");
/// assert_eq!(settings.cache.default_expire, 60);
/// assert_eq!(settings.body_limit, 2 * 1024 * 1024);
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The packer of every endpoint that does not name its own: `simple`, `deetr`,
    /// `dmrs`, `safe` or a name registered with `App::packer`.
    pub packer: String,
    /// Methods allowed on endpoints with no `allow_*` / `methods(..)` helper.
    pub default_allow_methods: Vec<String>,
    /// The API key `#[check_aclkey]` accepts. Empty means none.
    pub aclkey: String,
    /// More accepted API keys.
    pub aclkeys: Vec<String>,
    /// Language of error messages.
    #[serde(with = "language_name")]
    pub language: Language,
    /// `business` (always 200) or `semantic` HTTP statuses for errors.
    pub http_status: HttpStatusMode,
    /// Largest accepted request body, in bytes.
    pub body_limit: u64,
    /// Whether a `text/plain` body is parsed as JSON when it happens to be JSON, as
    /// django-apiview does. Off: a browser posts `text/plain` cross-site without a
    /// preflight, so parsing it would let other sites forge JSON requests.
    pub parse_untyped_bodies: bool,
    /// `[cache]`: used by `#[cache]`.
    pub cache: CacheSettings,
    /// `[safe]`: keys of the safe packer and of `rsa_decrypt`.
    pub safe: SafeSettings,
    /// `[swagger]`: the OpenAPI document and the Swagger UI.
    pub swagger: SwaggerSettings,
    /// `[limits]`: how long and how much a client may take (DESIGN §11).
    pub limits: Limits,
    /// `[cors]`: which other origins browsers may call the API from.
    pub cors: CorsSettings,
}

/// `[cors]` settings, applied by poem's CORS middleware (preflights included). With
/// no `allow_origins` (the default), no cross-origin access is granted.
///
/// ```
/// let settings = apiview_core::Settings::from_toml_str(
///     "[cors]\nallow_origins = ['https://shop.example']\nmax_age_s = 600",
/// )
/// .unwrap();
/// assert_eq!(settings.cors.allow_origins, ["https://shop.example"]);
/// assert_eq!(settings.cors.allow_methods, ["get", "post"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorsSettings {
    /// Origins allowed (`https://shop.example`); empty: none.
    pub allow_origins: Vec<String>,
    /// Methods a cross-origin request may use.
    pub allow_methods: Vec<String>,
    /// Request headers a cross-origin request may send; empty: those its preflight asks for.
    pub allow_headers: Vec<String>,
    /// Whether cross-origin requests may carry cookies and credentials.
    pub allow_credentials: bool,
    /// Seconds a browser may cache a preflight's answer.
    pub max_age_s: u32,
}

impl Default for CorsSettings {
    fn default() -> Self {
        CorsSettings {
            allow_origins: Vec::new(),
            allow_methods: vec!["get".into(), "post".into()],
            allow_headers: Vec::new(),
            allow_credentials: false,
            max_age_s: 86_400,
        }
    }
}

/// `[limits]` settings: what a client may hold of the server. `App::serve` and
/// [`Limited`](crate::listener::Limited) apply the connection limits; the App applies
/// the body limits to every request.
///
/// ```
/// let settings = apiview_core::Settings::from_toml_str("[limits]\nhead_timeout_ms = 5000").unwrap();
/// assert_eq!(settings.limits.head_timeout_ms, 5000);
/// assert_eq!(settings.limits.body_timeout_ms, 30_000);
/// assert!(settings.limits.http2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Milliseconds a request head may take, from its first byte (leading blank lines
    /// count) to its blank line; the first head of a connection counts from the accept.
    pub head_timeout_ms: u64,
    /// Milliseconds a request body may take, from the end of the head.
    pub body_timeout_ms: u64,
    /// Milliseconds a kept-alive connection may stay silent (no byte either way)
    /// between requests.
    pub idle_timeout_ms: u64,
    /// Connections served at once; beyond it, new connections wait in the backlog.
    pub max_connections: u32,
    /// Whether HTTP/2 (cleartext, prior knowledge) is served; `false` closes a
    /// connection that starts with the HTTP/2 preface.
    pub http2: bool,
    /// Streams one HTTP/2 connection may have open at once.
    pub http2_max_concurrent_streams: u32,
    /// Pairs of an urlencoded body, or parts of a multipart one; more is
    /// `BadParameter(_payload)`.
    pub max_form_fields: u64,
    /// How deep arrays and objects of a JSON body may nest (at most 128, serde_json's
    /// own limit); deeper is `BadParameter(_payload)`.
    pub max_json_depth: u64,
    /// Values in one JSON body (objects, arrays and scalars); more is
    /// `BadParameter(_payload)`.
    pub max_json_values: u64,
    /// Bytes of request bodies being parsed or served at once (each charged once it has
    /// arrived), all requests together, the trees parsed from them included; beyond it
    /// a request waits its turn, for `body_timeout_ms` at most.
    pub bodies_in_flight_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            head_timeout_ms: 10_000,
            body_timeout_ms: 30_000,
            idle_timeout_ms: 60_000,
            max_connections: 10_000,
            http2: true,
            http2_max_concurrent_streams: 100,
            max_form_fields: 1000,
            max_json_depth: 128,
            max_json_values: 100_000,
            bodies_in_flight_bytes: 16 * 1024 * 1024,
        }
    }
}

/// `[cache]` settings.
///
/// ```
/// let settings = apiview_core::Settings::from_toml_str("[cache]\ndefault_expire = 60").unwrap();
/// assert_eq!(settings.cache.default_expire, 60);
/// assert_eq!(settings.cache.backends["default"], "memory://");
/// assert_eq!(settings.cache.memory_max_bytes, 64 * 1024 * 1024);
/// let zero = apiview_core::Settings::from_toml_str("[cache]\nmemory_max_bytes = 0").unwrap_err();
/// assert!(zero.to_string().contains("cache.memory_max_bytes"));
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheSettings {
    /// Seconds a cached result lives when `#[cache]` names no `expire`.
    pub default_expire: u64,
    /// The request header that, set to `true`, skips the cache read.
    pub disable_cache_header: String,
    /// Cache backends by name, as URLs (`memory://`, `redis://host:port/db`).
    pub backends: BTreeMap<String, String>,
    /// Most bytes each `memory://` backend holds (keys, values and 128 per entry);
    /// past it the entries least used are evicted.
    pub memory_max_bytes: u64,
    /// Longest wait for one backend operation, in milliseconds; a slower backend is
    /// a failure (a logged miss with `ignore_errors`).
    pub operation_timeout_ms: u64,
    /// Longest wait, in milliseconds, for a concurrent request computing the same
    /// key before computing it too.
    pub single_flight_timeout_ms: u64,
}

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

/// `[swagger]` settings.
///
/// ```
/// let settings = apiview_core::Settings::from_toml_str("[swagger]\ntitle = 'Shop'").unwrap();
/// assert_eq!((settings.swagger.title.as_str(), settings.swagger.mount.as_str()), ("Shop", "/apiview/"));
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SwaggerSettings {
    /// Where the Swagger UI and the document are served.
    pub mount: String,
    /// `3.1` or `3.0`.
    #[serde(deserialize_with = "lenient_text::deserialize")]
    pub openapi_version: String,
    /// Document title.
    pub title: String,
    /// Document description.
    pub description: String,
    /// API version.
    #[serde(deserialize_with = "lenient_text::deserialize")]
    pub version: String,
    /// Terms of service URL.
    pub terms_of_service: String,
    /// Contact e-mail.
    pub contact_email: String,
    /// Host the API is served at.
    pub api_host: String,
    /// Path prefix the API is served under.
    pub api_basepath: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            packer: "simple".into(),
            default_allow_methods: vec!["get".into(), "post".into()],
            aclkey: String::new(),
            aclkeys: Vec::new(),
            language: Language::En,
            http_status: HttpStatusMode::Business,
            body_limit: 2 * 1024 * 1024,
            parse_untyped_bodies: false,
            cache: CacheSettings::default(),
            safe: SafeSettings::default(),
            swagger: SwaggerSettings::default(),
            limits: Limits::default(),
            cors: CorsSettings::default(),
        }
    }
}

impl Default for CacheSettings {
    fn default() -> Self {
        CacheSettings {
            default_expire: 300,
            disable_cache_header: "Disable-Cache".into(),
            backends: BTreeMap::from([("default".into(), "memory://".into())]),
            memory_max_bytes: 64 * 1024 * 1024,
            operation_timeout_ms: 250,
            single_flight_timeout_ms: 10_000,
        }
    }
}

impl Default for SwaggerSettings {
    fn default() -> Self {
        SwaggerSettings {
            mount: "/apiview/".into(),
            openapi_version: "3.1".into(),
            title: "apiview".into(),
            description: String::new(),
            version: "0.1.0".into(),
            terms_of_service: String::new(),
            contact_email: String::new(),
            api_host: String::new(),
            api_basepath: "/".into(),
        }
    }
}

/// Text that may arrive as a number: the environment's values are parsed, so
/// `APIVIEW_SWAGGER__OPENAPI_VERSION=3.0` is the float 3.0 (and so is an unquoted
/// `3.0` in the file).
mod lenient_text {
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum TextOrNumber {
        Text(String),
        Integer(i64),
        Float(f64),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
        Ok(match TextOrNumber::deserialize(deserializer)? {
            TextOrNumber::Text(text) => text,
            TextOrNumber::Integer(number) => number.to_string(),
            // `{:?}` keeps the `.0` of 3.0.
            TextOrNumber::Float(number) => format!("{number:?}"),
        })
    }
}

mod language_name {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::error::Language;

    pub fn serialize<S: Serializer>(language: &Language, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(match language {
            Language::En => "en",
            Language::ZhHans => "zh-hans",
        })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Language, D::Error> {
        Language::deserialize(deserializer)
    }
}

/// Settings could not be loaded. The message names the file and the key at fault.
///
/// ```
/// let err = apiview_core::Settings::from_toml_str("body_limit = 'big'").unwrap_err();
/// assert!(err.to_string().contains("body_limit"));
/// ```
#[derive(Debug)]
pub struct SettingsError {
    message: String,
}

impl SettingsError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        SettingsError {
            message: message.into(),
        }
    }
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SettingsError {}

impl Settings {
    /// Loads `$APIVIEW_SETTINGS`, else `./apiview.toml`, then the `APIVIEW_*`
    /// environment overrides.
    ///
    /// A missing `./apiview.toml` means defaults. A file named by `APIVIEW_SETTINGS`
    /// must exist: a typo there should not silently fall back to defaults.
    ///
    /// ```no_run
    /// let settings = apiview_core::Settings::load()?;
    /// # Ok::<(), apiview_core::SettingsError>(())
    /// ```
    pub fn load() -> Result<Settings, SettingsError> {
        match std::env::var_os(SETTINGS_ENV) {
            Some(path) => {
                let path = PathBuf::from(path);
                if !path.is_file() {
                    return Err(SettingsError::new(format!(
                        "settings file {} named by {SETTINGS_ENV} does not exist; \
                         fix the path or unset {SETTINGS_ENV} to use ./{DEFAULT_SETTINGS_FILE}",
                        path.display()
                    )));
                }
                Settings::from_file(path)
            }
            None => Settings::from_file(DEFAULT_SETTINGS_FILE),
        }
    }

    /// Loads one TOML file (missing: defaults), then the `APIVIEW_*` environment
    /// overrides.
    ///
    /// ```
    /// let settings = apiview_core::Settings::from_file("does-not-exist.toml").unwrap();
    /// assert_eq!(settings.packer, "simple");
    /// ```
    pub fn from_file(path: impl AsRef<Path>) -> Result<Settings, SettingsError> {
        let path = path.as_ref();
        if path.exists() && !path.is_file() {
            return Err(SettingsError::new(format!(
                "settings path {} is not a file",
                path.display()
            )));
        }
        if path.is_file() {
            // figment reports a file it cannot read as if it were missing.
            std::fs::read_to_string(path).map_err(|err| {
                SettingsError::new(format!("cannot read settings file {}: {err}", path.display()))
            })?;
        }
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if path.is_file() {
            figment = figment.merge(Toml::file_exact(path));
        }
        Settings::extract(figment.merge(env_overrides()), &path.display().to_string())
    }

    /// Parses settings from TOML text (no environment overrides); for tests and
    /// embedded configurations.
    ///
    /// ```
    /// let err = apiview_core::Settings::from_toml_str("pakcer = 'simple'").unwrap_err();
    /// assert!(err.to_string().contains("pakcer"));
    /// ```
    pub fn from_toml_str(text: &str) -> Result<Settings, SettingsError> {
        Settings::extract(
            Figment::from(Serialized::defaults(Settings::default())).merge(Toml::string(text)),
            "the given TOML text",
        )
    }

    fn extract(figment: Figment, origin: &str) -> Result<Settings, SettingsError> {
        let settings: Settings = figment.extract().map_err(|errors| {
            // figment names keys by profile ("default.cache.x"); users wrote "cache.x".
            let lines: Vec<String> = errors
                .into_iter()
                .map(|err| format!("  - {}", err.to_string().replace("key \"default.", "key \"")))
                .collect();
            SettingsError::new(format!(
                "invalid apiview settings (file {origin}, or APIVIEW_* environment variables):\n{}",
                lines.join("\n")
            ))
        })?;
        settings.validate(origin)?;
        Ok(settings)
    }

    fn validate(&self, origin: &str) -> Result<(), SettingsError> {
        let fail = |key: &str, problem: String| {
            Err(SettingsError::new(format!(
                "invalid apiview settings: key `{key}` in {origin}: {problem}"
            )))
        };
        for name in &self.default_allow_methods {
            if parse_method(name).is_none() {
                return fail(
                    "default_allow_methods",
                    format!(
                        "`{name}` is not an HTTP method; use get, post, put, delete, patch, head or options"
                    ),
                );
            }
        }
        if self.body_limit == 0 {
            return fail("body_limit", "must be at least 1 byte".into());
        }
        if self.packer.trim().is_empty() {
            return fail(
                "packer",
                "must name a packer: simple, deetr, dmrs, safe or a registered one".into(),
            );
        }
        for (name, url) in &self.cache.backends {
            let key = format!("cache.backends.{name}");
            if url.starts_with("memory://") {
                continue;
            }
            if !(url.starts_with("redis://")
                || url.starts_with("redis+unix://")
                || url.starts_with("unix://"))
            {
                return fail(
                    &key,
                    format!("`{url}` is not a cache URL; use \"memory://\" or \"redis://host:port/db\""),
                );
            }
            if let Err(err) = redis::Client::open(url.as_str()) {
                return fail(&key, format!("`{url}` is not a valid Redis URL: {err}"));
            }
        }
        if self.safe.client_id_field.is_empty() {
            return fail(
                "safe.client_id_field",
                "must name the request field that carries the client id".into(),
            );
        }
        if self.safe.key_reuse_answers == 0 {
            return fail("safe.key_reuse_answers", "must be at least 1".into());
        }
        if self.cache.memory_max_bytes == 0 {
            return fail(
                "cache.memory_max_bytes",
                "must be at least 1 (a zero would cache nothing); 67108864 is 64 MiB".into(),
            );
        }
        if !(1..=86_400).contains(&self.safe.replay_window_s) {
            return fail(
                "safe.replay_window_s",
                format!("{} is not between 1 and 86400 seconds", self.safe.replay_window_s),
            );
        }
        if self.cache.operation_timeout_ms == 0 {
            return fail("cache.operation_timeout_ms", "must be at least 1".into());
        }
        if poem::http::HeaderName::from_bytes(self.cache.disable_cache_header.as_bytes()).is_err() {
            return fail(
                "cache.disable_cache_header",
                format!(
                    "`{}` is not an HTTP header name (letters, digits and `-`, such as \"Disable-Cache\")",
                    self.cache.disable_cache_header
                ),
            );
        }
        let limits = &self.limits;
        for (key, value) in [
            ("limits.head_timeout_ms", limits.head_timeout_ms),
            ("limits.body_timeout_ms", limits.body_timeout_ms),
            ("limits.idle_timeout_ms", limits.idle_timeout_ms),
            ("limits.max_connections", limits.max_connections.into()),
            (
                "limits.http2_max_concurrent_streams",
                limits.http2_max_concurrent_streams.into(),
            ),
            ("limits.max_form_fields", limits.max_form_fields),
            ("limits.max_json_depth", limits.max_json_depth),
            ("limits.max_json_values", limits.max_json_values),
            ("limits.bodies_in_flight_bytes", limits.bodies_in_flight_bytes),
        ] {
            if value == 0 {
                return fail(
                    key,
                    "must be at least 1 (a zero would refuse every request)".into(),
                );
            }
        }
        if limits.max_json_depth > 128 {
            return fail(
                "limits.max_json_depth",
                format!(
                    "{} is deeper than serde_json parses (128); use at most 128",
                    limits.max_json_depth
                ),
            );
        }
        if limits.bodies_in_flight_bytes < self.body_limit {
            return fail(
                "limits.bodies_in_flight_bytes",
                format!(
                    "{} is less than body_limit ({}): a body of the limit could never be read; \
                     raise it or lower body_limit",
                    limits.bodies_in_flight_bytes, self.body_limit
                ),
            );
        }
        let cors = &self.cors;
        for origin in &cors.allow_origins {
            if origin == "*" && cors.allow_credentials {
                return fail(
                    "cors.allow_origins",
                    "\"*\" cannot go with cors.allow_credentials = true (browsers refuse it); \
                     list the origins"
                        .into(),
                );
            }
            if poem::http::HeaderValue::from_str(origin).is_err() || origin.is_empty() {
                return fail(
                    "cors.allow_origins",
                    format!("`{origin}` is not an origin; write one as \"https://shop.example\""),
                );
            }
        }
        for name in &cors.allow_methods {
            if parse_method(name).is_none() {
                return fail(
                    "cors.allow_methods",
                    format!(
                        "`{name}` is not an HTTP method; use get, post, put, delete, patch, head or options"
                    ),
                );
            }
        }
        for name in &cors.allow_headers {
            if poem::http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return fail(
                    "cors.allow_headers",
                    format!("`{name}` is not an HTTP header name"),
                );
            }
        }
        if !matches!(self.swagger.openapi_version.as_str(), "3.0" | "3.1") {
            return fail(
                "swagger.openapi_version",
                format!(
                    "`{}` is not supported; use \"3.1\" or \"3.0\"",
                    self.swagger.openapi_version
                ),
            );
        }
        Ok(())
    }

    /// `default_allow_methods` as HTTP methods (validated when the settings load).
    ///
    /// ```
    /// let settings = apiview_core::Settings::from_toml_str("default_allow_methods = ['GET']").unwrap();
    /// assert_eq!(settings.default_methods(), [poem::http::Method::GET]);
    /// ```
    pub fn default_methods(&self) -> Vec<Method> {
        self.default_allow_methods
            .iter()
            .filter_map(|name| parse_method(name))
            .collect()
    }
}

/// The `APIVIEW_*` environment overrides. figment's own `Env` parses every value
/// (`APIVIEW_ACLKEY=0123` would become the number 123); here text settings keep
/// the variable's text exactly, and the others are parsed as figment does.
struct EnvOverrides;

/// Settings whose values are text, by key (a trailing `.` covers a whole map).
const TEXT_KEYS: &[&str] = &[
    "packer",
    "aclkey",
    "language",
    "http_status",
    "cache.disable_cache_header",
    "cache.backends.",
    "safe.server_private_key",
    "safe.client_id_field",
    "safe.client_public_keys.",
    "swagger.",
];

impl figment::Provider for EnvOverrides {
    fn metadata(&self) -> figment::Metadata {
        figment::Metadata::named("`APIVIEW_` environment variable(s)")
    }

    fn data(&self) -> Result<figment::value::Map<figment::Profile, figment::value::Dict>, figment::Error> {
        use figment::value::{Dict, Value};
        let env = Env::prefixed(ENV_PREFIX).split("__").ignore(&["settings", "log"]);
        let mut root = Dict::new();
        for (key, raw) in env.iter() {
            let key = key.as_str().to_ascii_lowercase();
            let is_text = TEXT_KEYS
                .iter()
                .any(|text| key == *text || (text.ends_with('.') && key.starts_with(text)));
            let value = if is_text {
                Value::from(raw)
            } else {
                raw.parse::<Value>().unwrap_or_else(|never| match never {})
            };
            let mut parts: Vec<&str> = key.split('.').collect();
            let last = parts.pop().unwrap_or_default();
            let mut dict = &mut root;
            for part in parts {
                let entry = dict
                    .entry(part.to_owned())
                    .or_insert_with(|| Value::from(Dict::new()));
                if !matches!(entry, Value::Dict(..)) {
                    *entry = Value::from(Dict::new());
                }
                let Value::Dict(_, inner) = entry else {
                    unreachable!("made a dict just above")
                };
                dict = inner;
            }
            dict.insert(last.to_owned(), value);
        }
        Ok(figment::Profile::Default.collect(root))
    }
}

fn env_overrides() -> EnvOverrides {
    EnvOverrides
}

/// Parses a method name of the allow-lists (`get`, `POST`, …).
///
/// ```
/// use apiview_core::settings::parse_method;
///
/// assert_eq!(parse_method("Post"), Some(poem::http::Method::POST));
/// assert_eq!(parse_method("fetch"), None);
/// ```
pub fn parse_method(name: &str) -> Option<Method> {
    Some(match name.to_ascii_lowercase().as_str() {
        "get" => Method::GET,
        "post" => Method::POST,
        "put" => Method::PUT,
        "delete" => Method::DELETE,
        "patch" => Method::PATCH,
        "head" => Method::HEAD,
        "options" => Method::OPTIONS,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_names_the_key() {
        let err = Settings::from_toml_str("[cache]\ndefault_expiry = 5")
            .unwrap_err()
            .to_string();
        assert!(err.contains("default_expiry"), "{err}");
    }

    #[test]
    fn bad_method_names_the_key() {
        let err = Settings::from_toml_str("default_allow_methods = ['get', 'fetch']")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("default_allow_methods") && err.contains("fetch"),
            "{err}"
        );
    }

    #[test]
    fn environment_text_settings_keep_their_text() {
        // The only test of this binary that touches APIVIEW_* variables.
        std::env::set_var("APIVIEW_ACLKEY", "0123");
        std::env::set_var("APIVIEW_SWAGGER__VERSION", "1.10");
        std::env::set_var("APIVIEW_BODY_LIMIT", "4096");
        let settings = Settings::from_file("no-such-settings-file.toml");
        std::env::remove_var("APIVIEW_ACLKEY");
        std::env::remove_var("APIVIEW_SWAGGER__VERSION");
        std::env::remove_var("APIVIEW_BODY_LIMIT");
        let settings = settings.unwrap();
        assert_eq!(settings.aclkey, "0123");
        assert_eq!(settings.swagger.version, "1.10");
        assert_eq!(settings.body_limit, 4096);
    }

    #[test]
    fn language_accepts_zh_hans() {
        let settings = Settings::from_toml_str("language = 'zh-hans'").unwrap();
        assert_eq!(settings.language, Language::ZhHans);
        let err = Settings::from_toml_str("language = 'fr'")
            .unwrap_err()
            .to_string();
        assert!(err.contains("language"), "{err}");
    }
}
