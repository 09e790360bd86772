//! Parameter injection over real HTTP (DESIGN §2.1, §2.2): sources and their
//! precedence, lenient coercion, Option, errors naming the parameter, injection by
//! type, Raw, Result, blocking, panics, multipart, `_payload`, headers.

mod common;

use apiview::prelude::*;
use common::{code_of, err, message_of, ok, Part, TestServer};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

// ---- endpoints -------------------------------------------------------------

/// Where `my_val` came from.
#[apiview]
#[methods(get, post)]
fn precedence(my_val: String) -> String {
    my_val
}

#[apiview]
fn int(n: i64) -> i64 {
    n
}

#[apiview]
fn float(x: f64) -> f64 {
    x
}

#[apiview]
fn flag(on: bool) -> bool {
    on
}

#[apiview]
fn small(n: u8) -> u8 {
    n
}

#[apiview]
fn list(ids: Vec<i64>) -> Vec<i64> {
    ids
}

#[apiview]
fn words(tags: Vec<String>) -> Vec<String> {
    tags
}

#[derive(Debug, Serialize, Deserialize)]
struct Point {
    x: i64,
    y: i64,
    label: Option<String>,
}

#[apiview]
fn point(p: Point) -> Point {
    p
}

#[apiview]
fn string(s: String) -> String {
    s
}

#[apiview]
fn optional(name: Option<String>, age: Option<u8>) -> Value {
    json!({"name": name, "age": age})
}

#[apiview]
fn request_ref(request: &ApiRequest, n: i64) -> Value {
    json!({
        "method": request.method().as_str(),
        "path": request.path(),
        "request_id": request.request_id(),
        "header": request.header("x-custom"),
        "cookie": request.cookie("sid"),
        "remote_addr": request.remote_addr(),
        "field": request.field("extra").map(|value| value.to_json()),
        "payload": request.payload(),
        "n": n,
    })
}

#[apiview]
fn data_bag(request: &ApiRequest) -> Value {
    Value::Object(request.data())
}

#[apiview]
fn request_ids(request: &ApiRequest) -> Value {
    json!({"request_id": request.request_id(), "header": request.header("x-request-id")})
}

#[apiview]
async fn request_owned(request: ApiRequest) -> Value {
    // Owned: usable across an await.
    tokio::task::yield_now().await;
    json!({"method": request.method().as_str(), "request_id": request.request_id()})
}

// `#[extract]`: poem extractors, borrowing (`Data<&T>`) or owned.
#[derive(Clone)]
struct Config {
    greeting: &'static str,
}

#[apiview]
async fn with_data(#[extract] config: poem::web::Data<&Config>, name: String) -> String {
    format!("{}, {name}", config.greeting)
}

#[apiview]
async fn with_method(#[extract] method: poem::http::Method, n: i64) -> String {
    format!("{method} {n}")
}

#[apiview]
fn raw_text() -> Raw<&'static str> {
    Raw("plain, not packed")
}

#[apiview]
fn raw_redirect() -> Raw<poem::web::Redirect> {
    Raw(poem::web::Redirect::see_other("/elsewhere"))
}

#[apiview]
fn divide(a: i64, b: i64) -> apiview::Result<i64> {
    if b == 0 {
        return Err(BizError::new(2001000001, "Division by zero."));
    }
    Ok(a / b)
}

#[apiview(blocking)]
fn blocking_sum(request: &ApiRequest, a: i64, b: i64) -> Value {
    // Only a thread outside the async workers may block on the runtime: this panics
    // (and the test fails) if `blocking` runs the body on a worker thread.
    let on_pool = tokio::runtime::Handle::current().block_on(async { "blocked on the pool" });
    json!({"sum": a + b, "method": request.method().as_str(), "note": on_pool})
}

#[apiview]
async fn panics_async(n: i64) -> i64 {
    tokio::task::yield_now().await;
    if n > 0 {
        panic!("secret internal detail: async");
    }
    n
}

