//! `BizError`'s named constructors, one per catalogue entry and way to fill it
//! (`BizError::missing_parameter("msg")`): call sites never format messages.

use std::fmt;

use super::{codes, BizError, Words};

impl BizError {
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
    /// `DatabaseError`: the application's database failed. Log the cause, answer
    /// this.
    ///
    /// ```
    /// use apiview_core::BizError;
    ///
    /// let err = BizError::database_error();
    /// assert_eq!((err.code(), err.message().as_str()), (1001000002, "System Error"));
    /// ```
    pub fn database_error() -> Self {
        codes::DATABASE_ERROR.error()
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
    /// `TooManyRequests`: over a throttle rate; the client may retry after
    /// `retry_after` seconds (also sent as the `Retry-After` header).
    ///
    /// ```
    /// use apiview_core::BizError;
    ///
    /// let err = BizError::too_many_requests(30);
    /// assert_eq!((err.code(), err.message().as_str()), (1001010007, "Too many requests. Retry after 30 seconds."));
    /// assert_eq!(err.value("retry_after"), Some("30"));
    /// ```
    pub fn too_many_requests(retry_after: u64) -> Self {
        codes::TOO_MANY_REQUESTS.with("retry_after", retry_after)
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
    /// `LoginRequired`: the endpoint needs to know its caller, and the request says
    /// nothing of it.
    ///
    /// ```
    /// use apiview_core::{BizError, ErrorClass};
    ///
    /// let err = BizError::login_required();
    /// assert_eq!((err.code(), err.message().as_str()), (1001040009, "Login required."));
    /// assert_eq!(err.class(), ErrorClass::Unauthenticated);
    /// ```
    pub fn login_required() -> Self {
        codes::LOGIN_REQUIRED.error()
    }
    /// `BadUserToken`: the request's credentials are malformed, forged, expired or
    /// not for this server.
    ///
    /// ```
    /// use apiview_core::{BizError, Language};
    ///
    /// let err = apiview_core::BizError::bad_user_token();
    /// assert_eq!((err.code(), err.message_in(Language::ZhHans).as_str()), (1001040012, "用户令牌无效！"));
    /// ```
    pub fn bad_user_token() -> Self {
        codes::BAD_USER_TOKEN.error()
    }
    /// `NoPermissionError`: a `#[permission(..)]` refused the caller.
    ///
    /// ```
    /// use apiview_core::{BizError, ErrorClass};
    ///
    /// let err = BizError::no_permission();
    /// assert_eq!((err.code(), err.message().as_str()), (1001100001, "No permission error."));
    /// assert_eq!(err.class(), ErrorClass::Auth);
    /// ```
    pub fn no_permission() -> Self {
        codes::NO_PERMISSION_ERROR.error()
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
