//! Loading settings: the file (`apiview.toml`, or the path in `APIVIEW_SETTINGS`),
//! then the `APIVIEW_*` environment overrides, with errors that name the key and the
//! file.

use std::fmt;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;

use super::Settings;

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
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("apiview-doc-load-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # std::env::set_current_dir(&dir).unwrap();
    /// // No ./apiview.toml here:
    /// let settings = apiview_core::Settings::load()?;
    /// assert_eq!(settings.packer, "simple");
    ///
    /// std::env::set_var("APIVIEW_SETTINGS", "no-such-file.toml");
    /// let error = apiview_core::Settings::load().unwrap_err();
    /// assert!(error.to_string().contains("does not exist"), "{error}");
    /// # std::fs::remove_dir_all(&dir).unwrap();
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
    "versioning.scheme",
    "versioning.default",
    "versioning.param",
    // A list, split by `VersioningSettings` itself: `[v1, 1.10]` keeps `1.10`.
    "versioning.allowed",
    "auth.jwt.secret",
    "auth.jwt.public_key",
    "auth.jwt.private_key",
    "auth.jwt.issuer",
    "auth.jwt.audience",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Language;

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
