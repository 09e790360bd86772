//! The security properties SECURITY.md promises, over real HTTP:
//! - every malformed `#[rsa_decrypt]` field and every malformed encrypted body gets
//!   one identical packed error, whatever is wrong with it (no padding oracle:
//!   RUSTSEC-2023-0071, "Marvin");
//! - a safe-packed answer for one client cannot be read with another client's key;
//! - `#[check_aclkey]` refuses a key that differs from the right one anywhere (first
//!   byte, last byte, length) with one identical answer, and accepts every
//!   configured key, not only the first.
//!
//! Timing is not asserted here: a statistical test would be flaky on a shared
//! machine. `tools/src/bin/marvin_timing.rs` measures it, and SECURITY.md explains why the
//! code paths have no early exit.
//!
//! Keys are 1024 bits, generated once per test binary: size does not matter here.

mod common;

use apiview::cipher;
use apiview::prelude::*;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use common::keys::keys;
use common::{err, ok, send, TestServer, APP_AUTH_FAILED, BAD_PARAMETER};
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Encrypt, RsaPublicKey};
use serde_json::{json, Value};
use tempfile::TempDir;

// ---- endpoints -------------------------------------------------------------------

#[apiview]
#[rsa_decrypt(password)]
fn login(password: String) -> String {
    password
}

#[apiview]
#[decode_encrypted_data]
fn decode(msg: String) -> String {
    msg
}

#[apiview(packer = "safe")]
fn safe_ping() -> &'static str {
    "pong"
}

/// The keys of settings: `aclkey` and `aclkeys`.
#[apiview]
#[check_aclkey]
fn secure() -> &'static str {
    "ok"
}

/// Keys given in the attribute.
#[apiview]
#[check_aclkey(aclkeys = ["given-key-number-one", "given-key-number-two"])]
fn secure_given() -> &'static str {
    "ok"
}

const ACLKEY: &str = "settings-key-0123456789abcdef";
const SECOND_ACLKEY: &str = "settings-second-key-fedcba9876543210";

// ---- keys and server -------------------------------------------------------------

/// A server whose key files live as long as it does.
struct Server {
    http: TestServer,
    _dir: TempDir,
}

async fn server() -> Server {
    let k = keys();
    let dir = TempDir::new().unwrap();
    let write = |name: &str, pem: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, pem).unwrap();
        path.display().to_string()
    };
    let server_key = write("server.pem", cipher::private_key_to_pem(&k.server).unwrap());
    let alice = write(
        "alice.pub.pem",
        cipher::public_key_to_pem(&k.alice.to_public_key()).unwrap(),
    );
    let bob = write(
        "bob.pub.pem",
        cipher::public_key_to_pem(&k.bob.to_public_key()).unwrap(),
    );
    let settings = common::settings(&format!(
        "aclkey = {ACLKEY:?}\naclkeys = [{SECOND_ACLKEY:?}]\n\
         [safe]\nserver_private_key = {server_key:?}\nclient_public_keys = {{ alice = {alice:?}, bob = {bob:?} }}\n\
         allow_pkcs1v15 = true\n"
    ));
    let app = App::new(settings)
        .at("/login", login)
        .at("/decode", decode)
        .at("/safe_ping", safe_ping)
        .at("/secure", secure)
        .at("/secure_given", secure_given);
    Server {
        http: common::serve(app).await,
        _dir: dir,
    }
}

async fn post_json(server: &Server, path: &str, body: &Value) -> Value {
    let answer = send(server.http.client.post(server.http.url(path)).json(body)).await;
    assert_eq!(answer.status, 200, "status of {}", answer.json);
    answer.json
}

async fn get(server: &Server, path: &str, query: &[(&str, &str)]) -> Value {
    let answer = send(server.http.client.get(server.http.url(path)).query(query)).await;
    assert_eq!(answer.status, 200, "status of {}", answer.json);
    answer.json
}

fn unb64(text: &str) -> Vec<u8> {
    B64.decode(text).unwrap()
}