#[apiview]
fn panics_sync(n: i64) -> i64 {
    if n > 0 {
        panic!("secret internal detail: sync");
    }
    n
}

#[apiview(blocking)]
fn panics_blocking(n: i64) -> i64 {
    if n > 0 {
        panic!("secret internal detail: blocking");
    }
    n
}

#[apiview]
fn multi(title: String, count: i64, tags: Vec<String>) -> Value {
    json!({"title": title, "count": count, "tags": tags})
}

// Regression: a `_payload` parameter once made the macro trip `non_snake_case`.
#[deny(non_snake_case)]
mod payload_endpoint {
    use apiview::prelude::*;
    use serde_json::Value;

    #[apiview]
    pub fn payload(_payload: Value) -> Value {
        _payload
    }
}
use payload_endpoint::payload;

#[apiview]
fn agent(user_agent: String) -> String {
    user_agent
}

#[apiview]
fn unit_result() {}

/// Serializing this fails: JSON object keys must be strings.
#[apiview]
fn unserializable() -> std::collections::HashMap<Vec<i32>, i32> {
    std::collections::HashMap::from([(vec![1], 1)])
}

fn app() -> App {
    App::new(common::settings(""))
        .at("/p/:my_val", precedence)
        .at("/q", precedence)
        .at("/int", int)
        .at("/float", float)
        .at("/flag", flag)
        .at("/small", small)
        .at("/list", list)
        .at("/words", words)
        .at("/point", point)
        .at("/text", string)
        .at("/optional", optional)
        .at("/request_ref/:n", request_ref)
        .at("/request_owned", request_owned)
        .at("/request_ids", request_ids)
        .at("/bag/:k", data_bag)
        .at("/raw_text", raw_text)
        .at("/raw_redirect", raw_redirect)
        .at("/divide", divide)
        .at("/blocking_sum", blocking_sum)
        .at("/panics_async", panics_async)
        .at("/panics_sync", panics_sync)
        .at("/panics_blocking", panics_blocking)
        .at("/multi", multi)
        .at("/payload", payload)
        .at("/agent", agent)
        .at("/unit", unit_result)
        .at("/unserializable", unserializable)
}

async fn server() -> TestServer {
    common::serve(app()).await
}

async fn get(server: &TestServer, path: &str) -> Value {
    common::send(server.client.get(server.url(path))).await.json
}

async fn post_json(server: &TestServer, path: &str, body: Value) -> Value {
    common::send(server.client.post(server.url(path)).json(&body))
        .await
        .json
}

// ---- sources and precedence ------------------------------------------------

#[tokio::test]
async fn path_param_wins_over_body_query_and_header() {
    let server = server().await;
    let answer = common::send(
        server
            .client
            .post(server.url("/p/from-path?my_val=from-query"))
            .header("my-val", "from-header")
            .json(&json!({"my_val": "from-body"})),
    )
    .await;
    assert_eq!(answer.json, ok(json!("from-path")));
    let answer = common::send(
        server
            .client
            .post(server.url("/p/from-path?my_val=from-query"))
            .header("my-val", "from-header")
            .form(&[("my_val", "from-form")]),
    )
    .await;
    assert_eq!(answer.json, ok(json!("from-path")));
}

#[tokio::test]
async fn json_body_wins_over_query_and_header() {
    let server = server().await;
    let answer = common::send(
        server
            .client
            .post(server.url("/q?my_val=from-query"))
            .header("my-val", "from-header")
            .json(&json!({"my_val": "from-body"})),
    )
    .await;
    assert_eq!(answer.json, ok(json!("from-body")));
}

#[tokio::test]
async fn form_wins_over_query_and_header() {
    let server = server().await;
    let answer = common::send(
        server
            .client
            .post(server.url("/q?my_val=from-query"))
            .header("my-val", "from-header")
            .form(&[("my_val", "from-form")]),
    )
    .await;
    assert_eq!(answer.json, ok(json!("from-form")));
}

