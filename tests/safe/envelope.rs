//! The safe packer's answers: the simple envelope encrypted for the calling client
//! only, a fresh nonce each time, the AES key reused as settings say, which
//! endpoints are safe, and errors raised before the fields are read answered
//! encrypted too.

use super::*;

#[tokio::test]
async fn a_safe_answer_is_the_simple_envelope_encrypted_for_the_client() {
    let files = KeyFiles::new();
    let server = standard_server(&files).await;
    let k = keys();

    let answer = get(&server, "/ping?clientId=alice").await;
    assert_encrypted(&answer.json);
    assert_eq!(answer.header("content-type"), "application/json; charset=utf-8");
    assert_eq!(answer.request_id().len(), 32);
    // encryptedPassword: one RSA block of the client's (1024-bit) key.
    assert_eq!(unb64(field(&answer.json, "encryptedPassword")).len(), 128);
    let plaintext = open_bytes(&k.alice, &answer.json);
    assert_eq!(
        serde_json::from_slice::<Value>(&plaintext).unwrap(),
        ok(json!("pong"))
    );
    // encryptedData: nonce (12) ‖ ciphertext (as long as the plaintext) ‖ tag (16).
    assert_eq!(
        unb64(field(&answer.json, "encryptedData")).len(),
        12 + plaintext.len() + 16
    );

    // Results of every shape, and non-ASCII, survive.
    let answer = post_json(
        &server,
        "/safe_echo?clientId=alice",
        &json!({"msg": "你好", "extra": "ü"}),
    )
    .await;
    assert_eq!(
        open_answer(&k.alice, &answer.json),
        ok(json!({"msg": "你好", "extra": "ü"}))
    );

    // Errors are packed as the simple envelope and encrypted the same way.
    let answer = post_json(&server, "/safe_echo?clientId=alice", &json!({"msg": "x"})).await;
    assert!(
        answer.json.get("success").is_none(),
        "an error in clear: {}",
        answer.json
    );
    assert_eq!(
        open_answer(&k.alice, &answer.json),
        err(STRING_TOO_SHORT, "String shorter than 2.")
    );
    let answer = post_json(&server, "/safe_echo?clientId=bob", &json!({})).await;
    assert_eq!(
        open_answer(&k.bob, &answer.json),
        err(MISSING_PARAMETER, "Missing parameter: msg.")
    );
}

#[tokio::test]
async fn safe_errors_follow_the_language_setting() {
    let files = KeyFiles::new();
    let server = common::serve(routes(App::new(files.standard("language = \"zh-hans\"", "")))).await;
    let k = keys();

    let answer = post_json(&server, "/safe_echo?clientId=alice", &json!({"msg": "x"})).await;
    assert_eq!(
        open_answer(&k.alice, &answer.json),
        err(STRING_TOO_SHORT, "参数字符数不足，最低要求为：2。")
    );
    let answer = post_json(&server, "/safe_echo?clientId=alice", &json!({"msg": "好的"})).await;
    assert_eq!(
        open_answer(&k.alice, &answer.json),
        ok(json!({"msg": "好的", "extra": null}))
    );
    // The plain answer to an unknown client is in the same language.
    let answer = get(&server, "/ping?clientId=mallory").await;
    assert_eq!(answer.json, err(APP_AUTH_FAILED, "应用认证失败！"));
}

#[tokio::test]
async fn every_answer_has_a_fresh_nonce() {
    let files = KeyFiles::new();
    let server = standard_server(&files).await;
    let k = keys();

    let mut nonces = Vec::new();
    let mut datas = Vec::new();
    for _ in 0..6 {
        let answer = get(&server, "/ping?clientId=alice").await;
        assert_eq!(open_answer(&k.alice, &answer.json), ok(json!("pong")));
        let data = field(&answer.json, "encryptedData").to_owned();
        nonces.push(unb64(&data)[..12].to_vec());
        datas.push(data);
    }
    for i in 0..datas.len() {
        for j in i + 1..datas.len() {
            assert_ne!(datas[i], datas[j], "answers {i} and {j}: identical encryptedData");
            assert_ne!(nonces[i], nonces[j], "answers {i} and {j}: the same nonce");
        }
    }
}

