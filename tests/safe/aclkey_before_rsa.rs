//! Issue 12, D6: the API key (`#[check_aclkey]`) is checked before any RSA work, and
//! every bad RSA ciphertext gets the byte-identical answer (no padding oracle).

use super::*;

/// `#[rsa_decrypt]` behind an API key, the decryption written first.
#[apiview]
#[rsa_decrypt(password)]
#[check_aclkey(aclkeys = ["acl-secret"])]
fn rsa_acl(password: String) -> String {
    password
}

/// `#[decode_encrypted_data]` behind an API key, the decryption written first.
#[apiview]
#[decode_encrypted_data]
#[check_aclkey(aclkeys = ["acl-secret"])]
fn decode_acl(msg: String) -> String {
    msg
}

async fn acl_server(files: &KeyFiles, top: &str, safe: &str) -> TestServer {
    common::serve(
        App::new(files.standard(top, safe))
            .at("/rsa_acl", rsa_acl)
            .at("/decode_acl", decode_acl),
    )
    .await
}

/// The answer's body exactly as it came over the wire.
async fn body_bytes(request: reqwest::RequestBuilder) -> String {
    let response = request.send().await.expect("the request got no HTTP answer");
    response
        .text()
        .await
        .expect("the answer's body could not be read")
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// A keyless (or wrong-key) request to an endpoint that both checks an API key and
/// RSA-decrypts a field is refused on the key alone: the answer names the key, not
/// the blob, and it comes without the RSA work (timed against requests that do it,
/// in the same run: no absolute threshold).
#[tokio::test]
async fn a_keyless_rsa_decrypt_request_is_refused_before_any_rsa_work() {
    let files = KeyFiles::new();
    let server = acl_server(&files, "", "").await;
    let garbage = "AAAAAAAA";
    let valid = cipher::encrypt_key_bytes(&server_public(), b"correct horse").unwrap();

    for blob in [garbage, valid.as_str()] {
        let answer = get_query(&server, "/rsa_acl", &[("password", blob)]).await;
        assert_eq!(
            answer.json,
            err(MISSING_PARAMETER, "Missing parameter: aclkey."),
            "{blob}"
        );
        let answer = get_query(&server, "/rsa_acl", &[("password", blob), ("aclkey", "wrong")]).await;
        assert_eq!(answer.json, err(APP_AUTH_FAILED, "App auth failed."), "{blob}");
    }
    let answer = get_query(
        &server,
        "/rsa_acl",
        &[("password", valid.as_str()), ("aclkey", "acl-secret")],
    )
    .await;
    assert_eq!(answer.json, ok(json!("correct horse")));

    // Interleaved, so that the machine's load hits both kinds alike.
    let (mut keyless, mut decrypting) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        let started = Instant::now();
        get_query(&server, "/rsa_acl", &[("password", valid.as_str())]).await;
        keyless.push(started.elapsed());
        let started = Instant::now();
        get_query(
            &server,
            "/rsa_acl",
            &[("password", valid.as_str()), ("aclkey", "acl-secret")],
        )
        .await;
        decrypting.push(started.elapsed());
    }
    let (keyless, decrypting) = (median(keyless), median(decrypting));
    assert!(
        keyless * 3 < decrypting,
        "a keyless request takes {keyless:?}, one that decrypts {decrypting:?}: the keyless one does RSA work"
    );
}

