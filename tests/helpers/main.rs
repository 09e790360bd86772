//! The helper attributes over real HTTP (DESIGN §2.3): validators, check_aclkey,
//! method allow-lists, transformers, and the fixed phase order.
//!
//! One test binary; this file holds the endpoints, one App serving them all and the
//! request helpers, each attribute's tests their own file.

#[path = "../common/mod.rs"]
mod common;

mod between;
mod check_aclkey;
mod choices;
mod methods;
mod phase_order;
mod requires;
mod string_length_limit;
mod transformers;

use apiview::prelude::*;
use common::{code_of, err, message_of, ok, TestServer};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

// ---- requires ----------------------------------------------------------------

#[apiview]
#[requires(a, b)]
fn requires_ab(a: Option<String>, b: Option<i64>) -> Value {
    json!({"a": a, "b": b})
}

#[apiview]
#[requires(any(phone, email))]
fn requires_any(phone: Option<String>, email: Option<String>) -> Value {
    json!({"phone": phone, "email": email})
}

#[apiview]
#[requires("token")]
fn requires_named(request: &ApiRequest) -> Option<String> {
    request.header("token").map(str::to_owned)
}

#[apiview]
#[requires(name, any(phone, "email"))]
fn requires_mixed(name: Option<String>, phone: Option<String>) -> Value {
    json!({"name": name, "phone": phone})
}

// ---- choices -----------------------------------------------------------------

#[apiview]
#[choices(op, ["add", "sub"])]
fn choices_literal(op: String) -> String {
    op
}

fn allowed_colors() -> Vec<&'static str> {
    vec!["red", "green"]
}

#[apiview]
#[choices(color, allowed_colors)]
fn choices_function(color: String) -> String {
    color
}

#[apiview]
#[choices(level, [1, 2, 3])]
fn choices_integer(level: i64) -> i64 {
    level
}

#[apiview]
#[choices(mode, ["a", "b"], allow_none = true)]
fn choices_allow_none(mode: Option<String>) -> Option<String> {
    mode
}

#[apiview]
#[choices(kind, ["x", "y"])]
fn choices_option_no_none(kind: Option<String>) -> Option<String> {
    kind
}

// ---- between -----------------------------------------------------------------

#[apiview]
#[between(a, 0, 100)]
fn between_inclusive(a: i64) -> i64 {
    a
}

#[apiview]
#[between(x, 0, 10, include_min = false, include_max = false)]
fn between_exclusive(x: i64) -> i64 {
    x
}

#[apiview]
#[between(n, 1, 5, allow_none = true)]
fn between_allow_none(n: Option<i64>) -> Option<i64> {
    n
}

#[apiview]
#[between(price, 0, 100)]
fn between_float(price: f64) -> f64 {
    price
}

fn min_age() -> i64 {
    18
}

fn max_age() -> i64 {
    65
}

#[apiview]
#[between(age, min_age, max_age)]
fn between_functions(age: i64) -> i64 {
    age
}

#[apiview]
#[between(t, -10, -1)]
fn between_negative(t: i32) -> i32 {
    t
}

// ---- string_length_limit -----------------------------------------------------

#[apiview]
#[string_length_limit(name, min_length = 2, max_length = 5)]
fn length_limit(name: String) -> String {
    name
}

#[apiview]
#[string_length_limit(
    nick,
    min_length = 3,
    max_length = 4,
    too_short_message = "Nickname too short!",
    too_long_message = "Nickname too long!"
)]
fn length_messages(nick: String) -> String {
    nick
}

// ---- check_aclkey ------------------------------------------------------------

#[apiview]
#[check_aclkey]
fn acl_settings() -> &'static str {
    "ok"
}

#[apiview]
#[check_aclkey(aclkey = "literal-key")]
fn acl_literal() -> &'static str {
    "ok"
}

#[apiview]
#[check_aclkey(aclkeys = ["list-key-a", "list-key-b"])]
fn acl_list() -> &'static str {
    "ok"
}

