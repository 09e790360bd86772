//! Malformed requests over real HTTP (issue "Bad input", DESIGN §9): each gets a
//! packed JSON error with its catalogue code, never a 500 page, a panic or a dropped
//! connection, and the server keeps serving.

mod common;

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

// ---- invalid JSON ------------------------------------------------------------------

#[tokio::test]
async fn invalid_json_under_a_json_content_type_is_a_parse_json_error() {
    let server = server().await;
    for content_type in [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/vnd.api+json",
        "application/problem+json",
    ] {
        let answer = post(&server, "/fields", Some(content_type), "{\"a\": 1,").await;
        assert_eq!(
            answer,
            err(common::PARSE_JSON_ERROR, "Parse json error. Raw text {\"a\": 1,."),
            "{content_type}"
        );
    }
    for body in ["{", "nope", "{'a': 1}", "[1, 2", "{\"a\": 01}", "\u{feff}{}"] {
        let answer = post(&server, "/fields", Some("application/json"), body).await;
        assert_eq!(code_of(&answer), common::PARSE_JSON_ERROR, "{body:?}");
    }
    // Invalid JSON fails even on an endpoint whose only parameter has another source.
    let answer = post(&server, "/whole", Some("application/json"), "{oops").await;
    assert_eq!(code_of(&answer), common::PARSE_JSON_ERROR);
    assert_alive(&server).await;
}

#[tokio::test]
async fn a_long_invalid_json_body_is_reported_without_failing() {
    let server = roomy_server().await;
    let body = format!("{{\"a\": \"{}", "x".repeat(100_000));
    let answer = post(&server, "/fields", Some("application/json"), body).await;
    assert_eq!(code_of(&answer), common::PARSE_JSON_ERROR);
    assert_alive(&server).await;
}

// ---- bodies that are not objects ---------------------------------------------------

#[tokio::test]
async fn a_json_body_that_is_not_an_object_has_no_named_fields() {
    let server = server().await;
    for body in ["[1, 2, 3]", "42", "\"a\"", "null", "true", "[{\"a\": 1}]"] {
        let answer = post(&server, "/fields", Some("application/json"), body).await;
        assert_eq!(answer, ok(json!({"a": null, "name": null})), "{body}");
        let answer = post(&server, "/need", Some("application/json"), body).await;
        assert_eq!(
            answer,
            err(common::MISSING_PARAMETER, "Missing parameter: a."),
            "{body}"
        );
    }
    // Other sources still fill the parameters.
    let answer = post(&server, "/need?a=3", Some("application/json"), "[1]").await;
    assert_eq!(answer, ok(json!(3)));
}

#[tokio::test]
async fn body_alias_still_receives_a_body_that_is_not_an_object() {
    let server = server().await;
    for body in [
        json!([1, 2, 3]),
        json!(42),
        json!("text"),
        json!(true),
        json!([{"a": 1}]),
    ] {
        let answer = post(&server, "/whole", Some("application/json"), body.to_string()).await;
        assert_eq!(answer, ok(body.clone()), "{body}");
    }
    let answer = post(&server, "/whole", Some("application/json"), "null").await;
    assert_eq!(answer, ok(Value::Null));
}

