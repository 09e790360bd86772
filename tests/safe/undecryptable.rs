//! Bad input: encrypted bodies and `#[rsa_decrypt]` fields that cannot be decrypted
//! or are malformed end as a packed error, one answer for every cause, and never
//! reach the function.

use super::*;

/// Encrypted bodies that cannot be decrypted, each with its two (string) fields.
fn undecryptable_bodies() -> Vec<(&'static str, String, String)> {
    let k = keys();
    let public = server_public();
    let key = cipher::random_key();
    let password = cipher::encrypt_key(&public, &key).unwrap();
    let plaintext = br#"{"msg":"must never arrive"}"#;
    let data = cipher::seal(&key, plaintext);
    let raw = unb64(&data);
    let tampered = |index: usize| {
        let mut bytes = raw.clone();
        bytes[index] ^= 0x01;
        B64.encode(bytes)
    };
    // A body whose key and AES layer are fine, around `plaintext`.
    let sealed = |plaintext: &[u8]| {
        let key = cipher::random_key();
        (
            cipher::encrypt_key(&public, &key).unwrap(),
            cipher::seal(&key, plaintext),
        )
    };
    let password_of_len = |len: usize| {
        let bytes: Vec<u8> = key.iter().copied().cycle().take(len).collect();
        cipher::encrypt_key_bytes(&public, &bytes).unwrap()
    };
    let deep = [&b"{\"msg\":"[..], &[b'['; 100_000][..]].concat();
    let mut cases = vec![
        ("tampered ciphertext byte", password.clone(), tampered(12 + 5)),
        ("tampered tag byte", password.clone(), tampered(raw.len() - 1)),
        ("tampered nonce byte", password.clone(), tampered(0)),
        (
            "encrypted for another server key",
            cipher::encrypt_key(&k.other_server.to_public_key(), &key).unwrap(),
            data.clone(),
        ),
        (
            "encrypted for a client key",
            cipher::encrypt_key(&k.alice.to_public_key(), &key).unwrap(),
            data.clone(),
        ),
        (
            "data sealed under another AES key",
            password.clone(),
            cipher::seal(&cipher::random_key(), plaintext),
        ),
        (
            "truncated base64 (whole quantum)",
            password.clone(),
            data[..data.len() - 4].to_owned(),
        ),
        (
            "truncated base64 (broken quantum)",
            password.clone(),
            data[..data.len() - 1].to_owned(),
        ),
        (
            "truncated to nonce and tag",
            password.clone(),
            B64.encode(&raw[..28]),
        ),
        (
            "invalid base64 character",
            password.clone(),
            format!("*{}", &data[1..]),
        ),
        (
            "not base64 at all",
            password.clone(),
            "this is not base64!".to_owned(),
        ),
        (
            "url-safe base64 alphabet",
            password.clone(),
            B64.encode([0xfb_u8; 40]).replace('+', "-").replace('/', "_"),
        ),
        (
            "base64 too short for nonce and tag",
            password.clone(),
            B64.encode([7_u8; 27]),
        ),
        ("empty encryptedData", password.clone(), String::new()),
        ("RSA blob too short", B64.encode([1_u8; 64]), data.clone()),
        (
            "RSA blob one byte too long",
            B64.encode([1_u8; 129]),
            data.clone(),
        ),
        (
            "RSA blob one byte too short",
            B64.encode([1_u8; 127]),
            data.clone(),
        ),
        (
            "RSA blob of the right size, garbage",
            B64.encode([0x42_u8; 128]),
            data.clone(),
        ),
        ("empty encryptedPassword", String::new(), data.clone()),
        ("encryptedPassword not base64", "%%%%".to_owned(), data.clone()),
        (
            "encryptedPassword truncated",
            password[..password.len() - 4].to_owned(),
            data.clone(),
        ),
        ("key of 31 bytes", password_of_len(31), data.clone()),
        ("key of 33 bytes", password_of_len(33), data.clone()),
        ("key of 0 bytes", password_of_len(0), data.clone()),
        ("key of 16 bytes", password_of_len(16), data.clone()),
    ];
    for (name, plaintext) in [
        ("plaintext not JSON", &b"hello there"[..]),
        ("plaintext a JSON array", b"[\"msg\", \"x\"]"),
        ("plaintext a JSON string", b"\"msg\""),
        ("plaintext JSON null", b"null"),
        ("plaintext a JSON number", b"42"),
        ("plaintext invalid UTF-8", b"{\"msg\":\"\xff\xfe\"}"),
        ("plaintext empty", b""),
        ("plaintext truncated JSON", b"{\"msg\":\"hel"),
        ("plaintext nested 100000 deep", &deep),
    ] {
        let (password, data) = sealed(plaintext);
        cases.push((name, password, data));
    }
    cases
}