#[tokio::test]
async fn the_key_is_reused_for_key_reuse_answers_answers_per_client() {
    let files = KeyFiles::new();
    let server = common::serve(routes(App::new(files.standard("", "key_reuse_answers = 3")))).await;
    let k = keys();

    let mut alice = Vec::new();
    let mut keys_seen = Vec::new();
    for i in 0..7 {
        let answer = get(&server, "/ping?clientId=alice").await;
        assert_eq!(
            open_answer(&k.alice, &answer.json),
            ok(json!("pong")),
            "answer {i}"
        );
        keys_seen.push(cipher::decrypt_key(&k.alice, &password_of(&answer)).unwrap());
        alice.push(password_of(&answer));
        if i == 1 {
            // Another client's answers count for that client only.
            let bob = get(&server, "/ping?clientId=bob").await;
            assert_eq!(open_answer(&k.bob, &bob.json), ok(json!("pong")));
            assert_ne!(password_of(&bob), alice[0]);
        }
    }
    assert_eq!(alice[0], alice[1]);
    assert_eq!(alice[1], alice[2]);
    assert_ne!(alice[2], alice[3], "the 4th answer must use a new key");
    assert_ne!(keys_seen[2], keys_seen[3]);
    assert_eq!(alice[3], alice[4]);
    assert_eq!(alice[4], alice[5]);
    assert_ne!(alice[5], alice[6], "the 7th answer must use a new key");
    assert_ne!(alice[0], alice[6]);
}

