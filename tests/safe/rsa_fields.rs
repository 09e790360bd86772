//! `#[rsa_decrypt]` fields: RSA-OAEP-SHA256 blobs, PKCS#1 v1.5 only when
//! `safe.allow_pkcs1v15` opts in, an endpoint's own key file, absent fields.

use super::*;

/// PKCS#1 v1.5 `#[rsa_decrypt]` fields are refused by default, with the answer
/// every undecryptable blob gets, and accepted with `safe.allow_pkcs1v15 = true`.
#[tokio::test]
async fn pkcs1_v15_rsa_fields_are_refused_unless_allow_pkcs1v15() {
    let files = KeyFiles::new();
    let server = standard_server(&files).await;
    let public = server_public();
    let pkcs1 = B64.encode(
        public
            .encrypt(&mut rand::rngs::OsRng, Pkcs1v15Encrypt, b"old client")
            .unwrap(),
    );
    assert_eq!(
        post_json(&server, "/login", &json!({"password": pkcs1}))
            .await
            .json,
        err(BAD_PARAMETER, "Bad parameter: password. cannot be decrypted.")
    );
    let opted_in = common::serve(routes(App::new(files.standard("", "allow_pkcs1v15 = true")))).await;
    assert_eq!(
        post_json(&opted_in, "/login", &json!({"password": pkcs1}))
            .await
            .json,
        ok(json!("old client"))
    );
}

#[tokio::test]
async fn rsa_decrypt_accepts_oaep_sha256_and_pkcs1_v15_blobs_when_allowed() {
    let files = KeyFiles::new();
    let server = common::serve(routes(App::new(files.standard("", "allow_pkcs1v15 = true")))).await;
    let public = server_public();

    let oaep = cipher::encrypt_key_bytes(&public, "correct horse 密码".as_bytes()).unwrap();
    assert_eq!(
        get_query(&server, "/login", &[("password", oaep.as_str())])
            .await
            .json,
        ok(json!("correct horse 密码"))
    );
    assert_eq!(
        post_json(&server, "/login", &json!({"password": oaep}))
            .await
            .json,
        ok(json!("correct horse 密码"))
    );
    assert_eq!(
        post_form(&server, "/login", &[("password", oaep.as_str())])
            .await
            .json,
        ok(json!("correct horse 密码"))
    );

    let pkcs1 = B64.encode(
        public
            .encrypt(&mut rand::rngs::OsRng, Pkcs1v15Encrypt, b"old client")
            .unwrap(),
    );
    assert_eq!(
        post_json(&server, "/login", &json!({"password": pkcs1}))
            .await
            .json,
        ok(json!("old client"))
    );
    assert_eq!(
        get_query(&server, "/login", &[("password", pkcs1.as_str())])
            .await
            .json,
        ok(json!("old client"))
    );
    // An empty secret is a secret too.
    let empty = cipher::encrypt_key_bytes(&public, b"").unwrap();
    assert_eq!(
        post_json(&server, "/login", &json!({"password": empty}))
            .await
            .json,
        ok(json!(""))
    );
}

#[tokio::test]
async fn rsa_decrypt_with_its_own_key_file() {
    let key = own_key().to_public_key();
    // No server key in settings: the endpoint names its own.
    let server = common::serve(App::new(Settings::default()).at("/login", login_own_key)).await;
    let blob = cipher::encrypt_key_bytes(&key, b"own").unwrap();
    assert_eq!(
        post_json(&server, "/login", &json!({"password": blob}))
            .await
            .json,
        ok(json!("own"))
    );
    // A blob for another key does not decrypt with it.
    let blob = cipher::encrypt_key_bytes(&server_public(), b"own").unwrap();
    let answer = post_json(&server, "/login", &json!({"password": blob})).await;
    assert_eq!(code_of(&answer.json), BAD_PARAMETER);
    assert!(
        message_of(&answer.json).contains("cannot be decrypted"),
        "{}",
        answer.json
    );
}

#[tokio::test]
async fn an_absent_rsa_decrypt_field_is_none_or_missing() {
    let files = KeyFiles::new();
    let server = standard_server(&files).await;

    assert_eq!(get(&server, "/login_optional").await.json, ok(Value::Null));
    assert_eq!(
        post_json(&server, "/login_optional", &json!({"password": null}))
            .await
            .json,
        ok(Value::Null)
    );
    let blob = cipher::encrypt_key_bytes(&server_public(), b"here").unwrap();
    assert_eq!(
        post_json(&server, "/login_optional", &json!({"password": blob}))
            .await
            .json,
        ok(json!("here"))
    );
    assert_eq!(
        get(&server, "/login").await.json,
        err(MISSING_PARAMETER, "Missing parameter: password.")
    );
    assert_eq!(
        post_json(&server, "/login", &json!({"user": "ann"})).await.json,
        err(MISSING_PARAMETER, "Missing parameter: password.")
    );
}