/// A JSON object body's fields are found without building its tree; what is accepted,
/// and what each field and the whole body read as, must stay what serde_json reads.
#[tokio::test]
async fn a_json_object_body_reads_as_serde_json_reads_it() {
    let server = roomy_server().await;
    let nested = |depth: usize| format!(r#"{{"a":1,"deep":{}0{}}}"#, "[".repeat(depth), "]".repeat(depth));
    let bodies = [
        r#"{"a":1,"name":"x","a":"2","name":"last"}"#.to_owned(),
        r#"{"\u0061":3,"n\u0061me":"esc\"aped\n"}"#.to_owned(),
        r#"{"a":"  7 ","name":"\ud83d\ude00 é"}"#.to_owned(),
        r#"{"name":"\ud800"}"#.to_owned(),
        r#"{"a":1e999}"#.to_owned(),
        r#"{"a":1,"a":}"#.to_owned(),
        r#"{"a":1} {}"#.to_owned(),
        nested(120),
        nested(130),
    ];
    for body in bodies {
        let as_whole = post(&server, "/whole", Some("application/json"), body.clone()).await;
        let as_fields = post(&server, "/fields", Some("application/json"), body.clone()).await;
        match serde_json::from_str::<Value>(&body) {
            Ok(parsed) => {
                assert_eq!(as_whole, ok(parsed.clone()), "{body}");
                let a = parsed["a"]
                    .as_i64()
                    .or_else(|| parsed["a"].as_str()?.trim().parse().ok());
                assert_eq!(as_fields, ok(json!({"a": a, "name": parsed["name"]})), "{body}");
            }
            Err(_) => {
                assert_eq!(code_of(&as_whole), common::PARSE_JSON_ERROR, "{body}: {as_whole}");
                assert_eq!(
                    code_of(&as_fields),
                    common::PARSE_JSON_ERROR,
                    "{body}: {as_fields}"
                );
            }
        }
    }
    assert_alive(&server).await;
}

// ---- invalid UTF-8 -------------------------------------------------------------------

#[tokio::test]
async fn invalid_utf8_in_a_json_body_is_a_parse_json_error() {
    let server = server().await;
    let answer = post(
        &server,
        "/fields",
        Some("application/json"),
        b"{\"name\": \"\xff\xfe\"}".to_vec(),
    )
    .await;
    assert_eq!(code_of(&answer), common::PARSE_JSON_ERROR, "{answer}");
    assert_alive(&server).await;
}

#[tokio::test]
async fn invalid_utf8_in_a_form_body_is_a_packed_error() {
    let server = server().await;
    let answer = post(
        &server,
        "/fields",
        Some("application/x-www-form-urlencoded"),
        b"name=\xff\xfe&a=1".to_vec(),
    )
    .await;
    assert!(PARAMETER_CODES.contains(&code_of(&answer)), "{answer}");
    assert_alive(&server).await;
}

#[tokio::test]
async fn invalid_utf8_in_a_multipart_field_is_handled() {
    let server = roomy_server().await;
    let (content_type, mut body) =
        common::multipart(&[Part::File("f", "f.bin", b"data"), Part::Text("name", "ok")]);
    body.truncate(body.len() / 2);
    // A multipart body cut short is malformed.
    let answer = post(&server, "/fields", Some(&content_type), body).await;
    assert!(PARAMETER_CODES.contains(&code_of(&answer)), "{answer}");

    let (content_type, mut body) = common::multipart(&[Part::Text("name", "A_B")]);
    let at = body.windows(3).position(|w| w == b"A_B").unwrap();
    body[at + 1] = 0xff;
    let answer = post(&server, "/fields", Some(&content_type), body).await;
    match answer["success"].as_bool() {
        Some(true) => assert_eq!(answer["result"]["name"], "A\u{fffd}B", "{answer}"),
        _ => assert!(PARAMETER_CODES.contains(&code_of(&answer)), "{answer}"),
    }
    assert_alive(&server).await;
}

#[tokio::test]
async fn invalid_utf8_elsewhere_is_ignored_or_refused_cleanly() {
    let server = server().await;
    // Not JSON, not a form: ignored.
    let answer = post(
        &server,
        "/fields?a=2",
        Some("text/plain"),
        b"\xff\xfe\xfd".to_vec(),
    )
    .await;
    assert_eq!(answer, ok(json!({"a": 2, "name": null})));
    // Percent-encoded invalid UTF-8 in the query or a form: refused, not patched
    // with U+FFFD (issue 12, D11), even for an optional parameter.
    let answer = get(&server, "/fields?name=%FF%FE").await;
    assert_eq!(code_of(&answer), 1001060003, "{answer}");
    assert!(message_of(&answer).contains("name"), "{answer}");
    let form = Some("application/x-www-form-urlencoded");
    let answer = post(&server, "/fields", form, "a=1&name=%FF%FE").await;
    assert_eq!(code_of(&answer), 1001060003, "{answer}");
    let answer = post(&server, "/fields", form, "a=1&other=%FF&name=caf%C3%A9").await;
    assert_eq!(
        answer,
        ok(json!({"a": 1, "name": "café"})),
        "a field nobody reads may be anything"
    );
    // A header value that is not UTF-8, read as a parameter.
    let answer = raw(&server, "GET /agent HTTP/1.1\r\nUser-Agent: \u{0}", &[]).await;
    assert_ne!(answer.status, 500, "{answer:?}");
    let head = b"GET /agent HTTP/1.1\r\nUser-Agent: caf\xe9".to_vec();
    let answer = raw_bytes_head(&server, &head).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(PARAMETER_CODES.contains(&raw_error_code(&answer)), "{answer:?}");
    assert_alive(&server).await;
}

/// Like `TestServer::raw`, for a head that is not UTF-8.
async fn raw_bytes_head(server: &TestServer, head: &[u8]) -> RawAnswer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
        stream.write_all(head).await.unwrap();
        stream
            .write_all(format!("\r\nHost: {}\r\nConnection: close\r\n\r\n", server.addr()).as_bytes())
            .await
            .unwrap();
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).await.unwrap();
        bytes
    };
    let bytes = tokio::time::timeout(Duration::from_secs(20), exchange)
        .await
        .expect("the server did not answer");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no answer: {text:?}"));
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    RawAnswer {
        status,
        headers: lines
            .filter_map(|line| line.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect(),
        body: body.as_bytes().to_vec(),
    }
}

