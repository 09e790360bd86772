//! Parameter injection over real HTTP (DESIGN §2.1, §2.2): sources and their
//! precedence, lenient coercion, Option, errors naming the parameter, injection by
//! type, Raw, Result, blocking, panics, multipart, `_payload`, headers.
//!
//! One test binary; this file holds the endpoints and the one App serving them all,
//! each topic's tests their own file.

#[path = "../common/mod.rs"]
mod common;

mod bodies;
mod by_type;
mod coercion;
mod parameter_errors;
mod return_values;
mod sources;

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
