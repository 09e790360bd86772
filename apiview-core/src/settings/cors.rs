//! `[cors]`: which browsers on other origins may call the API.

use serde::{Deserialize, Serialize};

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
