//! `BizError` and the error catalogue.
//!
//! Codes and English texts follow the `bizerror` package that django-apiview uses, so
//! clients written against django-apiview keep working.

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
    /// Authentication failed (403).
    Auth,
    /// The HTTP method is not allowed (405).
    Method,
    /// The request body is too large (413).
    TooLarge,
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
        BizError {
            code: self.code,
            template: Template::Catalogue(self),
            values: Vec::new(),
            class: self.class,
        }
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

/// The catalogue of errors the toolkit raises.
pub mod codes {
    use super::{ErrorClass, ErrorCode};

    /// An unexpected failure inside the server, a panic included.
    ///
    /// ```
    /// assert_eq!(apiview_core::error::codes::SYS_ERROR.code, 1001000000);
    /// ```
    pub const SYS_ERROR: ErrorCode = ErrorCode::new(1001000000, "SysError", "System Error")
        .zh_hans("系统异常！")
        .class(ErrorClass::System);
    /// A cache backend failed (and `ignore_errors` is off).
    ///
    /// ```
    /// assert_eq!(apiview_core::error::codes::CACHE_ERROR.code, 1001000003);
    /// ```
    pub const CACHE_ERROR: ErrorCode = ErrorCode::new(1001000003, "CacheError", "System Error")
        .zh_hans("缓存异常！")
        .class(ErrorClass::System);
    /// The HTTP method is not in the endpoint's allow-list.
    ///
    /// ```
    /// assert_eq!(apiview_core::error::codes::NOT_SUPPORTED_HTTP_METHOD.code, 1001010002);
    /// ```
    pub const NOT_SUPPORTED_HTTP_METHOD: ErrorCode =
        ErrorCode::new(1001010002, "NotSupportedHttpMethod", "Not supported http method.")
            .zh_hans("不支持的请求方法！")
            .class(ErrorClass::Method);
    /// No route matches the request's path.
    ///
    /// ```
    /// assert_eq!(apiview_core::error::codes::NO_MATCHING_ROUTE_FOUND.code, 1001010004);
    /// ```
    pub const NO_MATCHING_ROUTE_FOUND: ErrorCode =
        ErrorCode::new(1001010004, "NoMatchingRouteFound", "No matching route found.")
            .zh_hans("未找到匹配的路由！")
            .class(ErrorClass::NotFound);
    /// A request to a safe endpoint whose `ts` lies outside `safe.replay_window_s`
    /// of the server's clock (DESIGN §19).
    ///
    /// ```
    /// assert_eq!(apiview_core::error::codes::REQUEST_EXPIRED.code, 1001010001);
    /// ```
    pub const REQUEST_EXPIRED: ErrorCode = ErrorCode::new(1001010001, "RequestExpired", "Request expired.")
        .zh_hans("请求已过期！")
        .class(ErrorClass::Parameter);
    /// A request to a safe endpoint whose `nonce` was seen before: a replay
    /// (DESIGN §19).
    ///
    /// ```
    /// assert_eq!(apiview_core::error::codes::REQID_DUPLICATE_ERROR.code, 1001040013);
    /// ```
    pub const REQID_DUPLICATE_ERROR: ErrorCode =
        ErrorCode::new(1001040013, "ReqidDuplicateError", "Reqid duplicate error.")
            .zh_hans("请求流水号重复!")
            .class(ErrorClass::Auth);
    /// The API key is wrong.
    ///
    /// ```
    /// assert_eq!(apiview_core::error::codes::APP_AUTH_FAILED.code, 1001040004);
    /// ```
    pub const APP_AUTH_FAILED: ErrorCode = ErrorCode::new(1001040004, "AppAuthFailed", "App auth failed.")
        .zh_hans("应用认证失败！")
        .class(ErrorClass::Auth);
    /// A body declared as JSON does not parse.
    ///
    /// ```
    /// assert_eq!(apiview_core::error::codes::PARSE_JSON_ERROR.code, 1001050006);
    /// ```
    pub const PARSE_JSON_ERROR: ErrorCode =
        ErrorCode::new(1001050006, "ParseJsonError", "Parse json error. Raw text {text}.")
            .class(ErrorClass::Parameter);
    /// The body is larger than `body_limit`.
    ///
    /// ```
    /// assert_eq!(apiview_core::error::codes::TOO_LARGE_REQUEST_ERROR.code, 1001050009);
    /// ```
    pub const TOO_LARGE_REQUEST_ERROR: ErrorCode = ErrorCode::new(
        1001050009,
        "TooLargeRequestError",
        "Too large request error: {size} > {maxsize}.",
    )
    .class(ErrorClass::TooLarge);
    /// A required parameter is absent.
    ///
    /// ```
    /// assert_eq!(apiview_core::error::codes::MISSING_PARAMETER.code, 1001060001);
    /// ```
    pub const MISSING_PARAMETER: ErrorCode =
        ErrorCode::new(1001060001, "MissingParameter", "Missing parameter: {parameter}.")
            .zh_hans("必要参数缺失：{parameter}。")
            .class(ErrorClass::Parameter);
    /// A parameter's value is not acceptable.
    ///
    /// ```
    /// assert_eq!(apiview_core::error::codes::BAD_PARAMETER.code, 1001060002);
    /// ```
    pub const BAD_PARAMETER: ErrorCode =
        ErrorCode::new(1001060002, "BadParameter", "Bad parameter: {parameter}.")
            .zh_hans("参数值有误：{parameter}。")
            .class(ErrorClass::Parameter);
    /// A parameter's value cannot become the declared type.
    ///
    /// ```
    /// assert_eq!(apiview_core::error::codes::BAD_PARAMETER_TYPE.code, 1001060003);
    /// ```
    pub const BAD_PARAMETER_TYPE: ErrorCode =
        ErrorCode::new(1001060003, "BadParameterType", "Bad parameter type: {parameter}.")
            .zh_hans("参数类型有误：{parameter}。")
            .class(ErrorClass::Parameter);
    /// A string is shorter than its `min_length`.
    ///
    /// ```
    /// assert_eq!(apiview_core::error::codes::STRING_TOO_SHORT.code, 1001060004);
    /// ```
    pub const STRING_TOO_SHORT: ErrorCode =
        ErrorCode::new(1001060004, "StringTooShort", "String shorter than {min_length}.")
            .zh_hans("参数字符数不足，最低要求为：{min_length}。")
            .class(ErrorClass::Parameter);
    /// A string is longer than its `max_length`.
    ///
    /// ```
    /// assert_eq!(apiview_core::error::codes::STRING_TOO_LONG.code, 1001060005);
    /// ```
    pub const STRING_TOO_LONG: ErrorCode =
        ErrorCode::new(1001060005, "StringTooLong", "String longer than {max_length}.")
            .zh_hans("参数字符数过多，最高限定为：{max_length}。")
            .class(ErrorClass::Parameter);

