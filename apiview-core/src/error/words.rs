//! The languages of error messages, and words given in each of them.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;

/// The language error messages are written in (`settings.language`).
///
/// ```
/// let settings = apiview_core::Settings::from_toml_str("language = 'zh-hans'").unwrap();
/// assert_eq!(settings.language, apiview_core::Language::ZhHans);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum Language {
    /// English (the default).
    #[default]
    #[serde(rename = "en")]
    En,
    /// Simplified Chinese.
    #[serde(rename = "zh-hans")]
    ZhHans,
}

/// Words for a placeholder in each language of the catalogue: a reason or a type's
/// description that the toolkit fills in, so that a message in Chinese does not carry
/// English words.
///
/// ```
/// use apiview_core::{BizError, Language, Words};
///
/// let err = BizError::new(7, "{why}").with_words("why", Words::new("too late", "太迟了"));
/// assert_eq!(err.message_in(Language::ZhHans), "太迟了");
/// assert_eq!(err.message(), "too late");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    en: Cow<'static, str>,
    zh_hans: Cow<'static, str>,
}

impl Words {
    /// The same words in English and in Simplified Chinese.
    ///
    /// ```
    /// let words = apiview_core::Words::new("a string", "字符串");
    /// assert_eq!(words.to_string(), "a string");
    /// ```
    pub fn new(en: impl Into<Cow<'static, str>>, zh_hans: impl Into<Cow<'static, str>>) -> Self {
        Words {
            en: en.into(),
            zh_hans: zh_hans.into(),
        }
    }

    /// Words fixed at compile time, for constants.
    ///
    /// ```
    /// const LATE: apiview_core::Words = apiview_core::Words::fixed("too late", "太迟了");
    /// assert_eq!(LATE.in_language(apiview_core::Language::ZhHans), "太迟了");
    /// ```
    pub const fn fixed(en: &'static str, zh_hans: &'static str) -> Self {
        Words {
            en: Cow::Borrowed(en),
            zh_hans: Cow::Borrowed(zh_hans),
        }
    }

    /// The words in `language`.
    ///
    /// ```
    /// use apiview_core::{Language, Words};
    ///
    /// assert_eq!(Words::new("a list", "列表").in_language(Language::En), "a list");
    /// ```
    pub fn in_language(&self, language: Language) -> &str {
        match language {
            Language::En => &self.en,
            Language::ZhHans => &self.zh_hans,
        }
    }
}

impl fmt::Display for Words {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}
