//! Whom a safe answer is for: the client id (query, body, form, header, the field
//! `client_id_field` names), unknown clients, client keys from settings, from
//! `App::client_keys` or a store of one's own, and the PEM encodings that load.

use super::*;

#[tokio::test]
async fn an_unknown_or_missing_client_gets_a_plain_app_auth_failed() {
    let files = KeyFiles::new();
    let server = standard_server(&files).await;
    let refused = err(APP_AUTH_FAILED, "App auth failed.");

    assert_eq!(get(&server, "/ping?clientId=mallory").await.json, refused);
    assert_eq!(get(&server, "/ping").await.json, refused);
    assert_eq!(get(&server, "/ping?clientId=").await.json, refused);
    assert_eq!(
        get(&server, "/ping?clientid=alice").await.json,
        refused,
        "field names are case-sensitive"
    );
    assert_eq!(
        post_json(&server, "/safe_echo", &json!({"clientId": 7, "msg": "hello"}))
            .await
            .json,
        refused
    );
    assert_eq!(
        post_json(
            &server,
            "/safe_echo",
            &json!({"clientId": ["alice"], "msg": "hello"})
        )
        .await
        .json,
        refused
    );
    // Whatever the endpoint would have answered: no error detail goes out in clear.
    assert_eq!(
        post_json(&server, "/safe_echo?clientId=mallory", &json!({"msg": "x"}))
            .await
            .json,
        refused
    );
    assert_eq!(
        post_json(&server, "/safe_echo?clientId=mallory", &json!({}))
            .await
            .json,
        refused
    );
}

#[tokio::test]
async fn the_client_id_comes_from_query_body_form_or_header_and_an_encrypted_body_must_agree() {
    let files = KeyFiles::new();
    let server = standard_server(&files).await;
    let k = keys();

    // Query.
    let answer = get(&server, "/ping?clientId=alice").await;
    assert_eq!(open_answer(&k.alice, &answer.json), ok(json!("pong")));
    // JSON body field.
    let answer = post_json(&server, "/safe_echo", &json!({"clientId": "bob", "msg": "hello"})).await;
    assert_eq!(
        open_answer(&k.bob, &answer.json),
        ok(json!({"msg": "hello", "extra": null}))
    );
    // Form field.
    let answer = post_form(&server, "/safe_echo", &[("clientId", "alice"), ("msg", "hello")]).await;
    assert_eq!(
        open_answer(&k.alice, &answer.json),
        ok(json!({"msg": "hello", "extra": null}))
    );
    // Header (sent lower-case on the wire: `clientid`).
    let answer = checked(send(server.client.get(server.url("/ping")).header("clientId", "bob")).await);
    assert_eq!(open_answer(&k.bob, &answer.json), ok(json!("pong")));
    // An encrypted body carries the client id inside too (DESIGN §19), but the
    // client is named outside, where its signature can be checked before any
    // decryption: from inside alone it is not known.
    let body = signed_body(&k.alice, "alice", "POST", "/safe_echo", &json!({"msg": "hello"}));
    let answer = post_json(&server, "/safe_echo", &body).await;
    assert_eq!(answer.json, err(APP_AUTH_FAILED, "App auth failed."));
    let answer = post_json(&server, "/safe_echo", &merged(body, json!({"clientId": "alice"}))).await;
    assert_eq!(
        open_answer(&k.alice, &answer.json),
        ok(json!({"msg": "hello", "extra": null}))
    );
    // The body outranks the query (DESIGN §2.1).
    let answer = post_json(
        &server,
        "/safe_echo?clientId=alice",
        &json!({"clientId": "bob", "msg": "hello"}),
    )
    .await;
    assert!(cipher::decrypt_key(&k.alice, &password_of(&answer)).is_err());
    assert_eq!(
        open_answer(&k.bob, &answer.json),
        ok(json!({"msg": "hello", "extra": null}))
    );
}

#[tokio::test]
async fn client_id_field_names_the_field() {
    let files = KeyFiles::new();
    let server = common::serve(routes(App::new(
        files.standard("", "client_id_field = \"app_id\""),
    )))
    .await;
    let k = keys();

    let answer = get(&server, "/ping?app_id=alice").await;
    assert_eq!(open_answer(&k.alice, &answer.json), ok(json!("pong")));
    let answer = post_json(&server, "/safe_echo", &json!({"app_id": "bob", "msg": "hello"})).await;
    assert_eq!(
        open_answer(&k.bob, &answer.json),
        ok(json!({"msg": "hello", "extra": null}))
    );
    // As a header, `_` is spelled `-`.
    let answer = checked(send(server.client.get(server.url("/ping")).header("App-Id", "alice")).await);
    assert_eq!(open_answer(&k.alice, &answer.json), ok(json!("pong")));
    // The default name no longer counts.
    assert_eq!(
        get(&server, "/ping?clientId=alice").await.json,
        err(APP_AUTH_FAILED, "App auth failed.")
    );
}

