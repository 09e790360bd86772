//! `[versioning]`: which API version a request asks for, and where it says so
//! (DESIGN §16).

use serde::{Deserialize, Serialize};

use super::lenient_text;

/// Where a request names its API version (`versioning.scheme`).
///
/// ```
/// use apiview_core::settings::VersionScheme;
///
/// assert_eq!(VersionScheme::parse("url_path"), Some(VersionScheme::UrlPath));
/// assert_eq!(VersionScheme::Accept.name(), "accept");
/// assert_eq!(VersionScheme::parse("namespace"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VersionScheme {
    /// No versioning: `ApiRequest::version()` is
    /// `None` and nothing is read.
    #[default]
    None,
    /// A path segment `:version` (the `param` name) in every endpoint's path:
    /// `App::at("/:version/things", things)` serves `/v2/things`.
    UrlPath,
    /// The `Accept-Version` header: `Accept-Version: v2`.
    Header,
    /// A query parameter (the `param` name): `?version=v2`.
    Query,
    /// A parameter (the `param` name) of the `Accept` header's media type:
    /// `Accept: application/json; version=v2`.
    Accept,
}

impl VersionScheme {
    /// Every scheme, in the order the settings reference lists them.
    pub const ALL: [VersionScheme; 5] = [
        VersionScheme::None,
        VersionScheme::UrlPath,
        VersionScheme::Header,
        VersionScheme::Query,
        VersionScheme::Accept,
    ];

    /// The scheme named `name`, as settings write it.
    pub fn parse(name: &str) -> Option<VersionScheme> {
        VersionScheme::ALL
            .into_iter()
            .find(|scheme| scheme.name() == name)
    }

    /// The scheme's name in settings.
    pub fn name(self) -> &'static str {
        match self {
            VersionScheme::None => "none",
            VersionScheme::UrlPath => "url_path",
            VersionScheme::Header => "header",
            VersionScheme::Query => "query",
            VersionScheme::Accept => "accept",
        }
    }
}

/// The header the `header` scheme reads.
///
/// ```
/// assert_eq!(apiview_core::settings::VERSION_HEADER, "Accept-Version");
/// ```
pub const VERSION_HEADER: &str = "Accept-Version";

/// `[versioning]` settings: off by default.
///
/// ```
/// use apiview_core::settings::VersionScheme;
///
/// let settings = apiview_core::Settings::from_toml_str(
///     "[versioning]\nscheme = 'query'\nallowed = ['v1', 'v2']\ndefault = 'v1'",
/// )
/// .unwrap();
/// assert_eq!(settings.versioning.version_scheme(), VersionScheme::Query);
/// assert_eq!((settings.versioning.param.as_str(), settings.versioning.allowed.len()), ("version", 2));
/// assert_eq!(apiview_core::Settings::default().versioning.version_scheme(), VersionScheme::None);
/// // A scheme needs versions, and a default among them.
/// assert!(apiview_core::Settings::from_toml_str("[versioning]\nscheme = 'query'").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VersioningSettings {
    /// `none`, `url_path`, `header`, `query` or `accept`.
    pub scheme: String,
    /// The versions a request may name; at least one when a scheme is on.
    #[serde(deserialize_with = "version_list::deserialize")]
    pub allowed: Vec<String>,
    /// The version of a request that names none; one of `allowed`.
    #[serde(deserialize_with = "lenient_text::deserialize")]
    pub default: String,
    /// The name the version goes by: the path segment (`:version`), the query
    /// parameter (`?version=`) or the `Accept` media type parameter
    /// (`; version=`). The `header` scheme reads `Accept-Version` whatever it is.
    pub param: String,
}

impl Default for VersioningSettings {
    fn default() -> Self {
        VersioningSettings {
            scheme: "none".into(),
            allowed: Vec::new(),
            default: String::new(),
            param: "version".into(),
        }
    }
}

impl VersioningSettings {
    /// `scheme`, parsed (checked when the settings load; `none` otherwise).
    ///
    /// ```
    /// use apiview_core::settings::VersionScheme;
    ///
    /// let settings = apiview_core::Settings::from_toml_str(
    ///     "[versioning]\nscheme = 'accept'\nallowed = ['v1']\ndefault = 'v1'",
    /// )
    /// .unwrap();
    /// assert_eq!(settings.versioning.version_scheme(), VersionScheme::Accept);
    /// ```
    pub fn version_scheme(&self) -> VersionScheme {
        VersionScheme::parse(&self.scheme).unwrap_or_default()
    }

    /// Whether requests are versioned (a scheme other than `none`).
    ///
    /// ```
    /// assert!(!apiview_core::Settings::default().versioning.is_on());
    /// ```
    pub fn is_on(&self) -> bool {
        self.version_scheme() != VersionScheme::None
    }
}

/// `allowed` as a list, from TOML (`["v1", "2.0"]`, numbers written as text) or from
/// one text: the environment's `APIVIEW_VERSIONING__ALLOWED=[v1, v2]` (or `v1,v2`),
/// split at commas with quotes trimmed, so that `1.10` stays `1.10`.
mod version_list {
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Item {
        Text(String),
        Integer(i64),
        Float(f64),
    }

    impl Item {
        fn text(self) -> String {
            match self {
                Item::Text(text) => text,
                Item::Integer(number) => number.to_string(),
                Item::Float(number) => format!("{number:?}"),
            }
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum List {
        Items(Vec<Item>),
        One(Item),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
        Ok(match List::deserialize(deserializer)? {
            List::Items(items) => items.into_iter().map(Item::text).collect(),
            List::One(Item::Text(text)) => split(&text),
            List::One(item) => vec![item.text()],
        })
    }

    fn split(text: &str) -> Vec<String> {
        let inner = text.trim();
        let inner = inner
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
            .unwrap_or(inner);
        inner
            .split(',')
            .map(|item| item.trim().trim_matches(|c| c == '"' || c == '\''))
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect()
    }
}