    // BadParameter with details, as django-apiview's choices and between word it.
    pub(crate) const BAD_PARAMETER_CHOICES: ErrorCode = ErrorCode::new(
        1001060002,
        "BadParameter",
        "Bad parameter: {parameter}. Value {value} is not one of {choices}.",
    )
    .zh_hans("参数值有误：{parameter}。取值{value}不在{choices}之中。")
    .class(ErrorClass::Parameter);
    pub(crate) const BAD_PARAMETER_BECAUSE: ErrorCode = ErrorCode::new(
        1001060002,
        "BadParameter",
        "Bad parameter: {parameter}. {reason}.",
    )
    .zh_hans("参数值有误：{parameter}。{reason}。")
    .class(ErrorClass::Parameter);
    pub(crate) const BAD_PARAMETER_TYPE_EXPECTED: ErrorCode = ErrorCode::new(
        1001060003,
        "BadParameterType",
        "Bad parameter type: {parameter}. Expected {expected}.",
    )
    .zh_hans("参数类型有误：{parameter}。应为{expected}。")
    .class(ErrorClass::Parameter);
    pub(crate) const BAD_PARAMETER_RANGE: ErrorCode = ErrorCode::new(
        1001060002,
        "BadParameter",
        "Bad parameter: {parameter}. Value {value} is out of range {range}.",
    )
    .zh_hans("参数值有误：{parameter}。取值{value}超出范围{range}。")
    .class(ErrorClass::Parameter);

    /// Every catalogue entry, for documentation and tests.
    ///
    /// ```
    /// assert_eq!(apiview_core::error::codes::ALL.len(), 13);
    /// ```
    pub const ALL: &[ErrorCode] = &[
        SYS_ERROR,
        CACHE_ERROR,
        REQUEST_EXPIRED,
        NOT_SUPPORTED_HTTP_METHOD,
        APP_AUTH_FAILED,
        REQID_DUPLICATE_ERROR,
        PARSE_JSON_ERROR,
        TOO_LARGE_REQUEST_ERROR,
        MISSING_PARAMETER,
        BAD_PARAMETER,
        BAD_PARAMETER_TYPE,
        STRING_TOO_SHORT,
        STRING_TOO_LONG,
    ];
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

/// The reasons the toolkit gives in `BadParameter` messages.
pub(crate) mod reasons {
    use super::Words;