fn acl_keys_from_fn() -> Vec<String> {
    vec!["fn-key-1".to_owned(), "fn-key-2".to_owned()]
}

#[apiview]
#[check_aclkey(aclkeys = acl_keys_from_fn)]
fn acl_function() -> &'static str {
    "ok"
}

// `aclkey = my_fn` with `my_fn` returning the one key.
fn acl_key_from_fn() -> String {
    "single-fn-key".to_owned()
}

#[apiview]
#[check_aclkey(aclkey = acl_key_from_fn)]
fn acl_function_single() -> &'static str {
    "ok"
}

fn acl_empty_keys() -> Vec<String> {
    vec![String::new()]
}

#[apiview]
#[check_aclkey(aclkeys = acl_empty_keys)]
fn acl_function_empty() -> &'static str {
    "ok"
}

#[apiview]
#[check_aclkey(field = "apikey")]
fn acl_field() -> &'static str {
    "ok"
}

// ---- methods -----------------------------------------------------------------

#[apiview]
#[allow_post]
fn only_post() -> &'static str {
    "post"
}

#[apiview]
#[allow_put]
#[allow_delete]
#[allow_patch]
fn put_delete_patch(request: &ApiRequest) -> String {
    request.method().to_string()
}

#[apiview]
#[allow_options]
#[allow_head]
fn options_head(request: &ApiRequest) -> String {
    request.method().to_string()
}

#[apiview]
#[methods(get, put)]
fn methods_list(request: &ApiRequest) -> String {
    request.method().to_string()
}

#[apiview]
fn default_methods(request: &ApiRequest) -> String {
    request.method().to_string()
}

// ---- transformers -------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize)]
struct User {
    name: String,
    age: u8,
}

#[apiview]
#[body_alias(user)]
fn alias_struct(user: User) -> User {
    user
}

#[apiview]
#[body_alias(data)]
fn alias_value(data: Value, name: Option<String>) -> Value {
    json!({"data": data, "name": name})
}

#[apiview]
#[cookie_variable(userid, cookie = "uid", default = "anon")]
fn cookie_renamed(userid: String) -> String {
    userid
}

#[apiview]
#[cookie_variable(n, default = 5)]
fn cookie_number(n: i64) -> i64 {
    n
}

#[apiview]
#[cookie_variable(sid)]
fn cookie_required(sid: String) -> String {
    sid
}

#[apiview]
#[meta_variable(agent, "HTTP_USER_AGENT")]
#[meta_variable(forwarded, "HTTP_X_FORWARDED_FOR")]
#[meta_variable(method, "REQUEST_METHOD")]
#[meta_variable(path, "PATH_INFO")]
#[meta_variable(query, "QUERY_STRING")]
#[meta_variable(content_type, "CONTENT_TYPE")]
fn meta(
    agent: Option<String>,
    forwarded: Option<String>,
    method: String,
    path: String,
    query: String,
    content_type: Option<String>,
) -> Value {
    json!({
        "agent": agent, "forwarded": forwarded, "method": method,
        "path": path, "query": query, "content_type": content_type,
    })
}

#[apiview]
#[meta_variable(ip, "REMOTE_ADDR")]
fn meta_remote_addr(ip: Option<String>) -> Option<String> {
    ip
}

#[apiview]
#[header_variable(token, "X-Auth-Token")]
fn header_token(token: String) -> String {
    token
}

// ---- phase order ----------------------------------------------------------------

#[apiview]
#[check_aclkey]
#[between(a, 0, 10)]
fn acl_then_between(a: i64) -> i64 {
    a
}

#[apiview]
#[between(a, 0, 10)]
#[choices(op, ["x"])]
#[requires(a, op)]
#[string_length_limit(op, max_length = 1)]
#[check_aclkey]
fn validators_then_acl(a: i64, op: String) -> i64 {
    a
}

#[apiview]
#[between(a, 0, 10)]
#[check_aclkey]
#[allow_post]
fn method_first(a: i64) -> i64 {
    a
}