/// RSA-OAEP-SHA256 of `plaintext`, as raw bytes.
fn oaep(public: &RsaPublicKey, plaintext: &[u8]) -> Vec<u8> {
    unb64(&cipher::encrypt_key_bytes(public, plaintext).unwrap())
}

fn pkcs1v15(public: &RsaPublicKey, plaintext: &[u8]) -> Vec<u8> {
    public
        .encrypt(&mut rand::rngs::OsRng, Pkcs1v15Encrypt, plaintext)
        .unwrap()
}

/// Raw RSA blobs of the server key's size that decrypt to something with neither
/// OAEP nor PKCS#1 v1.5 padding: a valid OAEP blob with one bit flipped (the
/// classic first step of a padding-oracle attack), and the same for PKCS#1 v1.5.
fn bad_padding_blobs(public: &RsaPublicKey) -> [Vec<u8>; 2] {
    let mut from_oaep = oaep(public, b"s3cret");
    from_oaep[60] ^= 0x01;
    let mut from_v15 = pkcs1v15(public, b"s3cret");
    from_v15[60] ^= 0x01;
    [from_oaep, from_v15]
}

/// Every class of blob that must not decrypt, as the text a client sends.
fn malformed_rsa_blobs() -> Vec<(&'static str, String)> {
    let k = keys();
    let public = k.server.to_public_key();
    let size = public.size();
    let good = oaep(&public, b"s3cret");
    let [bad_oaep, bad_v15] = bad_padding_blobs(&public);
    let modulus = public.n().to_bytes_be();
    vec![
        ("not base64", "this is not base64!".to_owned()),
        (
            "url-safe alphabet",
            B64.encode(&good).replace('+', "-").replace('/', "_") + "-_",
        ),
        ("empty", String::new()),
        ("one byte short", B64.encode(&good[..size - 1])),
        ("one byte long", B64.encode([&good[..], &[0]].concat())),
        ("half the size", B64.encode(&good[..size / 2])),
        ("the modulus itself", B64.encode(&modulus)),
        ("above the modulus", B64.encode(vec![0xff; size])),
        ("zero", B64.encode(vec![0; size])),
        ("OAEP blob, one bit flipped", B64.encode(bad_oaep)),
        ("PKCS#1 v1.5 blob, one bit flipped", B64.encode(bad_v15)),
        (
            "OAEP for another key",
            B64.encode(oaep(&k.other_server.to_public_key(), b"s3cret")),
        ),
        (
            "PKCS#1 v1.5 for another key",
            B64.encode(pkcs1v15(&k.other_server.to_public_key(), b"s3cret")),
        ),
        (
            "OAEP, plaintext not UTF-8",
            B64.encode(oaep(&public, &[0xff, 0xfe])),
        ),
        (
            "PKCS#1 v1.5, plaintext not UTF-8",
            B64.encode(pkcs1v15(&public, &[0xc3, 0x28])),
        ),
    ]
}

/// Asserts every answer is the very same packed error, and returns it.
fn one_answer_for_all(answers: &[(String, Value)]) -> Value {
    let (first_case, first) = &answers[0];
    for (case, answer) in answers {
        assert_eq!(
            answer, first,
            "`{case}` is answered differently from `{first_case}`: an oracle"
        );
    }
    first.clone()
}

// ---- no padding oracle -----------------------------------------------------------

#[tokio::test]
async fn every_malformed_rsa_field_gets_the_identical_packed_error() {
    let server = server().await;
    let good = cipher::encrypt_key_bytes(&keys().server.to_public_key(), b"s3cret").unwrap();
    let v15 = B64.encode(pkcs1v15(&keys().server.to_public_key(), b"s3cret"));
    // Both paddings decrypt (PKCS#1 v1.5 opted in, the more exposed setting): what is
    // refused below is refused for the blob alone.
    assert_eq!(
        post_json(&server, "/login", &json!({"password": good})).await,
        ok(json!("s3cret"))
    );
    assert_eq!(
        post_json(&server, "/login", &json!({"password": v15})).await,
        ok(json!("s3cret"))
    );

    let mut answers = Vec::new();
    for (case, blob) in malformed_rsa_blobs() {
        let answer = post_json(&server, "/login", &json!({"password": blob})).await;
        answers.push((format!("{case} (JSON body)"), answer));
        let answer = get(&server, "/login", &[("password", blob.as_str())]).await;
        answers.push((format!("{case} (query)"), answer));
    }
    for (case, value) in [
        ("a JSON number", json!(12345)),
        ("a JSON object", json!({"blob": good})),
        ("a JSON array", json!([good])),
        ("a JSON bool", json!(false)),
    ] {
        let answer = post_json(&server, "/login", &json!({"password": value})).await;
        answers.push((case.to_owned(), answer));
    }
    assert_eq!(
        one_answer_for_all(&answers),
        err(BAD_PARAMETER, "Bad parameter: password. cannot be decrypted.")
    );
}