    pub(crate) const BODY_UNREADABLE: Words =
        Words::fixed("the request body could not be read", "请求体读取失败");
    pub(crate) const BODY_TIMEOUT: Words = Words::fixed(
        "the request body did not arrive within limits.body_timeout_ms",
        "请求体未在 limits.body_timeout_ms 规定的时间内送达",
    );
    pub(crate) const FORM_NOT_UTF8: Words = Words::fixed(
        "the form body is not valid UTF-8",
        "表单请求体不是有效的 UTF-8 文本",
    );
    pub(crate) const MULTIPART_MALFORMED: Words = Words::fixed(
        "the multipart/form-data body is malformed",
        "multipart/form-data 请求体格式有误",
    );
    pub(crate) const TOO_MANY_FORM_FIELDS: Words = Words::fixed(
        "the form has more fields than limits.max_form_fields",
        "表单字段数超过 limits.max_form_fields",
    );
    pub(crate) const JSON_TOO_DEEP: Words = Words::fixed(
        "the JSON body nests deeper than limits.max_json_depth",
        "JSON 请求体嵌套层数超过 limits.max_json_depth",
    );
    pub(crate) const JSON_TOO_MANY_VALUES: Words = Words::fixed(
        "the JSON body holds more values than limits.max_json_values",
        "JSON 请求体包含的值数量超过 limits.max_json_values",
    );
    pub(crate) const UNDECRYPTABLE: Words = Words::fixed("cannot be decrypted", "无法解密");
    pub(crate) const REQUIRED: Words = Words::fixed("a value is required", "必须提供取值");
    pub(crate) const BAD_SIGNATURE: Words = Words::fixed(
        "not a base64 RSA-PSS-SHA256 signature of encryptedPassword.encryptedData by the client's private key",
        "不是客户端私钥对 encryptedPassword.encryptedData 所作的 base64 RSA-PSS-SHA256 签名",
    );
    pub(crate) const CLIENT_MISMATCH: Words = Words::fixed(
        "differs from the client id inside encryptedData",
        "与 encryptedData 内的客户端标识不一致",
    );
    pub(crate) const BAD_NONCE: Words = Words::fixed(
        "must be a string of 16 to 128 random characters, new for every request",
        "必须是 16 到 128 个随机字符组成的字符串，每个请求各不相同",
    );
    pub(crate) const UNIX_SECONDS: Words = Words::fixed("Unix seconds (an integer)", "Unix 秒数（整数）");
}

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