fn assert_cannot_be_decrypted(case: &str, packed: &Value, field: &str) -> String {
    assert_eq!(code_of(packed), BAD_PARAMETER, "{case}: {packed}");
    let message = message_of(packed);
    assert!(
        message.contains(field) && message.contains("cannot be decrypted"),
        "{case}: {message:?}"
    );
    message
}

#[tokio::test]
async fn undecryptable_bodies_are_bad_parameter_and_never_reach_the_function() {
    let files = KeyFiles::new();
    let server = standard_server(&files).await;
    let mut messages = Vec::new();

    for (i, (case, password, data)) in undecryptable_bodies().into_iter().enumerate() {
        let run = format!("undecryptable-json-{i}");
        let body = json!({"encryptedPassword": password, "encryptedData": data});
        let answer = post_json(&server, &format!("/counted?run={run}"), &body).await;
        messages.push(assert_cannot_be_decrypted(case, &answer.json, "encryptedData"));
        assert_eq!(calls(&run), 0, "{case}: the function was called");

        // The same as a form body.
        let run = format!("undecryptable-form-{i}");
        let form = [
            ("encryptedPassword", password.as_str()),
            ("encryptedData", data.as_str()),
        ];
        let answer = post_form(&server, &format!("/counted?run={run}"), &form).await;
        messages.push(assert_cannot_be_decrypted(case, &answer.json, "encryptedData"));
        assert_eq!(calls(&run), 0, "{case} (form): the function was called");
    }
    // One answer for every cause: no oracle.
    messages.dedup();
    assert_eq!(messages, ["Bad parameter: encryptedData. cannot be decrypted."]);

    // The counter does count.
    let body = encrypted(&server_public(), &json!({"msg": "fine"}));
    let answer = post_json(&server, "/counted?run=undecryptable-control", &body).await;
    assert_eq!(answer.json, ok(json!("fine")));
    assert_eq!(calls("undecryptable-control"), 1);
}

#[tokio::test]
async fn undecryptable_bodies_to_a_safe_endpoint_answer_encrypted_bad_parameter() {
    let files = KeyFiles::new();
    let server = standard_server(&files).await;
    let k = keys();
    let mut messages = Vec::new();

    for (i, (case, password, data)) in undecryptable_bodies().into_iter().enumerate() {
        let run = format!("undecryptable-safe-{i}");
        // Signed by alice: the signature checks out, the blobs do not decrypt.
        let signature = cipher::sign_request(&k.alice, &password, &data);
        let body = json!({"encryptedPassword": password, "encryptedData": data, "signature": signature, "msg": "plain"});
        let answer = post_json(&server, &format!("/counted_safe?run={run}&clientId=alice"), &body).await;
        let packed = open_answer(&k.alice, &answer.json);
        messages.push(assert_cannot_be_decrypted(case, &packed, "encryptedData"));
        assert_eq!(calls(&run), 0, "{case}: the function was called");
    }
    messages.dedup();
    assert_eq!(messages, ["Bad parameter: encryptedData. cannot be decrypted."]);

    let body = signed_body(
        &k.alice,
        "alice",
        "POST",
        "/counted_safe",
        &json!({"msg": "fine"}),
    );
    let answer = post_json(
        &server,
        "/counted_safe?run=undecryptable-safe-control&clientId=alice",
        &body,
    )
    .await;
    assert_eq!(open_answer(&k.alice, &answer.json), ok(json!("fine")));
    assert_eq!(calls("undecryptable-safe-control"), 1);
}

