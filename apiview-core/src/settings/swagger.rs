//! `[swagger]`: where the Swagger UI is served and what the document says.

use serde::{Deserialize, Serialize};

use super::lenient_text;

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
