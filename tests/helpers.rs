//! The helper attributes over real HTTP (DESIGN §2.3): validators, check_aclkey,
//! method allow-lists, transformers, and the fixed phase order.

mod common;

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

/// django-apiview answers an empty key as a wrong one, and only a missing key as a
/// missing parameter (DESIGN §2.3; issue 12).
#[tokio::test]
async fn an_empty_aclkey_is_app_auth_failed_and_a_missing_one_missing_parameter() {
    let server = server().await;
    assert_eq!(get(&server, "/acl_settings?aclkey=").await, auth_failed());
    assert_eq!(
        post_json(&server, "/acl_settings", json!({"aclkey": ""})).await,
        auth_failed()
    );
    let answer = server
        .client
        .get(server.url("/acl_settings"))
        .header("aclkey", "")
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(answer, auth_failed());
    for missing in ["/acl_settings", "/acl_settings?other=1"] {
        let answer = get(&server, missing).await;
        assert_eq!(common::code_of(&answer), 1001060001, "{missing}: {answer}");
    }
    let answer = post_json(&server, "/acl_settings", json!({"aclkey": null})).await;
    assert_eq!(common::code_of(&answer), 1001060001, "{answer}");
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

// ---- requires ----------------------------------------------------------------

#[tokio::test]
async fn requires_names_the_first_missing_field() {
    let server = server().await;
    assert_eq!(
        get(&server, "/requires_ab?a=x&b=1").await,
        ok(json!({"a": "x", "b": 1}))
    );
    assert_eq!(
        get(&server, "/requires_ab?b=1").await,
        err(common::MISSING_PARAMETER, "Missing parameter: a.")
    );
    assert_eq!(
        get(&server, "/requires_ab?a=x").await,
        err(common::MISSING_PARAMETER, "Missing parameter: b.")
    );
    assert_eq!(
        post_json(&server, "/requires_ab", json!({"a": null, "b": 1})).await,
        err(common::MISSING_PARAMETER, "Missing parameter: a.")
    );
    // Present, even empty, is present.
    assert_eq!(
        get(&server, "/requires_ab?a=&b=2").await,
        ok(json!({"a": "", "b": 2}))
    );
}

#[tokio::test]
async fn requires_any_needs_one_present_and_non_empty() {
    let server = server().await;
    for path in [
        "/requires_any",
        "/requires_any?phone=",
        "/requires_any?phone=&email=",
    ] {
        let answer = get(&server, path).await;
        assert_eq!(code_of(&answer), common::MISSING_PARAMETER, "{path}: {answer}");
        let message = message_of(&answer);
        assert!(
            message.contains("phone") && message.contains("email"),
            "{message}"
        );
    }
    assert_eq!(
        post_json(&server, "/requires_any", json!({"phone": null, "email": ""})).await["success"],
        false
    );
    assert_eq!(
        get(&server, "/requires_any?email=a@b.c").await,
        ok(json!({"phone": null, "email": "a@b.c"}))
    );
    assert_eq!(
        get(&server, "/requires_any?phone=&email=a@b.c").await,
        ok(json!({"phone": "", "email": "a@b.c"}))
    );
}

#[tokio::test]
async fn requires_a_string_literal_names_a_request_field() {
    let server = server().await;
    assert_eq!(
        get(&server, "/requires_named").await,
        err(common::MISSING_PARAMETER, "Missing parameter: token.")
    );
    let answer = common::send(
        server
            .client
            .get(server.url("/requires_named"))
            .header("token", "t0k"),
    )
    .await;
    assert_eq!(answer.json, ok(json!("t0k")));
    assert_eq!(get(&server, "/requires_named?token=q").await, ok(Value::Null));
}

#[tokio::test]
async fn requires_mixes_names_and_any() {
    let server = server().await;
    assert_eq!(
        get(&server, "/requires_mixed?phone=1").await,
        err(common::MISSING_PARAMETER, "Missing parameter: name.")
    );
    assert_eq!(
        code_of(&get(&server, "/requires_mixed?name=n").await),
        common::MISSING_PARAMETER
    );
    assert_eq!(
        get(&server, "/requires_mixed?name=n&email=e").await,
        ok(json!({"name": "n", "phone": null}))
    );
}

// ---- choices -----------------------------------------------------------------

#[tokio::test]
async fn choices_from_a_literal_list() {
    let server = server().await;
    assert_eq!(get(&server, "/choices_literal?op=add").await, ok(json!("add")));
    assert_eq!(get(&server, "/choices_literal?op=sub").await, ok(json!("sub")));
    assert_bad_parameter(
        &get(&server, "/choices_literal?op=mul").await,
        "op",
        "mul",
        &["add", "sub"],
    );
    assert_bad_parameter(
        &get(&server, "/choices_literal?op=Add").await,
        "op",
        "Add",
        &["add"],
    );
    assert_eq!(
        get(&server, "/choices_literal").await,
        err(common::MISSING_PARAMETER, "Missing parameter: op.")
    );
}

#[tokio::test]
async fn choices_from_a_function() {
    let server = server().await;
    assert_eq!(
        get(&server, "/choices_function?color=green").await,
        ok(json!("green"))
    );
    assert_bad_parameter(
        &get(&server, "/choices_function?color=blue").await,
        "color",
        "blue",
        &["red", "green"],
    );
}

#[tokio::test]
async fn choices_of_integers_compare_the_coerced_value() {
    let server = server().await;
    assert_eq!(get(&server, "/choices_integer?level=2").await, ok(json!(2)));
    assert_eq!(
        post_json(&server, "/choices_integer", json!({"level": "3"})).await,
        ok(json!(3))
    );
    assert_bad_parameter(
        &get(&server, "/choices_integer?level=4").await,
        "level",
        "4",
        &["1", "3"],
    );
}

#[tokio::test]
async fn choices_allow_none_lets_an_absent_value_pass() {
    let server = server().await;
    assert_eq!(get(&server, "/choices_allow_none").await, ok(Value::Null));
    assert_eq!(get(&server, "/choices_allow_none?mode=b").await, ok(json!("b")));
    assert_bad_parameter(
        &get(&server, "/choices_allow_none?mode=c").await,
        "mode",
        "c",
        &["a", "b"],
    );
    // Without allow_none, an absent Option is refused, naming the field.
    let answer = get(&server, "/choices_option_no_none").await;
    assert!(
        [common::MISSING_PARAMETER, common::BAD_PARAMETER].contains(&code_of(&answer)),
        "{answer}"
    );
    assert!(message_of(&answer).contains("kind"), "{answer}");
    assert_eq!(
        get(&server, "/choices_option_no_none?kind=y").await,
        ok(json!("y"))
    );
}

// ---- between -----------------------------------------------------------------

#[tokio::test]
async fn between_includes_both_bounds_by_default() {
    let server = server().await;
    for a in ["0", "100", "50"] {
        assert_eq!(
            get(&server, &format!("/between_inclusive?a={a}")).await,
            ok(json!(a.parse::<i64>().unwrap()))
        );
    }
    for a in ["-1", "101"] {
        assert_bad_parameter(
            &get(&server, &format!("/between_inclusive?a={a}")).await,
            "a",
            a,
            &["0", "100"],
        );
    }
}

#[tokio::test]
async fn between_can_exclude_its_bounds() {
    let server = server().await;
    assert_eq!(get(&server, "/between_exclusive?x=1").await, ok(json!(1)));
    assert_eq!(get(&server, "/between_exclusive?x=9").await, ok(json!(9)));
    for x in ["0", "10", "11", "-1"] {
        assert_bad_parameter(
            &get(&server, &format!("/between_exclusive?x={x}")).await,
            "x",
            x,
            &["0", "10"],
        );
    }
}

#[tokio::test]
async fn between_allow_none_lets_an_absent_value_pass() {
    let server = server().await;
    assert_eq!(get(&server, "/between_allow_none").await, ok(Value::Null));
    assert_eq!(get(&server, "/between_allow_none?n=5").await, ok(json!(5)));
    assert_bad_parameter(
        &get(&server, "/between_allow_none?n=6").await,
        "n",
        "6",
        &["1", "5"],
    );
}

#[tokio::test]
async fn between_on_a_float_with_integer_bounds() {
    let server = server().await;
    assert_eq!(get(&server, "/between_float?price=99.5").await, ok(json!(99.5)));
    assert_eq!(get(&server, "/between_float?price=100").await, ok(json!(100.0)));
    assert_eq!(get(&server, "/between_float?price=0").await, ok(json!(0.0)));
    assert_bad_parameter(
        &get(&server, "/between_float?price=100.5").await,
        "price",
        "100.5",
        &[],
    );
    assert_bad_parameter(
        &get(&server, "/between_float?price=-0.1").await,
        "price",
        "-0.1",
        &[],
    );
}

#[tokio::test]
async fn between_refuses_nan_and_infinity() {
    let server = server().await;
    for price in ["NaN", "inf", "-inf", "infinity"] {
        let answer = get(&server, &format!("/between_float?price={price}")).await;
        assert_eq!(answer["success"], false, "{price}: {answer}");
    }
}

#[tokio::test]
async fn between_with_function_bounds() {
    let server = server().await;
    assert_eq!(get(&server, "/between_functions?age=18").await, ok(json!(18)));
    assert_eq!(get(&server, "/between_functions?age=65").await, ok(json!(65)));
    assert_bad_parameter(
        &get(&server, "/between_functions?age=17").await,
        "age",
        "17",
        &["18", "65"],
    );
    assert_bad_parameter(
        &get(&server, "/between_functions?age=66").await,
        "age",
        "66",
        &["18", "65"],
    );
}

#[tokio::test]
async fn between_with_negative_bounds() {
    let server = server().await;
    assert_eq!(get(&server, "/between_negative?t=-10").await, ok(json!(-10)));
    assert_eq!(get(&server, "/between_negative?t=-1").await, ok(json!(-1)));
    assert_bad_parameter(
        &get(&server, "/between_negative?t=0").await,
        "t",
        "0",
        &["-10", "-1"],
    );
}

// ---- string_length_limit -----------------------------------------------------

#[tokio::test]
async fn string_length_counts_characters_not_bytes() {
    let server = server().await;
    for name in ["张三", "ab", "abcde", "张三李四王", "😀😀"] {
        assert_eq!(
            post_json(&server, "/length_limit", json!({"name": name})).await,
            ok(json!(name)),
            "{name}"
        );
    }
    for name in ["张", "a", "😀"] {
        assert_eq!(
            post_json(&server, "/length_limit", json!({"name": name})).await,
            err(common::STRING_TOO_SHORT, "String shorter than 2."),
            "{name}"
        );
    }
    for name in ["张三李四王五", "abcdef"] {
        assert_eq!(
            post_json(&server, "/length_limit", json!({"name": name})).await,
            err(common::STRING_TOO_LONG, "String longer than 5."),
            "{name}"
        );
    }
}

#[tokio::test]
async fn string_length_uses_custom_messages() {
    let server = server().await;
    assert_eq!(
        get(&server, "/length_messages?nick=ab").await,
        err(common::STRING_TOO_SHORT, "Nickname too short!")
    );
    assert_eq!(
        get(&server, "/length_messages?nick=abcde").await,
        err(common::STRING_TOO_LONG, "Nickname too long!")
    );
    assert_eq!(get(&server, "/length_messages?nick=abc").await, ok(json!("abc")));
}

// ---- check_aclkey ------------------------------------------------------------

async fn with_key_header(server: &TestServer, path: &str, header: &str, key: &str) -> Value {
    common::send(server.client.get(server.url(path)).header(header, key))
        .await
        .json
}

fn auth_failed() -> Value {
    err(common::APP_AUTH_FAILED, "App auth failed.")
}

#[tokio::test]
async fn aclkey_from_settings_aclkey_and_aclkeys() {
    let server = server().await;
    for key in ["settings-key", "settings-key-2", "settings-key-3"] {
        assert_eq!(
            with_key_header(&server, "/acl_settings", "aclkey", key).await,
            ok(json!("ok")),
            "{key}"
        );
    }
    assert_eq!(
        with_key_header(&server, "/acl_settings", "aclkey", "nope").await,
        auth_failed()
    );
    assert_eq!(
        get(&server, "/acl_settings").await,
        err(common::MISSING_PARAMETER, "Missing parameter: aclkey.")
    );
}

#[tokio::test]
async fn aclkey_in_header_query_json_or_form() {
    let server = server().await;
    assert_eq!(
        with_key_header(&server, "/acl_settings", "AclKey", "settings-key").await,
        ok(json!("ok"))
    );
    assert_eq!(
        get(&server, "/acl_settings?aclkey=settings-key").await,
        ok(json!("ok"))
    );
    assert_eq!(
        post_json(&server, "/acl_settings", json!({"aclkey": "settings-key"})).await,
        ok(json!("ok"))
    );
    let answer = common::send(
        server
            .client
            .post(server.url("/acl_settings"))
            .form(&[("aclkey", "settings-key")]),
    )
    .await;
    assert_eq!(answer.json, ok(json!("ok")));
    // A wrong key in a stronger source is not rescued by a right one in a weaker.
    let answer = common::send(
        server
            .client
            .get(server.url("/acl_settings?aclkey=wrong"))
            .header("aclkey", "settings-key"),
    )
    .await;
    assert_eq!(answer.json, auth_failed());
}

#[tokio::test]
async fn aclkey_lookalikes_never_pass() {
    let server = server().await;
    for key in [
        "settings-keyx",
        "settings-ke",
        "Settings-key",
        "SETTINGS-KEY",
        " settings-key",
        "settings-key ",
        "settings-key\t",
    ] {
        let answer = post_json(&server, "/acl_settings", json!({"aclkey": key})).await;
        assert_eq!(answer, auth_failed(), "{key:?}");
    }
    for body in [
        json!({"aclkey": ["settings-key"]}),
        json!({"aclkey": {"settings-key": true}}),
        json!({"aclkey": true}),
        json!({"aclkey": 0}),
    ] {
        let answer = post_json(&server, "/acl_settings", body.clone()).await;
        assert_eq!(answer["success"], false, "{body}: {answer}");
    }
    let answer = get(&server, "/acl_settings?aclkey=settings-key&aclkey=wrong").await;
    assert_eq!(answer["success"], false, "{answer}");
}

#[tokio::test]
async fn aclkey_given_as_a_literal_replaces_the_settings() {
    let server = server().await;
    assert_eq!(
        with_key_header(&server, "/acl_literal", "aclkey", "literal-key").await,
        ok(json!("ok"))
    );
    assert_eq!(
        with_key_header(&server, "/acl_literal", "aclkey", "settings-key").await,
        auth_failed()
    );
    assert_eq!(
        with_key_header(&server, "/acl_list", "aclkey", "list-key-a").await,
        ok(json!("ok"))
    );
    assert_eq!(
        with_key_header(&server, "/acl_list", "aclkey", "list-key-b").await,
        ok(json!("ok"))
    );
    assert_eq!(
        with_key_header(&server, "/acl_list", "aclkey", "literal-key").await,
        auth_failed()
    );
    assert_eq!(
        with_key_header(&server, "/acl_list", "aclkey", "settings-key").await,
        auth_failed()
    );
}

#[tokio::test]
async fn aclkey_from_a_function() {
    let server = server().await;
    assert_eq!(
        with_key_header(&server, "/acl_function", "aclkey", "fn-key-2").await,
        ok(json!("ok"))
    );
    assert_eq!(
        with_key_header(&server, "/acl_function", "aclkey", "settings-key").await,
        auth_failed()
    );
    assert_eq!(
        with_key_header(&server, "/acl_function_single", "aclkey", "single-fn-key").await,
        ok(json!("ok"))
    );
    assert_eq!(
        with_key_header(&server, "/acl_function_single", "aclkey", "fn-key-1").await,
        auth_failed()
    );
}

#[tokio::test]
async fn aclkey_in_a_custom_field() {
    let server = server().await;
    assert_eq!(
        with_key_header(&server, "/acl_field", "apikey", "settings-key").await,
        ok(json!("ok"))
    );
    assert_eq!(
        get(&server, "/acl_field?apikey=settings-key").await,
        ok(json!("ok"))
    );
    assert_eq!(
        with_key_header(&server, "/acl_field", "aclkey", "settings-key").await,
        err(common::MISSING_PARAMETER, "Missing parameter: apikey.")
    );
    assert_eq!(
        with_key_header(&server, "/acl_field", "apikey", "bad").await,
        auth_failed()
    );
}

#[tokio::test]
async fn an_empty_configured_key_never_matches() {
    let server = common::serve(app("aclkey = ''\naclkeys = ['', 'only-real-key']")).await;
    for key in ["", "x", " "] {
        let answer = get(&server, &format!("/acl_settings?aclkey={key}")).await;
        assert_eq!(answer["success"], false, "{key:?}: {answer}");
        assert!(
            [common::MISSING_PARAMETER, common::APP_AUTH_FAILED].contains(&code_of(&answer)),
            "{answer}"
        );
        let answer = post_json(&server, "/acl_settings", json!({"aclkey": key})).await;
        assert_eq!(answer["success"], false, "{key:?}: {answer}");
    }
    assert_eq!(
        get(&server, "/acl_settings?aclkey=only-real-key").await,
        ok(json!("ok"))
    );

    // No key configured at all: nothing passes.
    let server = common::serve(app("")).await;
    for key in ["", "x"] {
        let answer = post_json(&server, "/acl_settings", json!({"aclkey": key})).await;
        assert_eq!(answer["success"], false, "{key:?}: {answer}");
    }
    assert_eq!(get(&server, "/acl_settings?aclkey=x").await, auth_failed());

    // A function returning an empty key.
    let answer = post_json(&server, "/acl_function_empty", json!({"aclkey": ""})).await;
    assert_eq!(answer["success"], false, "{answer}");
    assert_eq!(get(&server, "/acl_function_empty?aclkey=x").await, auth_failed());
}

// ---- methods -----------------------------------------------------------------

#[tokio::test]
async fn allow_post_refuses_get() {
    let server = server().await;
    assert_eq!(
        with_method(&server, "POST", "/only_post").await,
        ok(json!("post"))
    );
    for method in ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        assert_eq!(
            with_method(&server, method, "/only_post").await,
            method_refused(),
            "{method}"
        );
    }
}