#[tokio::test]
async fn every_malformed_encrypted_body_gets_the_identical_packed_error() {
    let server = server().await;
    let k = keys();
    let public = k.server.to_public_key();
    let key = cipher::random_key();
    let password = cipher::encrypt_key(&public, &key).unwrap();
    let data = cipher::seal(&key, br#"{"msg":"hello"}"#);
    assert_eq!(
        post_json(
            &server,
            "/decode",
            &json!({"encryptedPassword": password, "encryptedData": data})
        )
        .await,
        ok(json!("hello"))
    );

    let sealed = |plaintext: &[u8]| {
        let key = cipher::random_key();
        (
            cipher::encrypt_key(&public, &key).unwrap(),
            cipher::seal(&key, plaintext),
        )
    };
    let raw_data = unb64(&data);
    let mut tampered = raw_data.clone();
    tampered[14] ^= 0x01;
    let mut cases: Vec<(String, String, String)> = malformed_rsa_blobs()
        .into_iter()
        .map(|(case, blob)| (format!("encryptedPassword: {case}"), blob, data.clone()))
        .collect();
    let extra = [
        (
            "encryptedPassword: a 16-byte key",
            cipher::encrypt_key_bytes(&public, &[7; 16]).unwrap(),
            data.clone(),
        ),
        (
            "encryptedPassword: a 33-byte key",
            cipher::encrypt_key_bytes(&public, &[7; 33]).unwrap(),
            data.clone(),
        ),
        (
            "encryptedPassword: the right key, PKCS#1 v1.5",
            B64.encode(pkcs1v15(&public, &key)),
            data.clone(),
        ),
        (
            "encryptedData: one bit flipped",
            password.clone(),
            B64.encode(&tampered),
        ),
        (
            "encryptedData: under another AES key",
            password.clone(),
            cipher::seal(&cipher::random_key(), br#"{"msg":"hello"}"#),
        ),
        ("encryptedData: not base64", password.clone(), "%%%%".to_owned()),
        ("encryptedData: empty", password.clone(), String::new()),
        (
            "encryptedData: shorter than nonce and tag",
            password.clone(),
            B64.encode(&raw_data[..27]),
        ),
    ];
    cases.extend(extra.map(|(case, p, d)| (case.to_owned(), p, d)));
    for (case, plaintext) in [
        ("plaintext: not JSON", &b"hello"[..]),
        ("plaintext: a JSON array", b"[1]"),
        ("plaintext: invalid UTF-8", b"{\"msg\":\"\xff\"}"),
    ] {
        let (p, d) = sealed(plaintext);
        cases.push((case.to_owned(), p, d));
    }

    let mut answers = Vec::new();
    for (case, password, data) in cases {
        let body = json!({"encryptedPassword": password, "encryptedData": data});
        answers.push((case.clone(), post_json(&server, "/decode", &body).await));
        let form = [
            ("encryptedPassword", password.as_str()),
            ("encryptedData", data.as_str()),
        ];
        let answer = send(server.http.client.post(server.http.url("/decode")).form(&form)).await;
        answers.push((format!("{case} (form)"), answer.json));
    }
    assert_eq!(
        one_answer_for_all(&answers),
        err(
            BAD_PARAMETER,
            "Bad parameter: encryptedData. cannot be decrypted."
        )
    );
}

// ---- the safe packer: one client cannot read another's answer --------------------

#[tokio::test]
async fn a_safe_answer_for_one_client_cannot_be_decrypted_with_another_clients_key() {
    let server = server().await;
    let k = keys();
    for (reader, intruder, client) in [(&k.alice, &k.bob, "alice"), (&k.bob, &k.alice, "bob")] {
        let answer = get(&server, "/safe_ping", &[("clientId", client)]).await;
        let password = answer["encryptedPassword"].as_str().expect("a safe answer");
        let data = answer["encryptedData"].as_str().expect("a safe answer");

        // The right client reads it: the refusals below are about the key alone.
        let key = cipher::decrypt_key(reader, password).unwrap();
        let plaintext = cipher::open(&key, data).unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&plaintext).unwrap(),
            ok(json!("pong"))
        );

        // The other client's private key opens neither the AES key (with either
        // padding) nor, through a guessed key, the data.
        assert!(
            cipher::decrypt_key(intruder, password).is_err(),
            "{client}'s answer: the other client decrypts encryptedPassword"
        );
        assert!(
            cipher::rsa_decrypt(intruder, password, cipher::RsaPaddings::OaepOrPkcs1v15).is_err(),
            "{client}'s answer: the other client decrypts encryptedPassword (either padding)"
        );
        assert!(cipher::open(&cipher::random_key(), data).is_err());

        // The other client's own unpacking says so, with the one undecryptable error.
        let packer = apiview::packer::SafePacker::for_client(intruder.clone());
        let refused = apiview::packer::Packer::unpack(
            &packer,
            &serde_json::to_vec(&answer).unwrap(),
            &Default::default(),
        )
        .unwrap_err();
        assert_eq!(refused.code(), BAD_PARAMETER, "{refused:?}");
    }
}

