//! Settings: one TOML file (`apiview.toml`, or the path in `APIVIEW_SETTINGS`), every
//! key overridable from the environment (`APIVIEW_PACKER=deetr`,
//! `APIVIEW_CACHE__DEFAULT_EXPIRE=60`).

mod auth;
mod cache;
mod cors;
mod limits;
mod load;
mod pagination;
mod redis_url;
mod safe;
mod swagger;
mod throttle;
mod validate;
mod versioning;

use poem::http::Method;
use serde::{Deserialize, Serialize};

pub use self::auth::{AuthSettings, JwtSettings};
pub use self::cache::{CacheSettings, SingleFlight};
pub use self::cors::CorsSettings;
pub use self::limits::Limits;
pub use self::load::{SettingsError, DEFAULT_SETTINGS_FILE, SETTINGS_ENV};
pub use self::pagination::PaginationSettings;
pub(crate) use self::redis_url::{SentinelTarget, Target as RedisTarget};
pub use self::safe::SafeSettings;
pub use self::swagger::SwaggerSettings;
pub use self::throttle::{IpBlock, ThrottleSettings};
pub use self::versioning::{VersionScheme, VersioningSettings, VERSION_HEADER};
use crate::error::Language;
use crate::meta::{poem_method, HttpMethod};

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
    /// 400 for parameter errors, 403 auth, 405 method, 413 body size, 429 throttled,
    /// 500 system.
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
    /// `[pagination]`: the defaults of `#[paginate]`.
    pub pagination: PaginationSettings,
    /// `[versioning]`: which API version a request asks for (DESIGN §16).
    pub versioning: VersioningSettings,
    /// `[throttle]`: throttle counters and the client address (DESIGN §13).
    pub throttle: ThrottleSettings,
    /// `[auth]`: who sends a request (DESIGN §14).
    pub auth: AuthSettings,
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
            pagination: PaginationSettings::default(),
            versioning: VersioningSettings::default(),
            throttle: ThrottleSettings::default(),
            auth: AuthSettings::default(),
        }
    }
}

impl Settings {
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

/// Parses a method name of the allow-lists (`get`, `POST`, …) as poem's method type.
pub(crate) fn parse_method(name: &str) -> Option<Method> {
    HttpMethod::parse(name).map(poem_method)
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