#[tokio::test]
async fn the_key_is_replaced_after_key_reuse_seconds() {
    let files = KeyFiles::new();
    let server = common::serve(routes(App::new(files.standard("", "key_reuse_seconds = 1")))).await;
    let k = keys();

    let started = Instant::now();
    let first = password_of(&get(&server, "/ping?clientId=alice").await);
    let second = password_of(&get(&server, "/ping?clientId=alice").await);
    assert_eq!(first, second, "within a second the key is reused");

    let deadline = started + Duration::from_secs(15);
    let changed_after = loop {
        let answer = get(&server, "/ping?clientId=alice").await;
        assert_eq!(open_answer(&k.alice, &answer.json), ok(json!("pong")));
        if password_of(&answer) != first {
            break started.elapsed();
        }
        assert!(Instant::now() < deadline, "the key was not replaced within 15 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        changed_after >= Duration::from_secs(1),
        "the key was replaced after {changed_after:?}, before key_reuse_seconds = 1"
    );
}

#[tokio::test]
async fn another_client_cannot_read_the_answer() {
    let files = KeyFiles::new();
    let server = standard_server(&files).await;
    let k = keys();

    let for_alice = get(&server, "/ping?clientId=alice").await.json;
    let password = field(&for_alice, "encryptedPassword");
    let data = field(&for_alice, "encryptedData");
    assert!(
        cipher::decrypt_key(&k.bob, password).is_err(),
        "bob read alice's key"
    );
    assert!(
        cipher::decrypt_key(&k.server, password).is_err(),
        "the server key reads alice's key"
    );

    // Bob's own AES key does not open alice's data either (the tag check fails).
    let for_bob = get(&server, "/ping?clientId=bob").await.json;
    let bob_key = cipher::decrypt_key(&k.bob, field(&for_bob, "encryptedPassword")).unwrap();
    assert!(
        cipher::open(&bob_key, data).is_err(),
        "bob's key opens alice's answer"
    );
    assert!(cipher::decrypt_key(&k.alice, field(&for_bob, "encryptedPassword")).is_err());
    assert_eq!(open_answer(&k.alice, &for_alice), ok(json!("pong")));
}

#[tokio::test]
async fn packer_safe_in_settings_encrypts_every_endpoint_without_its_own_packer() {
    let files = KeyFiles::new();
    let server = common::serve(routes(App::new(files.standard("packer = \"safe\"", "")))).await;
    let k = keys();

    let answer = get(&server, "/plain_ping?clientId=alice").await;
    assert_eq!(open_answer(&k.alice, &answer.json), ok(json!("pong")));
    assert_eq!(
        get(&server, "/plain_ping").await.json,
        err(APP_AUTH_FAILED, "App auth failed.")
    );
    // `#[apiview(packer = "simple")]` stays plain.
    assert_eq!(
        get(&server, "/simple_ping?clientId=alice").await.json,
        ok(json!("pong"))
    );
    // Safe endpoints decode encrypted bodies automatically (the server has a key),
    // signed ones only (DESIGN §19): here `decode_echo` is safe by settings.
    let body = signed_body(&k.bob, "bob", "POST", "/decode_echo", &json!({"msg": "hello"}));
    let answer = post_json(&server, "/decode_echo?clientId=bob", &body).await;
    let envelope = open_answer(&k.bob, &answer.json);
    assert_eq!(envelope["result"]["msg"], json!("hello"), "{envelope}");
    let unsigned = encrypted(&server_public(), &json!({"msg": "hello"}));
    let answer = post_json(&server, "/decode_echo?clientId=bob", &unsigned).await;
    assert_eq!(
        open_answer(&k.bob, &answer.json),
        err(MISSING_PARAMETER, "Missing parameter: signature.")
    );
    let body = signed_body(
        &k.bob,
        "bob",
        "POST",
        "/counted",
        &json!({"run": "settings-safe-auto", "msg": "hello"}),
    );
    let answer = post_json(&server, "/counted?clientId=bob", &body).await;
    assert_eq!(open_answer(&k.bob, &answer.json), ok(json!("hello")));
}

#[tokio::test]
async fn packer_safe_on_the_endpoint_leaves_other_endpoints_alone() {
    let files = KeyFiles::new();
    let server = standard_server(&files).await;
    let k = keys();

    assert_eq!(
        get(&server, "/plain_ping?clientId=alice").await.json,
        ok(json!("pong"))
    );
    assert_eq!(
        get(&server, "/simple_ping?clientId=alice").await.json,
        ok(json!("pong"))
    );
    let answer = get(&server, "/ping?clientId=alice").await;
    assert_eq!(open_answer(&k.alice, &answer.json), ok(json!("pong")));
}

/// Errors raised before the request's fields are read (method, body syntax, body
/// size) still come from a client the query names: the safe packer answers them
/// encrypted for that client, with their own code, not a plain AppAuthFailed.
async fn early_error_server(files: &KeyFiles) -> TestServer {
    common::serve(routes(App::new(files.standard("body_limit = 64", "")))).await
}

#[tokio::test]
async fn a_method_error_is_encrypted_for_a_known_client() {
    let files = KeyFiles::new();
    let server = early_error_server(&files).await;
    let answer = get(&server, "/safe_post_only?clientId=alice").await;
    assert_eq!(
        open_answer(&keys().alice, &answer.json),
        err(common::NOT_SUPPORTED_HTTP_METHOD, "Not supported http method.")
    );
}

#[tokio::test]
async fn a_json_syntax_error_is_encrypted_for_a_known_client() {
    let files = KeyFiles::new();
    let server = early_error_server(&files).await;
    let answer = checked(
        send(
            server
                .client
                .post(server.url("/safe_echo?clientId=alice"))
                .header("content-type", "application/json")
                .body("{\"msg\": "),
        )
        .await,
    );
    assert_eq!(
        code_of(&open_answer(&keys().alice, &answer.json)),
        PARSE_JSON_ERROR
    );
}

#[tokio::test]
async fn a_too_large_body_error_is_encrypted_for_a_known_client() {
    let files = KeyFiles::new();
    let server = early_error_server(&files).await;
    let answer = post_json(
        &server,
        "/safe_echo?clientId=alice",
        &json!({"msg": "x".repeat(200)}),
    )
    .await;
    assert_eq!(
        code_of(&open_answer(&keys().alice, &answer.json)),
        common::TOO_LARGE_REQUEST_ERROR
    );
}