// ---- content types -------------------------------------------------------------------

#[tokio::test]
async fn json_under_another_content_type_is_accepted() {
    let server = server().await;
    let body = r#"{"a": 5, "name": "n"}"#;
    for content_type in [None, Some("application/octet-stream"), Some("weird")] {
        let answer = post(&server, "/fields", content_type, body).await;
        assert_eq!(answer, ok(json!({"a": 5, "name": "n"})), "{content_type:?}");
    }
}

/// A browser posts `text/plain` cross-site without a preflight: a JSON-looking form
/// post must not reach an endpoint's parameters (DESIGN §2.1).
#[tokio::test]
async fn a_text_plain_body_is_not_parsed_unless_the_settings_say_so() {
    let body = r#"{"a": 5, "name": "n"}"#;
    for content_type in ["text/plain", "text/plain; charset=utf-8", "TEXT/PLAIN"] {
        let answer = post(&server().await, "/fields?name=q", Some(content_type), body).await;
        assert_eq!(answer, ok(json!({"a": null, "name": "q"})), "{content_type}");
    }
    let parsing =
        common::serve(App::new(common::settings("parse_untyped_bodies = true")).at("/fields", fields)).await;
    let answer = post(&parsing, "/fields", Some("text/plain"), body).await;
    assert_eq!(answer, ok(json!({"a": 5, "name": "n"})));
}

#[tokio::test]
async fn a_body_that_is_not_json_under_another_content_type_is_ignored() {
    let server = server().await;
    for (content_type, body) in [
        (Some("text/plain"), "hello there"),
        (Some("application/xml"), "<a>1</a>"),
        (None, "a=1&name=x"),
        (Some("text/plain"), "{\"a\": "),
        (Some(";;;"), "{"),
    ] {
        let answer = post(&server, "/fields?name=q", content_type, body).await;
        assert_eq!(
            answer,
            ok(json!({"a": null, "name": "q"})),
            "{content_type:?} {body:?}"
        );
    }
}

#[tokio::test]
async fn a_malformed_multipart_body_is_a_packed_error() {
    let server = server().await;
    for (content_type, body) in [
        ("multipart/form-data", "--x\r\n\r\n"),
        (
            "multipart/form-data; boundary=xyz",
            "garbage, no boundary anywhere",
        ),
        (
            "multipart/form-data; boundary=xyz",
            "--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1",
        ),
    ] {
        let answer = post(&server, "/fields", Some(content_type), body).await;
        assert!(
            PARAMETER_CODES.contains(&code_of(&answer)),
            "{content_type} {body:?}: {answer}"
        );
    }
    assert_alive(&server).await;
}

#[tokio::test]
async fn json_text_in_a_form_body_is_just_a_form() {
    let server = server().await;
    let answer = post(
        &server,
        "/fields",
        Some("application/x-www-form-urlencoded"),
        r#"{"a": 5}"#,
    )
    .await;
    assert_eq!(answer, ok(json!({"a": null, "name": null})));
}

// ---- body size -------------------------------------------------------------------------

fn too_large(size: usize) -> Value {
    err(
        common::TOO_LARGE_REQUEST_ERROR,
        &format!("Too large request error: {size} > {LIMIT}."),
    )
}

#[tokio::test]
async fn a_body_over_the_limit_with_content_length_is_refused() {
    let server = server().await;
    let body = format!("{{\"name\": \"{}\"}}", "x".repeat(100));
    let size = body.len();
    assert_eq!(
        post(&server, "/fields", Some("application/json"), body).await,
        too_large(size)
    );
    let form = format!("name={}", "y".repeat(LIMIT));
    let size = form.len();
    assert_eq!(
        post(
            &server,
            "/fields",
            Some("application/x-www-form-urlencoded"),
            form
        )
        .await,
        too_large(size)
    );
    let (content_type, body) = common::multipart(&[Part::Text("name", &"z".repeat(LIMIT))]);
    let size = body.len();
    assert_eq!(
        post(&server, "/fields", Some(&content_type), body).await,
        too_large(size)
    );
    // Invalid JSON over the limit: refused for its size, before parsing.
    let body = "{".repeat(LIMIT + 1);
    assert_eq!(
        post(&server, "/fields", Some("application/json"), body).await,
        too_large(LIMIT + 1)
    );
    assert_alive(&server).await;
}

