//! Sources and their precedence: path, then body (JSON or form), then query, then
//! header.

use super::*;

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
