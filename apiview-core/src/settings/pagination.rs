//! `[pagination]`: the defaults of `#[paginate]`.

use serde::{Deserialize, Serialize};

use crate::meta::PageStyle;

/// `[pagination]` settings: what `#[paginate]` uses for an option it does not write.
///
/// ```
/// let settings = apiview_core::Settings::from_toml_str("[pagination]\npage_size = 50").unwrap();
/// assert_eq!(settings.pagination.page_size, 50);
/// assert_eq!(settings.pagination.max_page_size, 100);
/// assert_eq!(settings.pagination.style, "page_number");
/// assert!(apiview_core::Settings::from_toml_str("[pagination]\nstyle = 'pages'").is_err());
/// assert!(apiview_core::Settings::from_toml_str("[pagination]\npage_size = 0").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PaginationSettings {
    /// `page_number`, `limit_offset` or `cursor`.
    pub style: String,
    /// Items per page when the request names no size.
    pub page_size: u64,
    /// The largest size a request may ask for; a larger one is clamped to it.
    pub max_page_size: u64,
    /// The key cursors are signed with (HMAC-SHA256). Empty: a random key per App,
    /// so cursors do not survive a restart nor travel between instances; set the
    /// same long secret on every instance behind one load balancer.
    pub cursor_secret: String,
}

impl Default for PaginationSettings {
    fn default() -> Self {
        PaginationSettings {
            style: "page_number".into(),
            page_size: 20,
            max_page_size: 100,
            cursor_secret: String::new(),
        }
    }
}

impl PaginationSettings {
    /// `style`, parsed (checked when the settings load; the default otherwise).
    ///
    /// ```
    /// use apiview_core::meta::PageStyle;
    ///
    /// let settings = apiview_core::Settings::from_toml_str("[pagination]\nstyle = 'cursor'").unwrap();
    /// assert_eq!(settings.pagination.page_style(), PageStyle::Cursor);
    /// ```
    pub fn page_style(&self) -> PageStyle {
        PageStyle::parse(&self.style).unwrap_or_default()
    }
}
