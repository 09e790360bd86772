//! `#[check_aclkey]`: keys from settings, a literal, a function or a custom field,
//! read from header, query, JSON or form; empty and look-alike keys never pass.

use super::*;

/// django-apiview answers an empty key as a wrong one, and only a missing key as a
/// missing parameter (DESIGN §2.3; issue 12).
#[tokio::test]
async fn an_empty_aclkey_is_app_auth_failed_and_a_missing_one_missing_parameter() {
    let server = server().await;
    assert_eq!(get(&server, "/acl_settings?aclkey=").await, auth_failed());
    assert_eq!(
        post_json(&server, "/acl_settings", json!({"aclkey": ""})).await,
        auth_failed()
    );
    let answer = server
        .client
        .get(server.url("/acl_settings"))
        .header("aclkey", "")
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(answer, auth_failed());
    for missing in ["/acl_settings", "/acl_settings?other=1"] {
        let answer = get(&server, missing).await;
        assert_eq!(common::code_of(&answer), 1001060001, "{missing}: {answer}");
    }
    let answer = post_json(&server, "/acl_settings", json!({"aclkey": null})).await;
    assert_eq!(common::code_of(&answer), 1001060001, "{answer}");
}

#[tokio::test]
async fn aclkey_from_settings_aclkey_and_aclkeys() {
    let server = server().await;
    for key in ["settings-key", "settings-key-2", "settings-key-3"] {
        assert_eq!(
            with_key_header(&server, "/acl_settings", "aclkey", key).await,
            ok(json!("ok")),
            "{key}"
        );
    }
    assert_eq!(
        with_key_header(&server, "/acl_settings", "aclkey", "nope").await,
        auth_failed()
    );
    assert_eq!(
        get(&server, "/acl_settings").await,
        err(common::MISSING_PARAMETER, "Missing parameter: aclkey.")
    );
}

#[tokio::test]
async fn aclkey_in_header_query_json_or_form() {
    let server = server().await;
    assert_eq!(
        with_key_header(&server, "/acl_settings", "AclKey", "settings-key").await,
        ok(json!("ok"))
    );
    assert_eq!(
        get(&server, "/acl_settings?aclkey=settings-key").await,
        ok(json!("ok"))
    );
    assert_eq!(
        post_json(&server, "/acl_settings", json!({"aclkey": "settings-key"})).await,
        ok(json!("ok"))
    );
    let answer = common::send(
        server
            .client
            .post(server.url("/acl_settings"))
            .form(&[("aclkey", "settings-key")]),
    )
    .await;
    assert_eq!(answer.json, ok(json!("ok")));
    // A wrong key in a stronger source is not rescued by a right one in a weaker.
    let answer = common::send(
        server
            .client
            .get(server.url("/acl_settings?aclkey=wrong"))
            .header("aclkey", "settings-key"),
    )
    .await;
    assert_eq!(answer.json, auth_failed());
}

#[tokio::test]
async fn aclkey_lookalikes_never_pass() {
    let server = server().await;
    for key in [
        "settings-keyx",
        "settings-ke",
        "Settings-key",
        "SETTINGS-KEY",
        " settings-key",
        "settings-key ",
        "settings-key\t",
    ] {
        let answer = post_json(&server, "/acl_settings", json!({"aclkey": key})).await;
        assert_eq!(answer, auth_failed(), "{key:?}");
    }
    for body in [
        json!({"aclkey": ["settings-key"]}),
        json!({"aclkey": {"settings-key": true}}),
        json!({"aclkey": true}),
        json!({"aclkey": 0}),
    ] {
        let answer = post_json(&server, "/acl_settings", body.clone()).await;
        assert_eq!(answer["success"], false, "{body}: {answer}");
    }
    let answer = get(&server, "/acl_settings?aclkey=settings-key&aclkey=wrong").await;
    assert_eq!(answer["success"], false, "{answer}");
}

#[tokio::test]
async fn aclkey_given_as_a_literal_replaces_the_settings() {
    let server = server().await;
    assert_eq!(
        with_key_header(&server, "/acl_literal", "aclkey", "literal-key").await,
        ok(json!("ok"))
    );
    assert_eq!(
        with_key_header(&server, "/acl_literal", "aclkey", "settings-key").await,
        auth_failed()
    );
    assert_eq!(
        with_key_header(&server, "/acl_list", "aclkey", "list-key-a").await,
        ok(json!("ok"))
    );
    assert_eq!(
        with_key_header(&server, "/acl_list", "aclkey", "list-key-b").await,
        ok(json!("ok"))
    );
    assert_eq!(
        with_key_header(&server, "/acl_list", "aclkey", "literal-key").await,
        auth_failed()
    );
    assert_eq!(
        with_key_header(&server, "/acl_list", "aclkey", "settings-key").await,
        auth_failed()
    );
}

#[tokio::test]
async fn aclkey_from_a_function() {
    let server = server().await;
    assert_eq!(
        with_key_header(&server, "/acl_function", "aclkey", "fn-key-2").await,
        ok(json!("ok"))
    );
    assert_eq!(
        with_key_header(&server, "/acl_function", "aclkey", "settings-key").await,
        auth_failed()
    );
    assert_eq!(
        with_key_header(&server, "/acl_function_single", "aclkey", "single-fn-key").await,
        ok(json!("ok"))
    );
    assert_eq!(
        with_key_header(&server, "/acl_function_single", "aclkey", "fn-key-1").await,
        auth_failed()
    );
}

#[tokio::test]
async fn aclkey_in_a_custom_field() {
    let server = server().await;
    assert_eq!(
        with_key_header(&server, "/acl_field", "apikey", "settings-key").await,
        ok(json!("ok"))
    );
    assert_eq!(
        get(&server, "/acl_field?apikey=settings-key").await,
        ok(json!("ok"))
    );
    assert_eq!(
        with_key_header(&server, "/acl_field", "aclkey", "settings-key").await,
        err(common::MISSING_PARAMETER, "Missing parameter: apikey.")
    );
    assert_eq!(
        with_key_header(&server, "/acl_field", "apikey", "bad").await,
        auth_failed()
    );
}

#[tokio::test]
async fn an_empty_configured_key_never_matches() {
    let server = common::serve(app("aclkey = ''\naclkeys = ['', 'only-real-key']")).await;
    for key in ["", "x", " "] {
        let answer = get(&server, &format!("/acl_settings?aclkey={key}")).await;
        assert_eq!(answer["success"], false, "{key:?}: {answer}");
        assert!(
            [common::MISSING_PARAMETER, common::APP_AUTH_FAILED].contains(&code_of(&answer)),
            "{answer}"
        );
        let answer = post_json(&server, "/acl_settings", json!({"aclkey": key})).await;
        assert_eq!(answer["success"], false, "{key:?}: {answer}");
    }
    assert_eq!(
        get(&server, "/acl_settings?aclkey=only-real-key").await,
        ok(json!("ok"))
    );

    // No key configured at all: nothing passes.
    let server = common::serve(app("")).await;
    for key in ["", "x"] {
        let answer = post_json(&server, "/acl_settings", json!({"aclkey": key})).await;
        assert_eq!(answer["success"], false, "{key:?}: {answer}");
    }
    assert_eq!(get(&server, "/acl_settings?aclkey=x").await, auth_failed());

    // A function returning an empty key.
    let answer = post_json(&server, "/acl_function_empty", json!({"aclkey": ""})).await;
    assert_eq!(answer["success"], false, "{answer}");
    assert_eq!(get(&server, "/acl_function_empty?aclkey=x").await, auth_failed());
}
