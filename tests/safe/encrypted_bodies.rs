//! `#[decode_encrypted_data]` and the safe packer's automatic decryption: the
//! decrypted fields reach the function and its validators, merge with plain ones,
//! come in JSON or form bodies; a plain body is refused where decryption is asked
//! for.

use super::*;

#[tokio::test]
async fn decode_encrypted_data_hands_the_decrypted_fields_to_function_and_validators() {
    let files = KeyFiles::new();
    let server = standard_server(&files).await;
    let public = server_public();

    let answer = post_json(
        &server,
        "/decode_echo",
        &encrypted(&public, &json!({"msg": "hello"})),
    )
    .await;
    assert_eq!(
        answer.json,
        ok(json!({"msg": "hello", "extra": null, "note": null}))
    );
    // Validators see the decrypted value.
    let answer = post_json(&server, "/decode_echo", &encrypted(&public, &json!({"msg": "x"}))).await;
    assert_eq!(answer.json, err(STRING_TOO_SHORT, "String shorter than 2."));
    let answer = post_json(
        &server,
        "/decode_echo",
        &encrypted(&public, &json!({"msg": "far too long!"})),
    )
    .await;
    assert_eq!(answer.json, err(STRING_TOO_LONG, "String longer than 10."));
    // Characters, not bytes.
    let answer = post_json(
        &server,
        "/decode_echo",
        &encrypted(&public, &json!({"msg": "十个字符十个字符十个"})),
    )
    .await;
    assert_eq!(
        answer.json,
        ok(json!({"msg": "十个字符十个字符十个", "extra": null, "note": null}))
    );
    // Types are read as for a plain JSON body: a string parameter takes a JSON string.
    let answer = post_json(
        &server,
        "/decode_echo",
        &encrypted(&public, &json!({"msg": "hello", "extra": "42"})),
    )
    .await;
    assert_eq!(answer.json["success"], true, "{}", answer.json);
    let answer = post_json(
        &server,
        "/decode_echo",
        &encrypted(&public, &json!({"msg": "hello", "extra": 42})),
    )
    .await;
    assert_eq!(common::code_of(&answer.json), 1001060003, "{}", answer.json);
    // A missing parameter inside the encrypted part is a missing parameter.
    let answer = post_json(
        &server,
        "/decode_echo",
        &encrypted(&public, &json!({"extra": "e"})),
    )
    .await;
    assert_eq!(answer.json, err(MISSING_PARAMETER, "Missing parameter: msg."));
}

#[tokio::test]
async fn plain_fields_merge_with_decrypted_ones_and_decrypted_fields_win() {
    let files = KeyFiles::new();
    let server = standard_server(&files).await;
    let public = server_public();

    let body = merged(
        encrypted(&public, &json!({"msg": "secret", "note": "sealed"})),
        json!({"msg": "plain-msg", "extra": "plain"}),
    );
    let answer = post_json(&server, "/decode_echo?note=query&extra=query", &body).await;
    assert_eq!(
        answer.json,
        ok(json!({"msg": "secret", "extra": "plain", "note": "sealed"}))
    );
    // The query still fills what neither part of the body has.
    let answer = post_json(
        &server,
        "/decode_echo?note=query",
        &encrypted(&public, &json!({"msg": "secret"})),
    )
    .await;
    assert_eq!(
        answer.json,
        ok(json!({"msg": "secret", "extra": null, "note": "query"}))
    );
}

#[tokio::test]
async fn decode_encrypted_data_reads_form_bodies_too() {
    let files = KeyFiles::new();
    let server = standard_server(&files).await;
    let body = encrypted(&server_public(), &json!({"msg": "secret", "note": "sealed"}));
    let form = [
        ("encryptedPassword", field(&body, "encryptedPassword")),
        ("encryptedData", field(&body, "encryptedData")),
        ("msg", "plain-msg"),
        ("extra", "plain"),
    ];
    let answer = post_form(&server, "/decode_echo", &form).await;
    assert_eq!(
        answer.json,
        ok(json!({"msg": "secret", "extra": "plain", "note": "sealed"}))
    );
    let answer = post_form(&server, "/decode_echo", &[("msg", "hello")]).await;
    assert_eq!(
        answer.json,
        err(MISSING_PARAMETER, "Missing parameter: encryptedPassword.")
    );
}

#[tokio::test]
async fn explicit_decode_encrypted_data_refuses_a_plain_body() {
    let files = KeyFiles::new();
    let server = standard_server(&files).await;
    let missing_password = err(MISSING_PARAMETER, "Missing parameter: encryptedPassword.");

    assert_eq!(
        post_json(&server, "/decode_echo", &json!({"msg": "hello"}))
            .await
            .json,
        missing_password
    );
    assert_eq!(
        get(&server, "/decode_echo?msg=hello").await.json,
        missing_password
    );
    assert_eq!(
        post_json(&server, "/decode_echo", &json!(["msg", "hello"]))
            .await
            .json,
        missing_password
    );
    let body = encrypted(&server_public(), &json!({"msg": "hello"}));
    assert_eq!(
        post_json(
            &server,
            "/decode_echo",
            &json!({"encryptedPassword": body["encryptedPassword"], "msg": "hello"})
        )
        .await
        .json,
        err(MISSING_PARAMETER, "Missing parameter: encryptedData.")
    );
}

#[tokio::test]
async fn safe_endpoints_decode_encrypted_bodies_automatically_when_the_server_has_a_key() {
    let files = KeyFiles::new();
    let server = standard_server(&files).await;
    let k = keys();
    let public = server_public();

    let answer = post_json(
        &server,
        "/safe_echo?clientId=alice",
        &signed_body(&k.alice, "alice", "POST", "/safe_echo", &json!({"msg": "hello"})),
    )
    .await;
    assert_eq!(
        open_answer(&k.alice, &answer.json),
        ok(json!({"msg": "hello", "extra": null}))
    );
    let answer = post_json(
        &server,
        "/safe_echo?clientId=alice",
        &signed_body(&k.alice, "alice", "POST", "/safe_echo", &json!({"msg": "x"})),
    )
    .await;
    assert_eq!(
        open_answer(&k.alice, &answer.json),
        err(STRING_TOO_SHORT, "String shorter than 2.")
    );
    // A plain body is still accepted there.
    let answer = post_json(&server, "/safe_echo?clientId=alice", &json!({"msg": "plain"})).await;
    assert_eq!(
        open_answer(&k.alice, &answer.json),
        ok(json!({"msg": "plain", "extra": null}))
    );

    // Without a server key nothing is decrypted: the encrypted body is just fields.
    let settings = files.settings("", None, &[("alice", "alice.pub.pem")], "");
    let keyless = common::serve(App::new(settings).at("/safe_echo", safe_echo)).await;
    let answer = post_json(
        &keyless,
        "/safe_echo?clientId=alice",
        &encrypted(&public, &json!({"msg": "hello"})),
    )
    .await;
    assert_eq!(
        open_answer(&k.alice, &answer.json),
        err(MISSING_PARAMETER, "Missing parameter: msg.")
    );
}
