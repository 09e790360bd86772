//! Injection by type: `ApiRequest` by reference or by value, the data bag, request
//! ids, percent-decoding, poem extractors.

use super::*;

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