#[tokio::test]
async fn several_allow_attributes_add_up() {
    let server = server().await;
    for method in ["PUT", "DELETE", "PATCH"] {
        assert_eq!(
            with_method(&server, method, "/put_delete_patch").await,
            ok(json!(method))
        );
    }
    for method in ["GET", "POST"] {
        assert_eq!(
            with_method(&server, method, "/put_delete_patch").await,
            method_refused(),
            "{method}"
        );
    }
    assert_eq!(
        with_method(&server, "OPTIONS", "/options_head").await,
        ok(json!("OPTIONS"))
    );
    let response = server
        .client
        .head(server.url("/options_head"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(
        with_method(&server, "GET", "/options_head").await,
        method_refused()
    );
}

#[tokio::test]
async fn methods_lists_the_allowed_methods() {
    let server = server().await;
    assert_eq!(
        with_method(&server, "GET", "/methods_list").await,
        ok(json!("GET"))
    );
    assert_eq!(
        with_method(&server, "PUT", "/methods_list").await,
        ok(json!("PUT"))
    );
    assert_eq!(
        with_method(&server, "POST", "/methods_list").await,
        method_refused()
    );
    assert_eq!(
        with_method(&server, "DELETE", "/methods_list").await,
        method_refused()
    );
}

#[tokio::test]
async fn without_a_list_the_settings_default_applies() {
    let server = server().await;
    assert_eq!(
        with_method(&server, "GET", "/default_methods").await,
        ok(json!("GET"))
    );
    assert_eq!(
        with_method(&server, "POST", "/default_methods").await,
        ok(json!("POST"))
    );
    assert_eq!(
        with_method(&server, "PUT", "/default_methods").await,
        method_refused()
    );

    let server = common::serve(app("default_allow_methods = ['put', 'DELETE']")).await;
    assert_eq!(
        with_method(&server, "PUT", "/default_methods").await,
        ok(json!("PUT"))
    );
    assert_eq!(
        with_method(&server, "DELETE", "/default_methods").await,
        ok(json!("DELETE"))
    );
    assert_eq!(
        with_method(&server, "GET", "/default_methods").await,
        method_refused()
    );
    assert_eq!(
        with_method(&server, "POST", "/default_methods").await,
        method_refused()
    );
    // An endpoint's own list ignores the default.
    assert_eq!(
        with_method(&server, "POST", "/only_post").await,
        ok(json!("post"))
    );
    assert_eq!(
        with_method(&server, "GET", "/methods_list").await,
        ok(json!("GET"))
    );
}

// ---- transformers -------------------------------------------------------------

#[tokio::test]
async fn body_alias_takes_the_whole_body() {
    let server = server().await;
    assert_eq!(
        post_json(&server, "/alias_struct", json!({"name": "ann", "age": 3})).await,
        ok(json!({"name": "ann", "age": 3}))
    );
    let answer = post_json(&server, "/alias_struct", json!({"name": "ann", "age": 300})).await;
    assert_eq!(code_of(&answer), common::BAD_PARAMETER_TYPE, "{answer}");
    assert!(message_of(&answer).contains("user"), "{answer}");
    assert_eq!(
        post_json(&server, "/alias_value", json!({"name": "bo", "x": [1]})).await,
        ok(json!({"data": {"name": "bo", "x": [1]}, "name": "bo"}))
    );
    let answer = common::send(
        server
            .client
            .post(server.url("/alias_value"))
            .form(&[("name", "cy"), ("k", "v")]),
    )
    .await;
    assert_eq!(
        answer.json,
        ok(json!({"data": {"name": "cy", "k": "v"}, "name": "cy"}))
    );
}

#[tokio::test]
async fn body_alias_without_a_body() {
    let server = server().await;
    let answer = with_method(&server, "POST", "/alias_struct").await;
    assert_eq!(answer, err(common::MISSING_PARAMETER, "Missing parameter: user."));
    assert_eq!(
        with_method(&server, "POST", "/alias_value").await,
        ok(json!({"data": null, "name": null}))
    );
}

#[tokio::test]
async fn cookie_variable_with_a_cookie_name_and_default() {
    let server = server().await;
    let with_cookie = |path: &str, cookie: &str| {
        common::send(
            server
                .client
                .get(server.url(path))
                .header("cookie", cookie.to_owned()),
        )
    };
    assert_eq!(get(&server, "/cookie_renamed").await, ok(json!("anon")));
    assert_eq!(
        with_cookie("/cookie_renamed", "a=1; uid=7").await.json,
        ok(json!("7"))
    );
    // The cookie is `uid`, not the parameter's name; a query field is no cookie.
    assert_eq!(
        with_cookie("/cookie_renamed", "userid=9").await.json,
        ok(json!("anon"))
    );
    assert_eq!(
        get(&server, "/cookie_renamed?uid=5&userid=6").await,
        ok(json!("anon"))
    );

    assert_eq!(get(&server, "/cookie_number").await, ok(json!(5)));
    assert_eq!(with_cookie("/cookie_number", "n=8").await.json, ok(json!(8)));
    let answer = with_cookie("/cookie_number", "n=eight").await.json;
    assert_eq!(code_of(&answer), common::BAD_PARAMETER_TYPE, "{answer}");

    assert_eq!(
        get(&server, "/cookie_required?sid=q").await,
        err(common::MISSING_PARAMETER, "Missing parameter: sid.")
    );
    assert_eq!(
        with_cookie("/cookie_required", "sid=s1").await.json,
        ok(json!("s1"))
    );
}

#[tokio::test]
async fn meta_variable_reads_django_meta_names() {
    let server = server().await;
    let answer = common::send(
        server
            .client
            .post(server.url("/meta/tail?k=v&x=1"))
            .header("User-Agent", "agent/1")
            .header("X-Forwarded-For", "10.0.0.1")
            .json(&json!({"agent": "not from the body"})),
    )
    .await;
    assert_eq!(
        answer.json,
        ok(json!({
            "agent": "agent/1", "forwarded": "10.0.0.1", "method": "POST",
            "path": "/meta/tail", "query": "k=v&x=1", "content_type": "application/json",
        }))
    );
    let answer = get(&server, "/meta/x?agent=q").await;
    assert_eq!(answer["result"]["agent"], Value::Null, "{answer}");
    assert_eq!(answer["result"]["query"], "agent=q", "{answer}");
}

#[tokio::test]
async fn meta_variable_remote_addr_is_the_peer_ip() {
    let server = server().await;
    let answer = get(&server, "/meta_remote_addr").await;
    assert_eq!(answer, ok(json!("127.0.0.1")));
}

#[tokio::test]
async fn header_variable_reads_only_the_header() {
    let server = server().await;
    let answer = common::send(
        server
            .client
            .get(server.url("/header_token?token=from-query"))
            .header("X-Auth-Token", "from-header"),
    )
    .await;
    assert_eq!(answer.json, ok(json!("from-header")));
    assert_eq!(
        get(&server, "/header_token?token=from-query").await,
        err(common::MISSING_PARAMETER, "Missing parameter: token.")
    );
}

// ---- fixed phase order ----------------------------------------------------------

#[tokio::test]
async fn a_wrong_key_fails_before_any_parameter_check_in_either_order() {
    let server = server().await;
    let queries = ["a=50", "a=x", "", "a=1&a=2"];
    for query in queries {
        let path = format!("/acl_then_between?{query}");
        assert_eq!(
            with_key_header(&server, &path, "aclkey", "wrong").await,
            auth_failed(),
            "{path}"
        );
        let path = format!("/validators_then_acl?{query}&op=toolong");
        assert_eq!(
            with_key_header(&server, &path, "aclkey", "wrong").await,
            auth_failed(),
            "{path}"
        );
    }
    assert_eq!(
        with_key_header(&server, "/validators_then_acl", "aclkey", "wrong").await,
        auth_failed()
    );
    // A missing key is reported before the parameters too.
    assert_eq!(
        get(&server, "/validators_then_acl?a=50").await,
        err(common::MISSING_PARAMETER, "Missing parameter: aclkey.")
    );
    assert_eq!(
        get(&server, "/acl_then_between?a=x").await,
        err(common::MISSING_PARAMETER, "Missing parameter: aclkey.")
    );
    // With the right key the parameters are checked.
    let answer = with_key_header(&server, "/acl_then_between?a=50", "aclkey", "settings-key").await;
    assert_bad_parameter(&answer, "a", "50", &[]);
    let answer = with_key_header(
        &server,
        "/validators_then_acl?a=50&op=x",
        "aclkey",
        "settings-key",
    )
    .await;
    assert_bad_parameter(&answer, "a", "50", &[]);
    assert_eq!(
        with_key_header(&server, "/validators_then_acl?a=5&op=x", "aclkey", "settings-key").await,
        ok(json!(5))
    );
}

#[tokio::test]
async fn the_method_check_comes_before_everything() {
    let server = server().await;
    // Wrong method, wrong key, bad parameter: the method is reported.
    let answer = common::send(
        server
            .client
            .get(server.url("/method_first?a=x"))
            .header("aclkey", "wrong"),
    )
    .await;
    assert_eq!(answer.json, method_refused());
    // Even before the body is read: invalid JSON on the wrong method.
    let answer = common::send(
        server
            .client
            .put(server.url("/method_first"))
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_eq!(answer.json, method_refused());
    // The right method with a wrong key: the key is reported.
    let answer = common::send(
        server
            .client
            .post(server.url("/method_first?a=x"))
            .header("aclkey", "wrong"),
    )
    .await;
    assert_eq!(answer.json, auth_failed());
}

#[tokio::test]
async fn validators_run_in_written_order() {
    let server = server().await;
    assert_eq!(
        get(&server, "/requires_then_between?a=50").await,
        err(common::MISSING_PARAMETER, "Missing parameter: b.")
    );
    assert_bad_parameter(&get(&server, "/between_then_requires?a=50").await, "a", "50", &[]);
    assert_eq!(get(&server, "/requires_then_between?a=5&b=1").await, ok(json!(6)));
    assert_eq!(get(&server, "/between_then_requires?a=5&b=1").await, ok(json!(6)));
}
