//! `#[requires]`: named fields, `any(…)`, string literals, and both mixed.

use super::*;

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
    // Written order: `name` comes before the `any(…)` group, so it is the one named
    // when nothing is sent (the group used to be checked first).
    assert_eq!(
        get(&server, "/requires_mixed").await,
        err(common::MISSING_PARAMETER, "Missing parameter: name.")
    );
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
