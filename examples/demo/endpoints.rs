//! The demo's endpoints. Their paths, parameters and answers are a public contract:
//! other people test against them.

use apiview::prelude::*;
use serde_json::{json, Value};

/// Always returns "pong".
///
/// --------
/// @methods: get
/// @response: 200 OK "正确的响应" {{{
///     "pong"
/// }}}
#[apiview]
#[allow_get]
pub async fn ping() -> &'static str {
    "pong"
}

/// Echo the message back.
///
/// Its length must be within [2, 4096] characters.
///
/// --------
/// @methods: post
/// @parameter: body {{{
///     in: body
///     required: true
///     example:
///       msg: "测试的字符串"
/// }}}
/// @response: 200 OK "正确的响应" {{{
///     "测试的字符串"
/// }}}
#[apiview]
#[allow_post]
#[string_length_limit(msg, max_length = 4096, min_length = 2)]
pub async fn echo(msg: String) -> String {
    msg
}

/// Add two integers.
///
/// `a` must be within [0, 100]; `b` is any 64-bit integer.
///
/// --------
/// @parameter: a {{{
///     in: query
///     required: true
///     type: integer
///     example: 1
/// }}}
/// @parameter: b {{{
///     in: query
///     required: true
///     type: integer
///     example: 2
/// }}}
/// @response: 200 OK "the sum" {{{
///     3
/// }}}
#[apiview]
#[requires(a, b)]
#[between(a, 0, 100)]
pub fn add(a: i64, b: i64) -> apiview::Result<i64> {
    a.checked_add(b)
        .ok_or_else(|| BizError::bad_parameter_because("b", "a + b does not fit in a 64-bit integer"))
}

/// Echo an operation name, which must be `add` or `sub`.
///
/// --------
/// @parameter: op {{{
///     in: query
///     required: true
///     type: string
///     enum: [add, sub]
/// }}}
/// @response: 200 OK "the operation" {{{
///     "add"
/// }}}
#[apiview]
#[choices(op, ["add", "sub"])]
pub fn pick(op: String) -> String {
    op
}

/// Answers "ok" to callers with the right API key.
///
/// The key goes in the `aclkey` header, query parameter or body field.
///
/// --------
/// @parameter: aclkey {{{
///     in: header
///     required: true
///     type: string
/// }}}
/// @response: 200 OK "authenticated" {{{
///     "ok"
/// }}}
#[apiview]
#[check_aclkey]
pub fn secure() -> &'static str {
    "ok"
}

/// Answers GET only.
///
/// --------
/// @methods: get
/// @response: 200 OK "got" {{{
///     "got"
/// }}}
#[apiview]
#[allow_get]
pub fn only_get() -> &'static str {
    "got"
}

/// Always panics, to show how a panic is packed as SysError.
///
/// The server logs the panic with the request id and goes on serving.
///
/// --------
/// @response: 200 ERROR "system error" {{{
///     {"code": 1001000000, "message": "System Error"}
/// }}}
#[apiview]
pub fn boom() -> &'static str {
    panic!("boom: this endpoint always panics")
}

/// Who is calling: the `uid` cookie and the User-Agent header.
///
/// --------
/// @parameter: uid {{{
///     in: cookie
///     type: string
/// }}}
/// @response: 200 OK "the caller" {{{
///     {"uid": "42", "agent": "curl/8.0"}
/// }}}
#[apiview]
#[cookie_variable(uid)]
#[meta_variable(agent, "HTTP_USER_AGENT")]
pub fn whoami(uid: Option<String>, agent: Option<String>) -> Value {
    json!({"uid": uid, "agent": agent})
}

/// Returns the posted JSON body as it is.
///
/// --------
/// @parameter: user {{{
///     in: body
///     required: true
///     example:
///       name: "ann"
///       age: 3
/// }}}
/// @response: 200 OK "the body" {{{
///     {"name": "ann", "age": 3}
/// }}}
#[apiview]
#[body_alias(user)]
pub fn body(user: Value) -> Value {
    user
}

/// Every demo endpoint, at its path.
pub fn app(settings: Settings) -> App {
    App::new(settings)
        .at("/ping", ping)
        .at("/echo", echo)
        .at("/add", add)
        .at("/pick", pick)
        .at("/secure", secure)
        .at("/only_get", only_get)
        .at("/boom", boom)
        .at("/whoami", whoami)
        .at("/body", body)
}
