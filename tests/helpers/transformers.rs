//! Transformers: `body_alias`, `cookie_variable`, `meta_variable` and
//! `header_variable`.

use super::*;

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