#[tokio::test]
async fn malformed_encrypted_bodies_are_packed_errors_and_never_reach_the_function() {
    let files = KeyFiles::new();
    let server = standard_server(&files).await;
    let good = encrypted(&server_public(), &json!({"msg": "must never arrive"}));
    let password = good["encryptedPassword"].clone();
    let data = good["encryptedData"].clone();

    // (case, body, the field the error names, acceptable codes)
    let cases: Vec<(&str, Value, &str, &[i64])> = vec![
        (
            "missing encryptedData",
            json!({"encryptedPassword": password, "msg": "plain"}),
            "encryptedData",
            &[MISSING_PARAMETER],
        ),
        (
            "missing encryptedPassword",
            json!({"encryptedData": data, "msg": "plain"}),
            "encryptedPassword",
            &[MISSING_PARAMETER],
        ),
        (
            "both missing",
            json!({"msg": "plain"}),
            "encryptedPassword",
            &[MISSING_PARAMETER],
        ),
        (
            "encryptedData a number",
            json!({"encryptedPassword": password, "encryptedData": 12345, "msg": "plain"}),
            "encryptedData",
            &[MISSING_PARAMETER, BAD_PARAMETER, BAD_PARAMETER_TYPE],
        ),
        (
            "encryptedData an object",
            json!({"encryptedPassword": password, "encryptedData": {"msg": "x"}, "msg": "plain"}),
            "encryptedData",
            &[MISSING_PARAMETER, BAD_PARAMETER, BAD_PARAMETER_TYPE],
        ),
        (
            "encryptedData null",
            json!({"encryptedPassword": password, "encryptedData": null, "msg": "plain"}),
            "encryptedData",
            &[MISSING_PARAMETER, BAD_PARAMETER, BAD_PARAMETER_TYPE],
        ),
        (
            "encryptedPassword an array",
            json!({"encryptedPassword": [password], "encryptedData": data, "msg": "plain"}),
            "encryptedPassword",
            &[MISSING_PARAMETER, BAD_PARAMETER, BAD_PARAMETER_TYPE],
        ),
        (
            "body a JSON array",
            json!([password, data]),
            "encryptedPassword",
            &[MISSING_PARAMETER],
        ),
        (
            "body a JSON string",
            json!("encrypted"),
            "encryptedPassword",
            &[MISSING_PARAMETER],
        ),
    ];
    for (i, (case, body, field, codes)) in cases.into_iter().enumerate() {
        let run = format!("malformed-{i}");
        let answer = post_json(&server, &format!("/counted?run={run}"), &body).await;
        let code = code_of(&answer.json);
        assert!(codes.contains(&code), "{case}: code {code} in {}", answer.json);
        assert!(
            message_of(&answer.json).contains(field),
            "{case}: {}",
            answer.json
        );
        assert_eq!(calls(&run), 0, "{case}: the function was called");
    }

    // A body that is not JSON at all.
    let run = "malformed-not-json";
    let answer = checked(
        send(
            server
                .client
                .post(server.url(&format!("/counted?run={run}")))
                .header("content-type", "application/json")
                .body("{\"encryptedPassword\": "),
        )
        .await,
    );
    assert_eq!(code_of(&answer.json), PARSE_JSON_ERROR, "{}", answer.json);
    assert_eq!(calls(run), 0);
}

/// On an endpoint that decrypts automatically (safe), a body carrying only half of
/// `{encryptedPassword, encryptedData}` is a malformed encrypted body (README: "a
/// missing field … a packed error"), not plain data for the function.
#[tokio::test]
async fn half_an_encrypted_body_on_a_safe_endpoint_does_not_reach_the_function() {
    let files = KeyFiles::new();
    let server = standard_server(&files).await;
    let k = keys();
    let good = encrypted(&server_public(), &json!({"msg": "sealed"}));

    let cases = [
        (
            "missing encryptedData",
            json!({"encryptedPassword": good["encryptedPassword"], "msg": "plain"}),
        ),
        (
            "missing encryptedPassword",
            json!({"encryptedData": good["encryptedData"], "msg": "plain"}),
        ),
        (
            "encryptedData not a string",
            json!({"encryptedPassword": good["encryptedPassword"], "encryptedData": 5, "msg": "plain"}),
        ),
    ];
    for (i, (case, body)) in cases.into_iter().enumerate() {
        let run = format!("half-safe-{i}");
        let answer = post_json(&server, &format!("/counted_safe?run={run}&clientId=alice"), &body).await;
        let packed = open_answer(&k.alice, &answer.json);
        assert_eq!(packed["success"], false, "{case}: answered {packed}");
        assert_eq!(
            calls(&run),
            0,
            "{case}: the function was called with the plain fields: {packed}"
        );
    }
}