// ---- aclkey: every difference refused alike --------------------------------------

/// Variants of `key` that must all be refused: a change in the first, a middle and
/// the last byte, one byte shorter or longer, another case, a space around it.
fn near_misses(key: &str) -> Vec<(&'static str, String)> {
    let flip = |index: usize| {
        let mut bytes = key.as_bytes().to_vec();
        bytes[index] ^= 0x01;
        String::from_utf8(bytes).unwrap()
    };
    vec![
        ("first byte differs", flip(0)),
        ("middle byte differs", flip(key.len() / 2)),
        ("last byte differs", flip(key.len() - 1)),
        ("one byte short", key[..key.len() - 1].to_owned()),
        ("one byte long", format!("{key}x")),
        ("prefix only", key[..1].to_owned()),
        ("upper case", key.to_uppercase()),
        ("trailing space", format!("{key} ")),
        ("twice", key.repeat(2)),
    ]
}

#[tokio::test]
async fn aclkeys_that_differ_in_the_first_or_the_last_byte_are_refused_alike() {
    let server = server().await;
    for (path, accepted) in [
        ("/secure", [ACLKEY, SECOND_ACLKEY]),
        ("/secure_given", ["given-key-number-one", "given-key-number-two"]),
    ] {
        // Every accepted key passes, the last one too: no key is skipped once an
        // earlier one has been compared.
        for key in accepted {
            assert_eq!(
                get(&server, path, &[("aclkey", key)]).await,
                ok(json!("ok")),
                "{path}: {key}"
            );
        }
        let mut answers = Vec::new();
        for key in accepted {
            for (case, wrong) in near_misses(key) {
                assert_ne!(wrong, key);
                let answer = get(&server, path, &[("aclkey", wrong.as_str())]).await;
                answers.push((format!("{path}: {key}: {case}"), answer));
                if wrong.trim() != wrong {
                    // HTTP strips the spaces around a header value: as a header, this
                    // is the right key.
                    continue;
                }
                let answer = send(
                    server
                        .http
                        .client
                        .get(server.http.url(path))
                        .header("aclkey", wrong.as_str()),
                )
                .await
                .json;
                answers.push((format!("{path}: {key}: {case} (header)"), answer));
            }
        }
        assert_eq!(
            one_answer_for_all(&answers),
            err(APP_AUTH_FAILED, "App auth failed.")
        );
    }
}
