//! The fixed phase order: the method first, then the key, then the validators in
//! the order written, whatever the order of the attributes.

use super::*;

#[tokio::test]
async fn a_wrong_key_fails_before_any_parameter_check_in_either_order() {
    let server = server().await;
    let queries = ["a=50", "a=x", "", "a=1&a=2"];
    for query in queries {
        let path = format!("/acl_then_between?{query}");
        assert_eq!(
            with_key_header(&server, &path, "aclkey", "wrong").await,
            auth_failed(),
            "{path}"
        );
        let path = format!("/validators_then_acl?{query}&op=toolong");
        assert_eq!(
            with_key_header(&server, &path, "aclkey", "wrong").await,
            auth_failed(),
            "{path}"
        );
    }
    assert_eq!(
        with_key_header(&server, "/validators_then_acl", "aclkey", "wrong").await,
        auth_failed()
    );
    // A missing key is reported before the parameters too.
    assert_eq!(
        get(&server, "/validators_then_acl?a=50").await,
        err(common::MISSING_PARAMETER, "Missing parameter: aclkey.")
    );
    assert_eq!(
        get(&server, "/acl_then_between?a=x").await,
        err(common::MISSING_PARAMETER, "Missing parameter: aclkey.")
    );
    // With the right key the parameters are checked.
    let answer = with_key_header(&server, "/acl_then_between?a=50", "aclkey", "settings-key").await;
    assert_bad_parameter(&answer, "a", "50", &[]);
    let answer = with_key_header(
        &server,
        "/validators_then_acl?a=50&op=x",
        "aclkey",
        "settings-key",
    )
    .await;
    assert_bad_parameter(&answer, "a", "50", &[]);
    assert_eq!(
        with_key_header(&server, "/validators_then_acl?a=5&op=x", "aclkey", "settings-key").await,
        ok(json!(5))
    );
}

#[tokio::test]
async fn the_method_check_comes_before_everything() {
    let server = server().await;
    // Wrong method, wrong key, bad parameter: the method is reported.
    let answer = common::send(
        server
            .client
            .get(server.url("/method_first?a=x"))
            .header("aclkey", "wrong"),
    )
    .await;
    assert_eq!(answer.json, method_refused());
    // Even before the body is read: invalid JSON on the wrong method.
    let answer = common::send(
        server
            .client
            .put(server.url("/method_first"))
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_eq!(answer.json, method_refused());
    // The right method with a wrong key: the key is reported.
    let answer = common::send(
        server
            .client
            .post(server.url("/method_first?a=x"))
            .header("aclkey", "wrong"),
    )
    .await;
    assert_eq!(answer.json, auth_failed());
}

#[tokio::test]
async fn validators_run_in_written_order() {
    let server = server().await;
    assert_eq!(
        get(&server, "/requires_then_between?a=50").await,
        err(common::MISSING_PARAMETER, "Missing parameter: b.")
    );
    assert_bad_parameter(&get(&server, "/between_then_requires?a=50").await, "a", "50", &[]);
    assert_eq!(get(&server, "/requires_then_between?a=5&b=1").await, ok(json!(6)));
    assert_eq!(get(&server, "/between_then_requires?a=5&b=1").await, ok(json!(6)));
}
