//! Malformed requests over real HTTP (issue "Bad input", DESIGN §9): each gets a
//! packed JSON error with its catalogue code, never a 500 page, a panic or a dropped
//! connection, and the server keeps serving.
//!
//! One test binary; this file holds the endpoints, the App and the request helpers,
//! each kind of bad input its own file.

#[path = "../common/mod.rs"]
mod common;

mod body_size;
mod content_types;
mod headers;
mod json;
mod methods;
mod not_objects;
mod types;
mod utf8;

use std::time::Duration;

use apiview::prelude::*;
use common::{code_of, err, message_of, ok, Part, RawAnswer, TestServer};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

const LIMIT: usize = 64;

#[apiview]
fn fields(a: Option<i64>, name: Option<String>) -> Value {
    json!({"a": a, "name": name})
}

#[apiview]
fn need(a: i64) -> i64 {
    a
}

#[apiview]
fn small(n: u8) -> u8 {
    n
}

#[apiview]
#[body_alias(body)]
fn whole(body: Value) -> Value {
    body
}

#[apiview]
fn ping() -> &'static str {
    "pong"
}

#[apiview]
#[allow_get]
fn get_only(a: Option<i64>) -> Option<i64> {
    a
}

#[apiview]
fn agent(user_agent: String) -> String {
    user_agent
}

#[derive(Debug, Serialize, Deserialize)]
struct Point {
    x: i64,
    y: i64,
}

#[apiview]
fn point(p: Point) -> Point {
    p
}

#[apiview]
fn ids(ids: Vec<i64>) -> Vec<i64> {
    ids
}

fn app() -> App {
    App::new(common::settings(&format!("body_limit = {LIMIT}")))
        .at("/fields", fields)
        .at("/need", need)
        .at("/small", small)
        .at("/whole", whole)
        .at("/ping", ping)
        .at("/get_only", get_only)
        .at("/agent", agent)
        .at("/point", point)
        .at("/ids", ids)
}

/// A server whose body limit is `LIMIT` bytes.
async fn server() -> TestServer {
    common::serve(app()).await
}

/// An app with the default (2 MiB) body limit, for large but acceptable bodies.
async fn roomy_server() -> TestServer {
    let app = App::new(common::settings(""))
        .at("/fields", fields)
        .at("/whole", whole)
        .at("/ids", ids)
        .at("/point", point)
        .at("/ping", ping);
    common::serve(app).await
}

async fn post(
    server: &TestServer,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> Value {
    let mut request = server.client.post(server.url(path)).body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    common::send(request).await.json
}

async fn get(server: &TestServer, path: &str) -> Value {
    common::send(server.client.get(server.url(path))).await.json
}

/// The server still answers normally.
async fn assert_alive(server: &TestServer) {
    assert_eq!(get(server, "/ping").await, ok(json!("pong")));
}

/// A raw exchange that must not hang.
async fn raw(server: &TestServer, head: &str, body: &[&[u8]]) -> RawAnswer {
    tokio::time::timeout(Duration::from_secs(20), server.raw(head, body))
        .await
        .expect("the server did not answer")
}

/// A raw answer that is a packed JSON error; its code.
fn raw_error_code(answer: &RawAnswer) -> i64 {
    assert_eq!(
        answer.header("content-type"),
        Some("application/json; charset=utf-8"),
        "{answer:?}"
    );
    code_of(&answer.json())
}

const PARAMETER_CODES: [i64; 4] = [
    common::PARSE_JSON_ERROR,
    common::BAD_PARAMETER,
    common::BAD_PARAMETER_TYPE,
    common::MISSING_PARAMETER,
];
