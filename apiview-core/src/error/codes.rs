//! The catalogue of errors the toolkit raises.

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
/// The database failed: unreachable, a timeout, a broken connection. Raised by the
/// application's own storage code (the toolkit has no database of its own), so that
/// every app on apiview answers it with the code clients already know. Like
/// `SysError`, its message names no internals: log them.
///
/// ```
/// use apiview_core::error::codes::DATABASE_ERROR;
///
/// let err = DATABASE_ERROR.error();
/// assert_eq!((err.code(), err.name()), (1001000002, Some("DatabaseError")));
/// assert_eq!(err.message_in(apiview_core::Language::ZhHans), "数据库异常！");
/// ```
pub const DATABASE_ERROR: ErrorCode = ErrorCode::new(1001000002, "DatabaseError", "System Error")
    .zh_hans("数据库异常！")
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
/// Over an endpoint's `#[throttle]` rate (or `throttle.default_rate`): apiview's own
/// code, since the bizerror catalogue has none (DESIGN §13). Answered with a
/// `Retry-After` header, and HTTP 429 in semantic mode.
///
/// ```
/// use apiview_core::error::codes::TOO_MANY_REQUESTS;
///
/// assert_eq!(TOO_MANY_REQUESTS.code, 1001010007);
/// let err = TOO_MANY_REQUESTS.with("retry_after", 12);
/// assert_eq!(err.message(), "Too many requests. Retry after 12 seconds.");
/// assert_eq!(err.message_in(apiview_core::Language::ZhHans), "请求过于频繁，请12秒后重试。");
/// ```
pub const TOO_MANY_REQUESTS: ErrorCode = ErrorCode::new(
    1001010007,
    "TooManyRequests",
    "Too many requests. Retry after {retry_after} seconds.",
)
.zh_hans("请求过于频繁，请{retry_after}秒后重试。")
.class(ErrorClass::TooManyRequests);
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
/// An endpoint that needs to know its caller (`#[login_required]`, a permission, an
/// `Identity` parameter) got a request without credentials (DESIGN §14).
///
/// ```
/// assert_eq!(apiview_core::error::codes::LOGIN_REQUIRED.code, 1001040009);
/// ```
pub const LOGIN_REQUIRED: ErrorCode = ErrorCode::new(1001040009, "LoginRequired", "Login required.")
    .zh_hans("请先登录！")
    .class(ErrorClass::Unauthenticated);
/// A bearer token that is malformed, forged, expired, not yet valid, or for another
/// issuer or audience (DESIGN §14).
///
/// ```
/// assert_eq!(apiview_core::error::codes::BAD_USER_TOKEN.code, 1001040012);
/// ```
pub const BAD_USER_TOKEN: ErrorCode = ErrorCode::new(1001040012, "BadUserToken", "Bad user token.")
    .zh_hans("用户令牌无效！")
    .class(ErrorClass::Unauthenticated);
/// A `#[permission(..)]` refused the caller (DESIGN §14).
///
/// ```
/// assert_eq!(apiview_core::error::codes::NO_PERMISSION_ERROR.code, 1001100001);
/// ```
pub const NO_PERMISSION_ERROR: ErrorCode =
    ErrorCode::new(1001100001, "NoPermissionError", "No permission error.")
        .zh_hans("无权限错误！")
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
/// assert_eq!(apiview_core::error::codes::ALL.len(), 18);
/// ```
pub const ALL: &[ErrorCode] = &[
    SYS_ERROR,
    DATABASE_ERROR,
    CACHE_ERROR,
    REQUEST_EXPIRED,
    NOT_SUPPORTED_HTTP_METHOD,
    TOO_MANY_REQUESTS,
    APP_AUTH_FAILED,
    REQID_DUPLICATE_ERROR,
    LOGIN_REQUIRED,
    BAD_USER_TOKEN,
    NO_PERMISSION_ERROR,
    PARSE_JSON_ERROR,
    TOO_LARGE_REQUEST_ERROR,
    MISSING_PARAMETER,
    BAD_PARAMETER,
    BAD_PARAMETER_TYPE,
    STRING_TOO_SHORT,
    STRING_TOO_LONG,
];