#[tokio::test]
async fn app_client_keys_supplies_the_client_keys() {
    let files = KeyFiles::new();
    let k = keys();

    // No client keys in settings at all, and a global safe packer.
    let store = HashMap::from([("alice".to_owned(), k.alice.to_public_key())]);
    let app = App::new(files.settings("packer = \"safe\"", Some("server.pem"), &[], "")).client_keys(store);
    let server = common::serve(routes(app)).await;
    let answer = get(&server, "/plain_ping?clientId=alice").await;
    assert_eq!(open_answer(&k.alice, &answer.json), ok(json!("pong")));
    assert_eq!(
        get(&server, "/plain_ping?clientId=bob").await.json,
        err(APP_AUTH_FAILED, "App auth failed.")
    );

    // The store is used instead of settings' keys.
    let store = HashMap::from([("bob".to_owned(), k.bob.to_public_key())]);
    let server = common::serve(routes(App::new(files.standard("", ""))).client_keys(store)).await;
    let answer = get(&server, "/ping?clientId=bob").await;
    assert_eq!(open_answer(&k.bob, &answer.json), ok(json!("pong")));
    assert_eq!(
        get(&server, "/ping?clientId=alice").await.json,
        err(APP_AUTH_FAILED, "App auth failed.")
    );
}

/// A key store of one's own: every `user-…` id has alice's key.
struct PrefixStore(RsaPublicKey);

impl ClientKeyStore for PrefixStore {
    fn public_key(&self, client_id: &str) -> Option<RsaPublicKey> {
        client_id.starts_with("user-").then(|| self.0.clone())
    }
}

#[tokio::test]
async fn a_user_key_store_names_the_clients() {
    let files = KeyFiles::new();
    let k = keys();
    let app = App::new(files.settings("", None, &[], "")).client_keys(PrefixStore(k.alice.to_public_key()));
    let server = common::serve(app.at("/ping", ping)).await;
    let answer = get(&server, "/ping?clientId=user-17").await;
    assert_eq!(open_answer(&k.alice, &answer.json), ok(json!("pong")));
    assert_eq!(
        get(&server, "/ping?clientId=admin").await.json,
        err(APP_AUTH_FAILED, "App auth failed.")
    );
}

#[tokio::test]
async fn pkcs1_pkcs8_and_spki_pem_files_all_load() {
    let files = KeyFiles::new();
    let k = keys();
    assert!(files
        .read("server.pem")
        .starts_with("-----BEGIN PRIVATE KEY-----"));
    assert!(files
        .read("server.pkcs1.pem")
        .starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    assert!(files
        .read("alice.pub.pem")
        .starts_with("-----BEGIN PUBLIC KEY-----"));
    assert!(files
        .read("alice.pub.pkcs1.pem")
        .starts_with("-----BEGIN RSA PUBLIC KEY-----"));

    for server_file in ["server.pem", "server.pkcs1.pem"] {
        let settings = files.settings(
            "",
            Some(server_file),
            &[("alice", "alice.pub.pkcs1.pem"), ("bob", "bob.pub.pem")],
            "",
        );
        let server = common::serve(routes(App::new(settings))).await;
        // Client keys, PKCS#1 and SPKI.
        let answer = get(&server, "/ping?clientId=alice").await;
        assert_eq!(
            open_answer(&k.alice, &answer.json),
            ok(json!("pong")),
            "{server_file}"
        );
        let answer = get(&server, "/ping?clientId=bob").await;
        assert_eq!(
            open_answer(&k.bob, &answer.json),
            ok(json!("pong")),
            "{server_file}"
        );
        // The server key decrypts bodies and fields.
        let body = encrypted(&server_public(), &json!({"msg": "hello"}));
        assert_eq!(
            post_json(&server, "/decode_echo", &body).await.json,
            ok(json!({"msg": "hello", "extra": null, "note": null})),
            "{server_file}"
        );
        let blob = cipher::encrypt_key_bytes(&server_public(), b"s3cret").unwrap();
        assert_eq!(
            get_query(&server, "/login", &[("password", blob.as_str())])
                .await
                .json,
            ok(json!("s3cret")),
            "{server_file}"
        );
    }
}
