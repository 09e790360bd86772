//! Body size: over the limit with a Content-Length or chunked, at or within it,
//! and a huge Content-Length refused without waiting for the body.

use super::*;

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