#[tokio::test]
async fn query_wins_over_header() {
    let server = server().await;
    let answer = common::send(
        server
            .client
            .get(server.url("/q?my_val=from-query"))
            .header("my-val", "from-header"),
    )
    .await;
    assert_eq!(answer.json, ok(json!("from-query")));
}

#[tokio::test]
async fn header_is_the_last_source_with_dashes_for_underscores() {
    let server = server().await;
    let answer = common::send(
        server
            .client
            .get(server.url("/q"))
            .header("My-Val", "from-header"),
    )
    .await;
    assert_eq!(answer.json, ok(json!("from-header")));
}

#[tokio::test]
async fn a_body_without_the_field_falls_through_to_the_query() {
    let server = server().await;
    let answer = common::send(
        server
            .client
            .post(server.url("/q?my_val=from-query"))
            .json(&json!({"other": 1})),
    )
    .await;
    assert_eq!(answer.json, ok(json!("from-query")));
}

// ---- lenient coercion -------------------------------------------------------

#[tokio::test]
async fn text_becomes_integers_floats_and_booleans() {
    let server = server().await;
    assert_eq!(get(&server, "/int?n=42").await, ok(json!(42)));
    assert_eq!(get(&server, "/int?n=-7").await, ok(json!(-7)));
    assert_eq!(get(&server, "/float?x=2.5").await, ok(json!(2.5)));
    assert_eq!(get(&server, "/float?x=3").await, ok(json!(3.0)));
    for (text, value) in [("true", true), ("false", false), ("1", true), ("0", false)] {
        assert_eq!(
            get(&server, &format!("/flag?on={text}")).await,
            ok(json!(value)),
            "{text}"
        );
    }
}

#[tokio::test]
async fn json_strings_become_numbers_and_booleans() {
    let server = server().await;
    assert_eq!(
        post_json(&server, "/int", json!({"n": "42"})).await,
        ok(json!(42))
    );
    assert_eq!(post_json(&server, "/int", json!({"n": 42})).await, ok(json!(42)));
    assert_eq!(
        post_json(&server, "/float", json!({"x": "2.5"})).await,
        ok(json!(2.5))
    );
    assert_eq!(
        post_json(&server, "/flag", json!({"on": "true"})).await,
        ok(json!(true))
    );
    assert_eq!(
        post_json(&server, "/flag", json!({"on": true})).await,
        ok(json!(true))
    );
    assert_eq!(
        post_json(&server, "/flag", json!({"on": 0})).await,
        ok(json!(false))
    );
}

/// Lenient coercion is for text wires; inside a JSON body a string parameter takes
/// a JSON string, not the text of another JSON value (issue 12).
#[tokio::test]
async fn a_json_body_number_or_boolean_is_not_a_string() {
    let server = server().await;
    for value in [json!(42), json!(false), json!(2.5), json!([1]), json!({"a": 1})] {
        let answer = post_json(&server, "/text", json!({ "s": value })).await;
        assert_eq!(common::code_of(&answer), 1001060003, "{value}: {answer}");
        assert!(common::message_of(&answer).contains('s'), "{answer}");
    }
    assert_eq!(
        post_json(&server, "/text", json!({"s": "42"})).await,
        ok(json!("42"))
    );
    // A text wire stays lenient: everything there is text.
    assert_eq!(get(&server, "/text?s=42").await, ok(json!("42")));
}

#[tokio::test]
async fn form_text_is_coerced_too() {
    let server = server().await;
    let answer = common::send(server.client.post(server.url("/int")).form(&[("n", "42")])).await;
    assert_eq!(answer.json, ok(json!(42)));
    let answer = common::send(server.client.post(server.url("/flag")).form(&[("on", "1")])).await;
    assert_eq!(answer.json, ok(json!(true)));
}