#[tokio::test]
async fn undecryptable_rsa_fields_are_bad_parameter_and_never_reach_the_function() {
    let files = KeyFiles::new();
    let server = standard_server(&files).await;
    let k = keys();
    let public = server_public();
    let good = cipher::encrypt_key_bytes(&public, b"s3cret").unwrap();
    let raw = unb64(&good);
    let mut flipped = raw.clone();
    flipped[40] ^= 0x10;

    let strings: Vec<(&str, String)> = vec![
        ("garbage", "this is not base64!".to_owned()),
        ("invalid base64 character", format!("*{}", &good[1..])),
        (
            "truncated base64 (broken quantum)",
            good[..good.len() - 1].to_owned(),
        ),
        (
            "truncated base64 (whole quantum)",
            good[..good.len() - 4].to_owned(),
        ),
        ("empty", String::new()),
        ("wrong size: 64 bytes", B64.encode([3_u8; 64])),
        ("wrong size: 127 bytes", B64.encode(&raw[..127])),
        (
            "wrong size: 129 bytes",
            B64.encode([raw.as_slice(), &[0_u8][..]].concat()),
        ),
        ("right size, garbage", B64.encode([0x42_u8; 128])),
        ("tampered blob", B64.encode(&flipped)),
        (
            "encrypted for another key",
            cipher::encrypt_key_bytes(&k.other_server.to_public_key(), b"s3cret").unwrap(),
        ),
        (
            "plaintext not UTF-8 (OAEP)",
            cipher::encrypt_key_bytes(&public, &[0xff, 0xfe, 0x00, 0x80]).unwrap(),
        ),
        (
            "plaintext not UTF-8 (PKCS#1 v1.5)",
            B64.encode(
                public
                    .encrypt(&mut rand::rngs::OsRng, Pkcs1v15Encrypt, &[0xc3, 0x28])
                    .unwrap(),
            ),
        ),
    ];
    let mut messages = Vec::new();
    for (i, (case, blob)) in strings.iter().enumerate() {
        let run = format!("rsa-json-{i}");
        let answer = post_json(&server, "/login_counted", &json!({"run": run, "password": blob})).await;
        messages.push(assert_cannot_be_decrypted(case, &answer.json, "password"));
        assert_eq!(calls(&run), 0, "{case}: the function was called");

        let run = format!("rsa-query-{i}");
        let answer = get_query(
            &server,
            "/login_counted",
            &[("run", run.as_str()), ("password", blob.as_str())],
        )
        .await;
        messages.push(assert_cannot_be_decrypted(case, &answer.json, "password"));
        assert_eq!(calls(&run), 0, "{case} (query): the function was called");
    }
    for (i, (case, value)) in [
        ("a JSON number", json!(12345)),
        ("a JSON object", json!({"blob": good})),
        ("a JSON array", json!([good])),
        ("a JSON bool", json!(true)),
    ]
    .into_iter()
    .enumerate()
    {
        let run = format!("rsa-typed-{i}");
        let answer = post_json(&server, "/login_counted", &json!({"run": run, "password": value})).await;
        messages.push(assert_cannot_be_decrypted(case, &answer.json, "password"));
        assert_eq!(calls(&run), 0, "{case}: the function was called");
    }
    messages.dedup();
    assert_eq!(messages, ["Bad parameter: password. cannot be decrypted."]);

    let answer = post_json(
        &server,
        "/login_counted",
        &json!({"run": "rsa-control", "password": good}),
    )
    .await;
    assert_eq!(answer.json, ok(json!("s3cret")));
    assert_eq!(calls("rsa-control"), 1);
}

/// README step 3: `encryptedPassword` is RSA-OAEP; PKCS#1 v1.5 is accepted for
/// `#[rsa_decrypt]` fields only ("for `#[rsa_decrypt]` fields PKCS#1 v1.5 is accepted
/// too"). An encrypted body whose key is wrapped with PKCS#1 v1.5 is not the wire
/// format, and accepting it keeps a padding-oracle surface open on the server key.
#[tokio::test]
async fn an_encrypted_password_wrapped_with_pkcs1_v15_is_refused() {
    let files = KeyFiles::new();
    let server = standard_server(&files).await;
    let key = cipher::random_key();
    let password = B64.encode(
        server_public()
            .encrypt(&mut rand::rngs::OsRng, Pkcs1v15Encrypt, &key)
            .unwrap(),
    );
    let body = json!({
        "encryptedPassword": password,
        "encryptedData": cipher::seal(&key, br#"{"msg":"v1.5"}"#),
    });
    let run = "pkcs1-v15-password";
    let answer = post_json(&server, &format!("/counted?run={run}"), &body).await;
    assert_cannot_be_decrypted("PKCS#1 v1.5 encryptedPassword", &answer.json, "encryptedData");
    assert_eq!(calls(run), 0, "the function was called");
}
