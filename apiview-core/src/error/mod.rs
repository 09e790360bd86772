//! `BizError` and the error catalogue.
//!
//! Codes and English texts follow the `bizerror` package that django-apiview uses, so
//! clients written against django-apiview keep working.

mod code;
pub mod codes;
mod named;
pub(crate) mod reasons;
mod words;

use std::borrow::Cow;
use std::fmt;

pub use self::code::{ErrorClass, ErrorCode};
pub use self::words::{Language, Words};

/// A placeholder's value: text as given, or words in each language.
#[derive(Debug, Clone)]
enum Filled {
    Text(String),
    Words(Words),
}

impl Filled {
    fn in_language(&self, language: Language) -> &str {
        match self {
            Filled::Text(text) => text,
            Filled::Words(words) => words.in_language(language),
        }
    }
}

#[derive(Debug, Clone)]
enum Template {
    Catalogue(&'static ErrorCode),
    Text(Cow<'static, str>),
}

/// A business error: a numeric code and a message, packed into the envelope by the
/// endpoint's packer.
///
/// Build it from the catalogue (`BizError::missing_parameter("msg")`), from a code of
/// your own ([`ErrorCode`]), or directly with [`BizError::new`]:
///
/// ```
/// use apiview_core::BizError;
///
/// let err = BizError::new(1234, "Not enough balance.");
/// assert_eq!((err.code(), err.message()), (1234, "Not enough balance.".to_string()));
///
/// let err = BizError::missing_parameter("msg");
/// assert_eq!(err.code(), 1001060001);
/// assert_eq!(err.message(), "Missing parameter: msg.");
/// ```
#[derive(Debug, Clone)]
pub struct BizError {
    code: i64,
    template: Template,
    values: Vec<(&'static str, Filled)>,
    class: ErrorClass,
}

impl BizError {
    fn of_code(entry: &'static ErrorCode) -> Self {
        BizError {
            code: entry.code,
            template: Template::Catalogue(entry),
            values: Vec::new(),
            class: entry.class,
        }
    }

    /// A business error with a fixed message (any language).
    pub fn new(code: i64, message: impl Into<Cow<'static, str>>) -> Self {
        BizError {
            code,
            template: Template::Text(message.into()),
            values: Vec::new(),
            class: ErrorClass::Business,
        }
    }

    /// Sets the class, which decides the HTTP status in `semantic` mode.
    ///
    /// ```
    /// use apiview_core::{BizError, ErrorClass};
    ///
    /// let err = BizError::new(2001, "Quota exceeded.").with_class(ErrorClass::Auth);
    /// assert_eq!(err.class(), ErrorClass::Auth);
    /// ```
    pub fn with_class(mut self, class: ErrorClass) -> Self {
        self.class = class;
        self
    }

    /// Adds a value for the template's `{name}` placeholder.
    ///
    /// ```
    /// let err = apiview_core::BizError::new(7, "Hello {who}.").with("who", "ann");
    /// assert_eq!(err.message(), "Hello ann.");
    /// ```
    pub fn with(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        self.values.push((name, Filled::Text(value.to_string())));
        self
    }

    /// Adds a value for the `{name}` placeholder written in each language, used in the
    /// message's language.
    ///
    /// ```
    /// use apiview_core::{BizError, Language, Words};
    ///
    /// let err = BizError::new(7, "{when}").with_words("when", Words::new("today", "今天"));
    /// assert_eq!(err.message_in(Language::ZhHans), "今天");
    /// assert_eq!(err.value("when"), Some("today"));
    /// ```
    pub fn with_words(mut self, name: &'static str, words: Words) -> Self {
        self.values.push((name, Filled::Words(words)));
        self
    }

    /// The numeric code.
    ///
    /// ```
    /// assert_eq!(apiview_core::BizError::new(7, "x").code(), 7);
    /// ```
    pub fn code(&self) -> i64 {
        self.code
    }

    /// The catalogue name (`"MissingParameter"`), or `None` for an ad-hoc error.
    ///
    /// ```
    /// use apiview_core::BizError;
    ///
    /// assert_eq!(BizError::missing_parameter("a").name(), Some("MissingParameter"));
    /// assert_eq!(BizError::new(7, "x").name(), None);
    /// ```
    pub fn name(&self) -> Option<&'static str> {
        match self.template {
            Template::Catalogue(entry) => Some(entry.name),
            Template::Text(_) => None,
        }
    }

    /// What kind of failure this is.
    ///
    /// ```
    /// use apiview_core::{BizError, ErrorClass};
    ///
    /// assert_eq!(BizError::app_auth_failed().class(), ErrorClass::Auth);
    /// ```
    pub fn class(&self) -> ErrorClass {
        self.class
    }

    /// The value given for a template placeholder (in English when it was given in
    /// each language).
    ///
    /// ```
    /// assert_eq!(apiview_core::BizError::missing_parameter("msg").value("parameter"), Some("msg"));
    /// ```
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.in_language(Language::En))
    }

    /// The message in English.
    ///
    /// ```
    /// assert_eq!(apiview_core::BizError::app_auth_failed().message(), "App auth failed.");
    /// ```
    pub fn message(&self) -> String {
        self.message_in(Language::En)
    }

    /// The message in `language`, its placeholders filled.
    ///
    /// ```
    /// use apiview_core::{BizError, Language};
    ///
    /// assert_eq!(BizError::app_auth_failed().message_in(Language::ZhHans), "应用认证失败！");
    /// ```
    pub fn message_in(&self, language: Language) -> String {
        let template: &str = match &self.template {
            Template::Catalogue(entry) => entry.template(language),
            Template::Text(text) => text,
        };
        fill_template(template, &self.values, language)
    }
}

fn fill_template(template: &str, values: &[(&'static str, Filled)], language: Language) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match values.iter().find(|(key, _)| *key == name) {
                    Some((_, value)) => out.push_str(value.in_language(language)),
                    None => out.push_str(&rest[open..open + close + 2]),
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

impl fmt::Display for BizError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code, self.message())
    }
}

impl std::error::Error for BizError {}

/// `Result<T, BizError>`, the usual return type of an endpoint that can fail.
///
/// ```
/// fn half(n: i64) -> apiview_core::Result<i64> {
///     if n % 2 == 0 { Ok(n / 2) } else { Err(apiview_core::BizError::bad_parameter("n")) }
/// }
/// assert_eq!(half(4).unwrap(), 2);
/// ```
pub type Result<T, E = BizError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_named_values_in_each_language() {
        let err = BizError::missing_parameter("msg");
        assert_eq!(err.message_in(Language::En), "Missing parameter: msg.");
        assert_eq!(err.message_in(Language::ZhHans), "必要参数缺失：msg。");
        let err = BizError::parse_json_error(b"{oops");
        assert_eq!(
            err.message_in(Language::ZhHans),
            "Parse json error. Raw text {oops."
        );
    }

    #[test]
    fn unknown_placeholders_and_unclosed_braces_are_kept() {
        assert_eq!(fill_template("a {x} b {", &[], Language::En), "a {x} b {");
        let values = [
            ("x", Filled::Text("1".into())),
            ("y", Filled::Words(Words::fixed("two", "二"))),
        ];
        assert_eq!(fill_template("{x}{y}", &values, Language::En), "1two");
        assert_eq!(fill_template("{x}{y}", &values, Language::ZhHans), "1二");
    }
}