#[apiview]
#[requires(b)]
#[between(a, 0, 10)]
fn requires_then_between(a: i64, b: Option<i64>) -> i64 {
    a + b.unwrap_or(0)
}

#[apiview]
#[between(a, 0, 10)]
#[requires(b)]
fn between_then_requires(a: i64, b: Option<i64>) -> i64 {
    a + b.unwrap_or(0)
}

// ---- the App and the requests ---------------------------------------------------

fn app(settings: &str) -> App {
    App::new(common::settings(settings))
        .at("/requires_ab", requires_ab)
        .at("/requires_any", requires_any)
        .at("/requires_named", requires_named)
        .at("/requires_mixed", requires_mixed)
        .at("/choices_literal", choices_literal)
        .at("/choices_function", choices_function)
        .at("/choices_integer", choices_integer)
        .at("/choices_allow_none", choices_allow_none)
        .at("/choices_option_no_none", choices_option_no_none)
        .at("/between_inclusive", between_inclusive)
        .at("/between_exclusive", between_exclusive)
        .at("/between_allow_none", between_allow_none)
        .at("/between_float", between_float)
        .at("/between_functions", between_functions)
        .at("/between_negative", between_negative)
        .at("/length_limit", length_limit)
        .at("/length_messages", length_messages)
        .at("/acl_settings", acl_settings)
        .at("/acl_literal", acl_literal)
        .at("/acl_list", acl_list)
        .at("/acl_function", acl_function)
        .at("/acl_function_single", acl_function_single)
        .at("/acl_function_empty", acl_function_empty)
        .at("/acl_field", acl_field)
        .at("/only_post", only_post)
        .at("/put_delete_patch", put_delete_patch)
        .at("/options_head", options_head)
        .at("/methods_list", methods_list)
        .at("/default_methods", default_methods)
        .at("/alias_struct", alias_struct)
        .at("/alias_value", alias_value)
        .at("/cookie_renamed", cookie_renamed)
        .at("/cookie_number", cookie_number)
        .at("/cookie_required", cookie_required)
        .at("/meta/:tail", meta)
        .at("/meta_remote_addr", meta_remote_addr)
        .at("/header_token", header_token)
        .at("/acl_then_between", acl_then_between)
        .at("/validators_then_acl", validators_then_acl)
        .at("/method_first", method_first)
        .at("/requires_then_between", requires_then_between)
        .at("/between_then_requires", between_then_requires)
}

const KEYS: &str = "aclkey = 'settings-key'\naclkeys = ['settings-key-2', 'settings-key-3']";

async fn server() -> TestServer {
    common::serve(app(KEYS)).await
}

async fn get(server: &TestServer, path: &str) -> Value {
    common::send(server.client.get(server.url(path))).await.json
}

async fn post_json(server: &TestServer, path: &str, body: Value) -> Value {
    common::send(server.client.post(server.url(path)).json(&body))
        .await
        .json
}

async fn with_method(server: &TestServer, method: &str, path: &str) -> Value {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    common::send(server.client.request(method, server.url(path)))
        .await
        .json
}

fn assert_bad_parameter(answer: &Value, name: &str, value: &str, mentions: &[&str]) {
    assert_eq!(code_of(answer), common::BAD_PARAMETER, "{answer}");
    let message = message_of(answer);
    assert!(
        message.starts_with(&format!("Bad parameter: {name}")),
        "{message}"
    );
    assert!(message.contains(value), "value {value} not named: {message}");
    for mention in mentions {
        assert!(message.contains(mention), "{mention} not named: {message}");
    }
}

fn method_refused() -> Value {
    err(common::NOT_SUPPORTED_HTTP_METHOD, "Not supported http method.")
}

async fn with_key_header(server: &TestServer, path: &str, header: &str, key: &str) -> Value {
    common::send(server.client.get(server.url(path)).header(header, key))
        .await
        .json
}

fn auth_failed() -> Value {
    err(common::APP_AUTH_FAILED, "App auth failed.")
}