#[tokio::test]
async fn a_single_value_becomes_a_list_of_one() {
    let server = server().await;
    assert_eq!(get(&server, "/list?ids=7").await, ok(json!([7])));
    assert_eq!(
        post_json(&server, "/list", json!({"ids": 7})).await,
        ok(json!([7]))
    );
    assert_eq!(
        post_json(&server, "/list", json!({"ids": "7"})).await,
        ok(json!([7]))
    );
    assert_eq!(get(&server, "/words?tags=solo").await, ok(json!(["solo"])));
}

#[tokio::test]
async fn repeated_query_and_form_keys_become_lists() {
    let server = server().await;
    assert_eq!(
        get(&server, "/list?ids=1&ids=2&ids=3").await,
        ok(json!([1, 2, 3]))
    );
    assert_eq!(get(&server, "/words?tags=a&tags=b").await, ok(json!(["a", "b"])));
    let answer = common::send(
        server
            .client
            .post(server.url("/list"))
            .form(&[("ids", "4"), ("ids", "5")]),
    )
    .await;
    assert_eq!(answer.json, ok(json!([4, 5])));
    assert_eq!(
        post_json(&server, "/list", json!({"ids": [1, "2", 3]})).await,
        ok(json!([1, 2, 3]))
    );
}

#[tokio::test]
async fn a_json_object_becomes_a_struct() {
    let server = server().await;
    let answer = post_json(
        &server,
        "/point",
        json!({"p": {"x": 1, "y": -2, "label": "origin-ish"}}),
    )
    .await;
    assert_eq!(answer, ok(json!({"x": 1, "y": -2, "label": "origin-ish"})));
    let answer = post_json(&server, "/point", json!({"p": {"x": 1, "y": 2}})).await;
    assert_eq!(answer, ok(json!({"x": 1, "y": 2, "label": null})));
    // A struct missing a required field is a bad type, not a crash.
    let answer = post_json(&server, "/point", json!({"p": {"x": 1}})).await;
    assert_eq!(code_of(&answer), common::BAD_PARAMETER_TYPE);
    assert!(message_of(&answer).contains(": p"), "{answer}");
}

// ---- Option and failures ----------------------------------------------------