/// No padding oracle, with or without a key: every kind of bad ciphertext gets the
/// byte-identical answer (with the key: "cannot be decrypted"; without: the missing
/// key), including a PKCS#1 v1.5-conformant blob of garbage, which is not accepted
/// unless `safe.allow_pkcs1v15` opts in.
#[tokio::test]
async fn every_bad_rsa_ciphertext_gets_the_byte_identical_answer() {
    let files = KeyFiles::new();
    let server = acl_server(&files, "", "").await;
    let public = server_public();
    let size = rsa::traits::PublicKeyParts::size(&public);
    let v15 = |plaintext: &[u8]| {
        B64.encode(
            public
                .encrypt(&mut rand::rngs::OsRng, Pkcs1v15Encrypt, plaintext)
                .unwrap(),
        )
    };
    let random: Vec<u8> = (0..size).map(|i| (i as u8).wrapping_mul(37) ^ 0x5a).collect();
    let blobs = [
        ("random bytes", B64.encode(&random[..])),
        ("PKCS#1 v1.5-conformant, garbage text", v15(b"garbage")),
        ("PKCS#1 v1.5-conformant, garbage bytes", v15(&[0x8f, 0x01, 0xc3])),
        (
            "OAEP-valid for another key",
            cipher::encrypt_key_bytes(&keys().other_server.to_public_key(), b"x").unwrap(),
        ),
        (
            "OAEP-valid, not UTF-8",
            cipher::encrypt_key_bytes(&public, &[0xff, 0xfe]).unwrap(),
        ),
        ("not base64", "AAAAAAAA%".to_owned()),
    ];
    for (key, expected) in [
        (
            Some("acl-secret"),
            err(BAD_PARAMETER, "Bad parameter: password. cannot be decrypted."),
        ),
        (None, err(MISSING_PARAMETER, "Missing parameter: aclkey.")),
    ] {
        let mut bodies = Vec::new();
        for (case, blob) in &blobs {
            let mut query = vec![("password", blob.as_str())];
            query.extend(key.map(|key| ("aclkey", key)));
            let body = body_bytes(server.client.get(server.url("/rsa_acl")).query(&query)).await;
            bodies.push((case, body));
        }
        for (case, body) in &bodies {
            assert_eq!(
                body, &bodies[0].1,
                "key {key:?}: `{case}` is answered unlike `{}`",
                bodies[0].0
            );
        }
        assert_eq!(
            serde_json::from_str::<Value>(&bodies[0].1).unwrap(),
            expected,
            "key {key:?}"
        );
    }
}

/// `#[decode_encrypted_data]` with `#[check_aclkey]`: the key is read from the plain
/// request (query, header, plain body fields) before anything is decrypted, never
/// from inside the encrypted body.
#[tokio::test]
async fn decode_encrypted_data_checks_the_plain_aclkey_before_decrypting() {
    let files = KeyFiles::new();
    let server = acl_server(&files, "", "").await;
    let undecryptable = json!({"encryptedPassword": "AAAAAAAA", "encryptedData": "AAAAAAAA"});
    let answer = post_json(&server, "/decode_acl", &undecryptable).await;
    assert_eq!(answer.json, err(MISSING_PARAMETER, "Missing parameter: aclkey."));
    let answer = post_json(&server, "/decode_acl?aclkey=wrong", &undecryptable).await;
    assert_eq!(answer.json, err(APP_AUTH_FAILED, "App auth failed."));

    let inside = encrypted(&server_public(), &json!({"msg": "hi", "aclkey": "acl-secret"}));
    let answer = post_json(&server, "/decode_acl", &inside).await;
    assert_eq!(
        answer.json,
        err(MISSING_PARAMETER, "Missing parameter: aclkey."),
        "the key was read from inside the encrypted body"
    );

    let body = encrypted(&server_public(), &json!({"msg": "hi"}));
    let answer = post_json(&server, "/decode_acl?aclkey=acl-secret", &body).await;
    assert_eq!(answer.json, ok(json!("hi")));
    let answer = post_json(
        &server,
        "/decode_acl",
        &merged(body.clone(), json!({"aclkey": "acl-secret"})),
    )
    .await;
    assert_eq!(answer.json, ok(json!("hi")));
    let answer = checked(
        send(
            server
                .client
                .post(server.url("/decode_acl"))
                .header("aclkey", "acl-secret")
                .json(&body),
        )
        .await,
    );
    assert_eq!(answer.json, ok(json!("hi")));
}