#[tokio::test]
async fn a_body_at_the_limit_is_accepted() {
    let server = server().await;
    let mut body = json!({"name": ""}).to_string();
    let padding = "n".repeat(LIMIT - body.len());
    body = json!({"name": padding}).to_string();
    assert_eq!(body.len(), LIMIT);
    assert_eq!(
        post(&server, "/fields", Some("application/json"), body).await,
        ok(json!({"a": null, "name": padding}))
    );
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_refused() {
    let server = server().await;
    let chunk = format!("{:x}\r\n{}\r\n", 40, "x".repeat(40));
    let chunks: Vec<&[u8]> = vec![chunk.as_bytes(); 5];
    let mut parts = chunks.clone();
    parts.push(b"0\r\n\r\n");
    let answer = raw(
        &server,
        "POST /fields HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked",
        &parts,
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(answer.header("x-request-id").is_some(), "{answer:?}");
    let packed = answer.json();
    assert_eq!(code_of(&packed), common::TOO_LARGE_REQUEST_ERROR, "{packed}");
    let message = packed["error"]["message"].as_str().unwrap();
    assert!(message.ends_with(&format!(" > {LIMIT}.")), "{message}");
    assert_alive(&server).await;
}

#[tokio::test]
async fn a_chunked_body_within_the_limit_is_read() {
    let server = server().await;
    let answer = raw(
        &server,
        "POST /fields HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked",
        &[b"5\r\n{\"a\":\r\n", b"3\r\n 7}\r\n", b"0\r\n\r\n"],
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json(), ok(json!({"a": 7, "name": null})));
}

#[tokio::test]
async fn a_huge_content_length_is_refused_without_waiting_for_the_body() {
    let server = server().await;
    // The body is never sent: the answer must come from the header alone.
    let answer = raw(
        &server,
        "POST /fields HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 1000000000000",
        &[],
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json(), too_large(1_000_000_000_000));
    // A client waiting for `100 Continue` gets the refusal instead.
    let answer = raw(
        &server,
        "POST /fields HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\nExpect: 100-continue",
        &[],
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json(), too_large(100_000));
}

// ---- numbers and arrays ------------------------------------------------------------------

#[tokio::test]
async fn a_number_overflowing_the_type_is_a_bad_parameter_type() {
    let server = server().await;
    for answer in [
        get(&server, "/small?n=300").await,
        get(&server, "/small?n=256").await,
        get(&server, "/small?n=-1").await,
        post(&server, "/small", Some("application/json"), r#"{"n": 300}"#).await,
        post(&server, "/small", Some("application/json"), r#"{"n": 1e400}"#).await,
        get(&server, "/need?a=99999999999999999999999").await,
        post(
            &server,
            "/need",
            Some("application/json"),
            r#"{"a": 18446744073709551616}"#,
        )
        .await,
    ] {
        let message = answer["error"]["message"].as_str().unwrap_or("").to_owned();
        // 1e400 is not even valid JSON for serde_json: a parse error is fine there.
        if code_of(&answer) == common::PARSE_JSON_ERROR {
            continue;
        }
        assert_eq!(code_of(&answer), common::BAD_PARAMETER_TYPE, "{answer}");
        assert!(
            message.starts_with("Bad parameter type: n") || message.starts_with("Bad parameter type: a"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn an_array_where_a_scalar_is_expected_is_a_bad_parameter_type() {
    let server = server().await;
    for answer in [
        post(&server, "/need", Some("application/json"), r#"{"a": [1, 2]}"#).await,
        post(&server, "/need", Some("application/json"), r#"{"a": []}"#).await,
        get(&server, "/need?a=1&a=2").await,
        post(&server, "/fields", Some("application/json"), r#"{"name": ["x"]}"#).await,
        post(
            &server,
            "/fields",
            Some("application/x-www-form-urlencoded"),
            "a=1&a=2",
        )
        .await,
    ] {
        assert_eq!(code_of(&answer), common::BAD_PARAMETER_TYPE, "{answer}");
    }
}

// ---- methods -----------------------------------------------------------------------------

#[tokio::test]
async fn an_unknown_or_unallowed_method_is_refused() {
    let server = server().await;
    let refused = err(common::NOT_SUPPORTED_HTTP_METHOD, "Not supported http method.");
    for (method, path) in [
        ("PURGE", "/fields"),
        ("FOO-BAR", "/fields"),
        ("PUT", "/fields"),
        ("DELETE", "/need"),
        ("PATCH", "/whole"),
        ("PUT", "/get_only"),
        ("POST", "/get_only"),
        ("TRACE", "/ping"),
    ] {
        let request = server.client.request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            server.url(path),
        );
        assert_eq!(common::send(request).await.json, refused, "{method} {path}");
    }
    // By hand too, with a body.
    let answer = raw(
        &server,
        "PURGE /fields HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 8",
        &[b"{\"a\": 1}"],
    )
    .await;
    assert_eq!(answer.json(), refused);
    assert_alive(&server).await;
}

// ---- nesting -------------------------------------------------------------------------------

#[tokio::test]
async fn deeply_nested_json_does_not_crash_the_server() {
    let server = roomy_server().await;
    let depth = 10_000;
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    for body in [&arrays, &objects] {
        for content_type in [Some("application/json"), Some("text/plain"), None] {
            for path in ["/fields", "/whole", "/point"] {
                let answer = post(&server, path, content_type, body.clone()).await;
                if answer["success"] == false {
                    assert!(
                        PARAMETER_CODES.contains(&code_of(&answer)),
                        "{path} {content_type:?}: {answer}"
                    );
                }
            }
        }
    }
    // Nested inside a field, and as query text coerced to a list or a struct.
    let inner = format!("{{\"p\": {arrays}}}");
    let answer = post(&server, "/point", Some("application/json"), inner).await;
    assert_eq!(answer["success"], false, "{answer}");
    let deep_query = format!("{}{}", "%5B".repeat(5_000), "%5D".repeat(5_000));
    for path in [format!("/ids?ids={deep_query}"), format!("/point?p={deep_query}")] {
        let answer = get(&server, &path).await;
        assert_eq!(code_of(&answer), common::BAD_PARAMETER_TYPE, "{answer}");
    }
    assert_alive(&server).await;
}

// ---- headers -------------------------------------------------------------------------------

#[tokio::test]
async fn a_large_header_is_served() {
    let server = server().await;
    let long_agent = "a".repeat(32 * 1024);
    let answer = common::send(
        server
            .client
            .get(server.url("/agent"))
            .header("user-agent", long_agent.clone()),
    )
    .await;
    assert_eq!(answer.json, ok(json!(long_agent)));
    let mut request = server.client.get(server.url("/fields?a=1"));
    for i in 0..90 {
        request = request.header(format!("x-filler-{i}"), "v".repeat(100));
    }
    assert_eq!(
        common::send(request).await.json,
        ok(json!({"a": 1, "name": null}))
    );
}

// A head over hyper's limits (about 400 kB, or more than 100 headers) is refused by
// the HTTP layer before poem or the App sees it: an honest 431 answer, not a packed
// error (nothing of apiview runs), and never a dropped connection. The README lists
// this exception.
#[tokio::test]
async fn a_huge_header_is_refused_with_431_not_a_dropped_connection() {
    let server = server().await;
    let head = format!("GET /fields HTTP/1.1\r\nX-Huge: {}", "h".repeat(1024 * 1024));
    let answer = raw(&server, &head, &[]).await;
    assert_eq!(answer.status, 431, "{answer:?}");
    assert_alive(&server).await;
}

#[tokio::test]
async fn too_many_headers_are_refused_with_431_not_a_dropped_connection() {
    let server = server().await;
    let mut head = String::from("GET /fields?a=1 HTTP/1.1");
    for i in 0..150 {
        head.push_str(&format!("\r\nX-Filler-{i}: v"));
    }
    let answer = raw(&server, &head, &[]).await;
    assert_eq!(answer.status, 431, "{answer:?}");
    assert_alive(&server).await;
}

/// An answer never carries much of what a client sent (issue 12, D11).
#[tokio::test]
async fn a_parse_error_quotes_at_most_64_bytes_of_the_body() {
    let server = roomy_server().await;
    let body = format!("{{\"a\": {}", "9".repeat(1000));
    let answer = post(&server, "/fields", Some("application/json"), body).await;
    assert_eq!(code_of(&answer), common::PARSE_JSON_ERROR);
    let message = message_of(&answer);
    let quoted = message
        .strip_prefix("Parse json error. Raw text ")
        .and_then(|rest| rest.strip_suffix("….").or_else(|| rest.strip_suffix('.')))
        .unwrap_or_else(|| panic!("{message}"));
    assert_eq!(quoted.len(), 64, "{message}");
}