    /// `SysError`: something failed inside the server. The message never carries
    /// internals; log them instead.
    ///
    /// ```
    /// use apiview_core::BizError;
    ///
    /// let err = BizError::sys_error();
    /// assert_eq!((err.code(), err.message().as_str()), (1001000000, "System Error"));
    /// ```
    pub fn sys_error() -> Self {
        codes::SYS_ERROR.error()
    }
    /// `CacheError`: a cache backend failed.
    ///
    /// ```
    /// use apiview_core::BizError;
    ///
    /// let err = BizError::cache_error();
    /// assert_eq!((err.code(), err.message().as_str()), (1001000003, "System Error"));
    /// ```
    pub fn cache_error() -> Self {
        codes::CACHE_ERROR.error()
    }
    /// `NotSupportedHttpMethod`.
    ///
    /// ```
    /// use apiview_core::BizError;
    ///
    /// let err = BizError::not_supported_http_method();
    /// assert_eq!((err.code(), err.message().as_str()), (1001010002, "Not supported http method."));
    /// ```
    pub fn not_supported_http_method() -> Self {
        codes::NOT_SUPPORTED_HTTP_METHOD.error()
    }
    /// `NoMatchingRouteFound`.
    ///
    /// ```
    /// use apiview_core::BizError;
    ///
    /// let err = BizError::no_matching_route_found();
    /// assert_eq!((err.code(), err.message().as_str()), (1001010004, "No matching route found."));
    /// ```
    pub fn no_matching_route_found() -> Self {
        codes::NO_MATCHING_ROUTE_FOUND.error()
    }
    /// `RequestExpired`: a request to a safe endpoint outside the replay window.
    ///
    /// ```
    /// use apiview_core::BizError;
    ///
    /// let err = BizError::request_expired();
    /// assert_eq!((err.code(), err.message().as_str()), (1001010001, "Request expired."));
    /// ```
    pub fn request_expired() -> Self {
        codes::REQUEST_EXPIRED.error()
    }
    /// `ReqidDuplicateError`: a request to a safe endpoint whose nonce was seen
    /// before.
    ///
    /// ```
    /// use apiview_core::{BizError, Language};
    ///
    /// let err = BizError::reqid_duplicate_error();
    /// assert_eq!((err.code(), err.message().as_str()), (1001040013, "Reqid duplicate error."));
    /// assert_eq!(err.message_in(Language::ZhHans), "请求流水号重复!");
    /// ```
    pub fn reqid_duplicate_error() -> Self {
        codes::REQID_DUPLICATE_ERROR.error()
    }
    /// `AppAuthFailed`.
    ///
    /// ```
    /// use apiview_core::BizError;
    ///
    /// let err = BizError::app_auth_failed();
    /// assert_eq!((err.code(), err.message().as_str()), (1001040004, "App auth failed."));
    /// ```
    pub fn app_auth_failed() -> Self {
        codes::APP_AUTH_FAILED.error()
    }
    /// `ParseJsonError`, quoting the start of the text that failed to parse: at most
    /// 64 bytes, so that an answer never carries much of what a client sent.
    ///
    /// ```
    /// use apiview_core::BizError;
    ///
    /// let err = BizError::parse_json_error(b"{oops");
    /// assert_eq!((err.code(), err.message().as_str()), (1001050006, "Parse json error. Raw text {oops."));
    /// let long = BizError::parse_json_error(&[b'x'; 1000]);
    /// assert_eq!(long.message(), format!("Parse json error. Raw text {}….", "x".repeat(64)));
    /// ```
    pub fn parse_json_error(text: &[u8]) -> Self {
        const QUOTED: usize = 64;
        let mut cut = text.len().min(QUOTED);
        // Not in the middle of a character.
        while cut > 0 && cut < text.len() && (text[cut] & 0b1100_0000) == 0b1000_0000 {
            cut -= 1;
        }
        let shown = &text[..cut];
        let mut quoted = String::from_utf8_lossy(shown).into_owned();
        if text.len() > QUOTED {
            quoted.push('…');
        }
        codes::PARSE_JSON_ERROR.with("text", quoted)
    }
    /// `TooLargeRequestError`.
    ///
    /// ```
    /// use apiview_core::BizError;
    ///
    /// let err = BizError::too_large_request(10, 5);
    /// assert_eq!((err.code(), err.message().as_str()), (1001050009, "Too large request error: 10 > 5."));
    /// ```
    pub fn too_large_request(size: u64, maxsize: u64) -> Self {
        codes::TOO_LARGE_REQUEST_ERROR
            .with("size", size)
            .with("maxsize", maxsize)
    }
    /// `MissingParameter` naming the parameter.
    ///
    /// ```
    /// use apiview_core::BizError;
    ///
    /// let err = BizError::missing_parameter("msg");
    /// assert_eq!((err.code(), err.message().as_str()), (1001060001, "Missing parameter: msg."));
    /// ```
    pub fn missing_parameter(parameter: &str) -> Self {
        codes::MISSING_PARAMETER.with("parameter", parameter)
    }
    /// `BadParameter` naming the parameter.
    ///
    /// ```
    /// use apiview_core::BizError;
    ///
    /// let err = BizError::bad_parameter("op");
    /// assert_eq!((err.code(), err.message().as_str()), (1001060002, "Bad parameter: op."));
    /// ```
    pub fn bad_parameter(parameter: &str) -> Self {
        codes::BAD_PARAMETER.with("parameter", parameter)
    }
    /// `BadParameter` with the reason in words (`"the form body is not valid UTF-8"`).
    ///
    /// ```
    /// use apiview_core::BizError;
    ///
    /// let err = BizError::bad_parameter_because("b", "a + b overflows");
    /// assert_eq!((err.code(), err.message().as_str()), (1001060002, "Bad parameter: b. a + b overflows."));
    /// ```
    pub fn bad_parameter_because(parameter: &str, reason: impl fmt::Display) -> Self {
        codes::BAD_PARAMETER_BECAUSE
            .with("parameter", parameter)
            .with("reason", reason)
    }
    /// `BadParameter` with the reason in each language.
    ///
    /// ```
    /// use apiview_core::{BizError, Language, Words};
    ///
    /// let err = BizError::bad_parameter_for("b", Words::new("a + b overflows", "a + b 溢出"));
    /// assert_eq!(err.message_in(Language::ZhHans), "参数值有误：b。a + b 溢出。");
    /// ```
    pub fn bad_parameter_for(parameter: &str, reason: Words) -> Self {
        codes::BAD_PARAMETER_BECAUSE
            .with("parameter", parameter)
            .with_words("reason", reason)
    }
    /// `BadParameter` for a value outside a `choices` list.
    ///
    /// ```
    /// use apiview_core::BizError;
    ///
    /// let err = BizError::bad_choice("op", "\"mul\"", "[\"add\"]");
    /// assert_eq!((err.code(), err.message().as_str()), (1001060002, "Bad parameter: op. Value \"mul\" is not one of [\"add\"]."));
    /// ```
    pub fn bad_choice(parameter: &str, value: impl fmt::Display, choices: impl fmt::Display) -> Self {
        codes::BAD_PARAMETER_CHOICES
            .with("parameter", parameter)
            .with("value", value)
            .with("choices", choices)
    }
    /// `BadParameter` for a value outside a `between` range.
    ///
    /// ```
    /// use apiview_core::BizError;
    ///
    /// let err = BizError::out_of_range("a", 101, "[0, 100]");
    /// assert_eq!((err.code(), err.message().as_str()), (1001060002, "Bad parameter: a. Value 101 is out of range [0, 100]."));
    /// ```
    pub fn out_of_range(parameter: &str, value: impl fmt::Display, range: impl fmt::Display) -> Self {
        codes::BAD_PARAMETER_RANGE
            .with("parameter", parameter)
            .with("value", value)
            .with("range", range)
    }
    /// `BadParameterType` naming the parameter.
    ///
    /// ```
    /// use apiview_core::BizError;
    ///
    /// let err = BizError::bad_parameter_type("a");
    /// assert_eq!((err.code(), err.message().as_str()), (1001060003, "Bad parameter type: a."));
    /// ```
    pub fn bad_parameter_type(parameter: &str) -> Self {
        codes::BAD_PARAMETER_TYPE.with("parameter", parameter)
    }
    /// `BadParameterType` naming the parameter and the type it should have had.
    ///
    /// ```
    /// use apiview_core::BizError;
    ///
    /// let err = BizError::bad_parameter_type_expected("a", "an integer (i64)");
    /// assert_eq!((err.code(), err.message().as_str()), (1001060003, "Bad parameter type: a. Expected an integer (i64)."));
    /// ```
    pub fn bad_parameter_type_expected(parameter: &str, expected: impl fmt::Display) -> Self {
        codes::BAD_PARAMETER_TYPE_EXPECTED
            .with("parameter", parameter)
            .with("expected", expected)
    }
    /// `BadParameterType` with the expected type described in each language.
    ///
    /// ```
    /// use apiview_core::{BizError, Language, Words};
    ///
    /// let err = BizError::bad_parameter_type_for("a", Words::new("an integer (i64)", "整数（i64）"));
    /// assert_eq!(err.message_in(Language::ZhHans), "参数类型有误：a。应为整数（i64）。");
    /// ```
    pub fn bad_parameter_type_for(parameter: &str, expected: Words) -> Self {
        codes::BAD_PARAMETER_TYPE_EXPECTED
            .with("parameter", parameter)
            .with_words("expected", expected)
    }
    /// `StringTooShort`.
    ///
    /// ```
    /// use apiview_core::BizError;
    ///
    /// let err = BizError::string_too_short(2);
    /// assert_eq!((err.code(), err.message().as_str()), (1001060004, "String shorter than 2."));
    /// ```
    pub fn string_too_short(min_length: usize) -> Self {
        codes::STRING_TOO_SHORT.with("min_length", min_length)
    }
    /// `StringTooLong`.
    ///
    /// ```
    /// use apiview_core::BizError;
    ///
    /// let err = BizError::string_too_long(4096);
    /// assert_eq!((err.code(), err.message().as_str()), (1001060005, "String longer than 4096."));
    /// ```
    pub fn string_too_long(max_length: usize) -> Self {
        codes::STRING_TOO_LONG.with("max_length", max_length)
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
