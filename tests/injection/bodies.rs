//! Bodies and headers: multipart text fields, `_payload` as the whole body, a
//! parameter named after a header.

use super::*;

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