#[tokio::test]
async fn option_params_are_none_when_absent() {
    let server = server().await;
    assert_eq!(
        get(&server, "/optional").await,
        ok(json!({"name": null, "age": null}))
    );
    assert_eq!(
        get(&server, "/optional?name=ann&age=3").await,
        ok(json!({"name": "ann", "age": 3}))
    );
    assert_eq!(
        post_json(&server, "/optional", json!({"name": null, "age": "9"})).await,
        ok(json!({"name": null, "age": 9}))
    );
    // Present but of the wrong type is still an error, even for an Option.
    let answer = get(&server, "/optional?age=old").await;
    assert_eq!(code_of(&answer), common::BAD_PARAMETER_TYPE);
    assert!(
        message_of(&answer).starts_with("Bad parameter type: age"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_missing_parameter_is_named() {
    let server = server().await;
    assert_eq!(
        get(&server, "/int").await,
        err(common::MISSING_PARAMETER, "Missing parameter: n.")
    );
    assert_eq!(
        post_json(&server, "/int", json!({"n": null})).await,
        err(common::MISSING_PARAMETER, "Missing parameter: n.")
    );
    assert_eq!(
        post_json(&server, "/point", json!({})).await,
        err(common::MISSING_PARAMETER, "Missing parameter: p.")
    );
}

#[tokio::test]
async fn a_value_of_the_wrong_type_names_the_parameter() {
    let server = server().await;
    for (path, name) in [
        ("/int?n=abc", "n"),
        ("/int?n=4.5", "n"),
        ("/float?x=two", "x"),
        ("/flag?on=yes", "on"),
        ("/list?ids=1&ids=x", "ids"),
    ] {
        let answer = get(&server, path).await;
        assert_eq!(code_of(&answer), common::BAD_PARAMETER_TYPE, "{path}: {answer}");
        let message = message_of(&answer);
        assert!(
            message.starts_with(&format!("Bad parameter type: {name}")),
            "{path}: {message}"
        );
    }
    let answer = post_json(&server, "/int", json!({"n": {"deep": 1}})).await;
    assert_eq!(code_of(&answer), common::BAD_PARAMETER_TYPE, "{answer}");
    let answer = post_json(&server, "/point", json!({"p": "not an object"})).await;
    assert_eq!(code_of(&answer), common::BAD_PARAMETER_TYPE, "{answer}");
}

#[tokio::test]
async fn a_number_overflowing_the_type_is_a_bad_type() {
    let server = server().await;
    assert_eq!(get(&server, "/small?n=255").await, ok(json!(255)));
    for answer in [
        get(&server, "/small?n=300").await,
        get(&server, "/small?n=-1").await,
        post_json(&server, "/small", json!({"n": 300})).await,
        post_json(&server, "/small", json!({"n": "256"})).await,
        get(&server, "/int?n=9223372036854775808").await,
        post_json(&server, "/int", json!({"n": 1e300})).await,
    ] {
        assert_eq!(code_of(&answer), common::BAD_PARAMETER_TYPE, "{answer}");
        assert!(
            message_of(&answer).starts_with("Bad parameter type: n"),
            "{answer}"
        );
    }
}

#[tokio::test]
async fn an_array_where_a_scalar_is_expected_is_a_bad_type() {
    let server = server().await;
    for answer in [
        post_json(&server, "/int", json!({"n": [1, 2]})).await,
        post_json(&server, "/int", json!({"n": [1]})).await,
        get(&server, "/int?n=1&n=2").await,
        post_json(&server, "/text", json!({"s": ["a", "b"]})).await,
        get(&server, "/text?s=a&s=b").await,
    ] {
        assert_eq!(code_of(&answer), common::BAD_PARAMETER_TYPE, "{answer}");
    }
}

// ---- injection by type ------------------------------------------------------

#[tokio::test]
async fn api_request_by_reference_sees_the_request() {
    let server = server().await;
    let answer = common::send(
        server
            .client
            .post(server.url("/request_ref/5?extra=q"))
            .header("X-Custom", "custom value")
            .header("Cookie", "sid=abc123")
            .header("X-Request-Id", "req-by-ref-1")
            .json(&json!({"a": [1, 2]})),
    )
    .await;
    let result = &answer.json["result"];
    assert_eq!(answer.json["success"], true, "{}", answer.json);
    assert_eq!(result["method"], "POST");
    assert_eq!(result["path"], "/request_ref/5");
    assert_eq!(result["request_id"], "req-by-ref-1");
    assert_eq!(answer.request_id(), "req-by-ref-1");
    assert_eq!(result["header"], "custom value");
    assert_eq!(result["cookie"], "abc123");
    assert!(
        result["remote_addr"].as_str().unwrap().contains("127.0.0.1"),
        "{result}"
    );
    assert_eq!(result["field"], "q");
    assert_eq!(result["payload"], json!({"a": [1, 2]}));
    assert_eq!(result["n"], 5);
}

#[tokio::test]
async fn the_data_bag_merges_every_source_by_precedence() {
    let server = server().await;
    let answer = common::send(
        server
            .client
            .post(server.url("/bag/from-path?k=query&j=query&i=query"))
            .header("k", "header")
            .header("i", "header")
            .header("h", "header")
            .json(&json!({"k": "body", "j": "body", "list": [1, 2]})),
    )
    .await;
    let bag = &answer.json["result"];
    assert_eq!(bag["k"], "from-path", "{bag}");
    assert_eq!(bag["j"], "body", "{bag}");
    assert_eq!(bag["i"], "query", "{bag}");
    assert_eq!(bag["h"], "header", "{bag}");
    assert_eq!(bag["list"], json!([1, 2]), "{bag}");
}

#[tokio::test]
async fn path_and_query_values_are_percent_decoded() {
    let server = server().await;
    assert_eq!(get(&server, "/p/a%20b%2Fc").await, ok(json!("a b/c")));
    assert_eq!(get(&server, "/p/%E6%B5%8B%E8%AF%95").await, ok(json!("测试")));
    assert_eq!(get(&server, "/text?s=a+b%20c%26d").await, ok(json!("a b c&d")));
    assert_eq!(get(&server, "/text?s=%E6%B5%8B").await, ok(json!("测")));
}

#[tokio::test]
async fn api_request_by_value_carries_the_request_id() {
    let server = server().await;
    let answer = common::send(server.client.get(server.url("/request_owned"))).await;
    assert_eq!(answer.json["result"]["method"], "GET");
    assert_eq!(answer.json["result"]["request_id"], answer.request_id());
    assert_eq!(answer.request_id().len(), 32);
}

/// An id the client sends is kept when sane; otherwise the App makes one, and the
/// endpoint sees that one, in `request_id()` and in the header, as the client does.
#[tokio::test]
async fn an_insane_request_id_is_replaced_for_the_endpoint_and_the_client() {
    let server = server().await;
    let long = "x".repeat(129);
    for (sent, kept) in [
        ("ok-id.1:2_3", true),
        ("has space", false),
        (long.as_str(), false),
        ("semi;colon", false),
        ("", false),
    ] {
        let answer = common::send(
            server
                .client
                .get(server.url("/request_ids"))
                .header("X-Request-Id", sent),
        )
        .await;
        let id = answer.request_id();
        if kept {
            assert_eq!(id, sent);
        } else {
            assert!(
                id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
                "{sent:?} -> {id:?}"
            );
        }
        assert_eq!(answer.json["result"]["request_id"], id, "{sent:?}");
        assert_eq!(answer.json["result"]["header"], id, "{sent:?}");
    }
}

#[tokio::test]
async fn extract_gets_poem_data() {
    let app = App::new(common::settings("")).at("/hello", with_data);
    let endpoint = poem::EndpointExt::data(app.into_endpoint(), Config { greeting: "Hi" });
    let server = common::serve_endpoint(endpoint).await;
    assert_eq!(get(&server, "/hello?name=ann").await, ok(json!("Hi, ann")));
}

#[tokio::test]
async fn extract_without_the_data_is_a_packed_error() {
    let server = common::serve(App::new(common::settings("")).at("/hello", with_data)).await;
    let answer = get(&server, "/hello?name=ann").await;
    assert_eq!(answer["success"], false, "{answer}");
    assert!(answer["error"]["code"].is_i64(), "{answer}");
}

#[tokio::test]
async fn extract_takes_an_owned_extractor() {
    let server = common::serve(App::new(common::settings("")).at("/m", with_method)).await;
    assert_eq!(get(&server, "/m?n=2").await, ok(json!("GET 2")));
}

// ---- return values ------------------------------------------------------------

#[tokio::test]
async fn raw_skips_packing() {
    let server = server().await;
    let response = server.client.get(server.url("/raw_text")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(response.text().await.unwrap(), "plain, not packed");

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client.get(server.url("/raw_redirect")).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/elsewhere");
}

#[tokio::test]
async fn a_result_returns_the_value_or_a_user_business_error() {
    let server = server().await;
    assert_eq!(get(&server, "/divide?a=7&b=2").await, ok(json!(3)));
    let answer = common::send(server.client.get(server.url("/divide?a=7&b=0"))).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json, err(2001000001, "Division by zero."));
}

#[tokio::test]
async fn a_function_returning_nothing_answers_null() {
    let server = server().await;
    assert_eq!(get(&server, "/unit").await, ok(Value::Null));
}

#[tokio::test]
async fn a_result_that_does_not_serialize_is_a_sys_error() {
    let server = server().await;
    assert_eq!(
        get(&server, "/unserializable").await,
        err(common::SYS_ERROR, "System Error")
    );
    assert_eq!(get(&server, "/int?n=1").await, ok(json!(1)));
}

#[tokio::test]
async fn blocking_functions_run_on_the_blocking_pool() {
    let server = server().await;
    assert_eq!(
        post_json(&server, "/blocking_sum", json!({"a": 2, "b": "3"})).await,
        ok(json!({"sum": 5, "method": "POST", "note": "blocked on the pool"}))
    );
    let answer = get(&server, "/blocking_sum?a=2").await;
    assert_eq!(answer, err(common::MISSING_PARAMETER, "Missing parameter: b."));
}

#[tokio::test]
async fn panics_are_sys_errors_and_the_server_keeps_serving() {
    let server = server().await;
    for path in ["/panics_async", "/panics_sync", "/panics_blocking"] {
        let answer = common::send(server.client.get(server.url(&format!("{path}?n=1")))).await;
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(answer.json, err(common::SYS_ERROR, "System Error"), "{path}");
        assert!(
            !answer.json.to_string().contains("secret"),
            "{path} leaks the panic"
        );
        assert_eq!(answer.request_id().len(), 32, "{path}");
        // The same endpoint and others still answer.
        assert_eq!(get(&server, &format!("{path}?n=0")).await, ok(json!(0)), "{path}");
        assert_eq!(get(&server, "/int?n=1").await, ok(json!(1)));
    }
    // Panics in parallel with ordinary requests.
    let requests = (0..30).map(|i| {
        let path = match i % 4 {
            0 => "/panics_async?n=1",
            1 => "/panics_sync?n=1",
            2 => "/panics_blocking?n=1",
            _ => "/int?n=3",
        };
        common::send(server.client.get(server.url(path)))
    });
    for (i, answer) in futures_util::future::join_all(requests)
        .await
        .into_iter()
        .enumerate()
    {
        let expected = if i % 4 == 3 {
            ok(json!(3))
        } else {
            err(common::SYS_ERROR, "System Error")
        };
        assert_eq!(answer.json, expected);
    }
}

// ---- bodies -------------------------------------------------------------------

#[tokio::test]
async fn multipart_text_fields_are_parameters() {
    let server = server().await;
    let (content_type, body) = common::multipart(&[
        Part::Text("title", "多部分"),
        Part::Text("count", "12"),
        Part::File("upload", "a.bin", b"\x00\x01\xff binary"),
        Part::Text("tags", "x"),
        Part::Text("tags", "y"),
    ]);
    let answer = common::send(
        server
            .client
            .post(server.url("/multi"))
            .header("content-type", content_type)
            .body(body),
    )
    .await;
    assert_eq!(
        answer.json,
        ok(json!({"title": "多部分", "count": 12, "tags": ["x", "y"]}))
    );
}

#[tokio::test]
async fn payload_is_the_whole_body() {
    let server = server().await;
    let body = json!({"a": 1, "b": [true, null], "c": {"d": "e"}});
    assert_eq!(post_json(&server, "/payload", body.clone()).await, ok(body));
    let answer = common::send(
        server
            .client
            .post(server.url("/payload"))
            .form(&[("a", "1"), ("b", "x")]),
    )
    .await;
    assert_eq!(answer.json, ok(json!({"a": "1", "b": "x"})));
    assert_eq!(
        post_json(&server, "/payload", json!([1, 2])).await,
        ok(json!([1, 2]))
    );
}

#[tokio::test]
async fn a_parameter_named_after_a_header_reads_it() {
    let server = server().await;
    let answer = common::send(
        server
            .client
            .get(server.url("/agent"))
            .header("User-Agent", "apiview-tests/1.0"),
    )
    .await;
    assert_eq!(answer.json, ok(json!("apiview-tests/1.0")));
    assert_eq!(
        get(&server, "/agent").await,
        err(common::MISSING_PARAMETER, "Missing parameter: user_agent.")
    );
}
