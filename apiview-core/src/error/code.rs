//! Error codes of your own: a number, a name, a message template in each language,
//! and the class that decides the HTTP status in `semantic` mode.

use std::fmt;

use super::{BizError, Language};

/// What kind of failure an error is; decides the HTTP status when
/// `settings.http_status = "semantic"`.
///
/// ```
/// use apiview_core::{BizError, ErrorClass};
///
/// assert_eq!(BizError::missing_parameter("a").class(), ErrorClass::Parameter);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// A bad or missing request parameter (400).
    Parameter,
    /// Authentication failed (403): a wrong API key, a permission refused.
    Auth,
    /// The caller did not say who they are, or said it with a bad token (401, with
    /// `WWW-Authenticate: Bearer`): `LoginRequired`, `BadUserToken`.
    Unauthenticated,
    /// The HTTP method is not allowed (405).
    Method,
    /// The request body is too large (413).
    TooLarge,
    /// The client is over a throttle rate (429).
    TooManyRequests,
    /// Something broke inside the server (500).
    System,
    /// No route matches the request's path (404).
    NotFound,
    /// An application's own business error (200 in both modes).
    Business,
}

/// One entry of the error catalogue: a code and its message template per language.
///
/// Templates name their values in braces (`"Missing parameter: {parameter}."`). Users
/// declare their own codes the same way as the built-in ones:
///
/// ```
/// use apiview_core::error::{ErrorCode, ErrorClass};
///
/// const OUT_OF_STOCK: ErrorCode = ErrorCode::new(2001000001, "OutOfStock", "Item {item} is out of stock.")
///     .zh_hans("商品{item}已售罄。");
///
/// let err = OUT_OF_STOCK.with("item", "apple");
/// assert_eq!(err.code(), 2001000001);
/// assert_eq!(err.message(), "Item apple is out of stock.");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    /// The numeric code clients see.
    pub code: i64,
    /// The error's name, as in the catalogue (`MissingParameter`).
    pub name: &'static str,
    /// English template.
    pub en: &'static str,
    /// Simplified Chinese template; English is used when absent.
    pub zh_hans: Option<&'static str>,
    /// What kind of failure this is.
    pub class: ErrorClass,
}

impl ErrorCode {
    /// A business error code with an English template.
    ///
    /// ```
    /// const MINE: apiview_core::ErrorCode = apiview_core::ErrorCode::new(2001, "Mine", "Mine.");
    /// assert_eq!(MINE.error().message(), "Mine.");
    /// ```
    pub const fn new(code: i64, name: &'static str, en: &'static str) -> Self {
        ErrorCode {
            code,
            name,
            en,
            zh_hans: None,
            class: ErrorClass::Business,
        }
    }

    /// Adds the Simplified Chinese template.
    ///
    /// ```
    /// use apiview_core::{ErrorCode, Language};
    ///
    /// const MINE: ErrorCode = ErrorCode::new(2001, "Mine", "Mine.").zh_hans("我的。");
    /// assert_eq!(MINE.error().message_in(Language::ZhHans), "我的。");
    /// ```
    pub const fn zh_hans(mut self, template: &'static str) -> Self {
        self.zh_hans = Some(template);
        self
    }

    /// Sets the class (and so the HTTP status in `semantic` mode).
    ///
    /// ```
    /// use apiview_core::{ErrorClass, ErrorCode};
    ///
    /// const QUOTA: ErrorCode = ErrorCode::new(2002, "Quota", "Quota exceeded.").class(ErrorClass::Auth);
    /// assert_eq!(QUOTA.error().class(), ErrorClass::Auth);
    /// ```
    pub const fn class(mut self, class: ErrorClass) -> Self {
        self.class = class;
        self
    }

    /// The template for `language`.
    ///
    /// ```
    /// use apiview_core::{error::codes, Language};
    ///
    /// assert_eq!(codes::MISSING_PARAMETER.template(Language::En), "Missing parameter: {parameter}.");
    /// ```
    pub fn template(&self, language: Language) -> &'static str {
        match language {
            Language::ZhHans => self.zh_hans.unwrap_or(self.en),
            Language::En => self.en,
        }
    }

    /// An error of this code with no template values.
    ///
    /// ```
    /// assert_eq!(apiview_core::error::codes::APP_AUTH_FAILED.error().code(), 1001040004);
    /// ```
    pub fn error(&'static self) -> BizError {
        BizError::of_code(self)
    }

    /// An error of this code with one template value.
    ///
    /// ```
    /// let err = apiview_core::error::codes::MISSING_PARAMETER.with("parameter", "msg");
    /// assert_eq!(err.message(), "Missing parameter: msg.");
    /// ```
    pub fn with(&'static self, name: &'static str, value: impl fmt::Display) -> BizError {
        self.error().with(name, value)
    }
}
