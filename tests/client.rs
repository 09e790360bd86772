#![cfg(feature = "client")]
//! `ApiviewClient` against real servers (DESIGN §8): every packer, business errors
//! with their code and message, the safe packer both ways, retries of connection
//! failures only, and answers that are not packed at all.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use apiview::client::{ApiviewClient, ClientError};
use apiview::packer::{DeetrPacker, DmrsPacker, SimplePacker};
use apiview::prelude::*;
use apiview::{cipher, Packer};
use common::keys::keys;
use common::{APP_AUTH_FAILED, BAD_PARAMETER, MISSING_PARAMETER, STRING_TOO_SHORT};
use poem::listener::{Listener, TcpListener};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tempfile::TempDir;

// ---- endpoints -----------------------------------------------------------------

#[apiview]
fn ping() -> &'static str {
    "pong"
}

#[apiview]
#[between(a, 0, 100)]
fn add(a: i64, b: i64) -> i64 {
    a + b
}

#[apiview]
#[allow_post]
#[string_length_limit(msg, min_length = 2, max_length = 10)]
fn echo(msg: String) -> String {
    msg
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    age: u32,
    tags: Vec<String>,
}

#[apiview]
fn user_info() -> User {
    User {
        name: "ann".into(),
        age: 33,
        tags: vec!["a".into(), "b".into()],
    }
}

#[apiview]
#[allow_post]
fn float_echo(x: f64) -> f64 {
    x
}

#[apiview]
fn custom_error() -> apiview::Result<i64> {
    Err(BizError::new(4242, "Custom {x} failure: 失败"))
}

static FAILING_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
fn always_fails() -> apiview::Result<i64> {
    FAILING_CALLS.fetch_add(1, Ordering::SeqCst);
    Err(BizError::new(777, "always fails"))
}

#[apiview(packer = "safe")]
fn safe_ping() -> &'static str {
    "pong"
}

#[apiview(packer = "safe")]
#[string_length_limit(msg, min_length = 2, max_length = 10)]
fn safe_echo(msg: String) -> String {
    msg
}

#[apiview]
#[decode_encrypted_data]
fn decode_echo(msg: String) -> String {
    msg
}

fn routes(app: App) -> App {
    app.at("/ping", ping)
        .at("/add", add)
        .at("/echo", echo)
        .at("/user", user_info)
        .at("/custom_error", custom_error)
}

// ---- keys ----------------------------------------------------------------------

/// Settings with the server key and alice's public key as PEM files in `dir`.
fn safe_settings(dir: &TempDir, safe: &str) -> Settings {
    let k = keys();
    let server = dir.path().join("server.pem");
    let alice = dir.path().join("alice.pub.pem");
    std::fs::write(&server, cipher::private_key_to_pem(&k.server).unwrap()).unwrap();
    std::fs::write(
        &alice,
        cipher::public_key_to_pem(&k.alice.to_public_key()).unwrap(),
    )
    .unwrap();
    common::settings(&format!(
        "[safe]\n{safe}\nserver_private_key = {:?}\nclient_public_keys = {{ alice = {:?} }}\n",
        server.display().to_string(),
        alice.display().to_string(),
    ))
}

async fn safe_server(dir: &TempDir, safe: &str) -> common::TestServer {
    common::serve(
        App::new(safe_settings(dir, safe))
            .at("/safe_ping", safe_ping)
            .at("/safe_echo", safe_echo)
            .at("/decode_echo", decode_echo),
    )
    .await
}

// ---- helpers -------------------------------------------------------------------

/// The business error of a failed call (panics on anything else).
fn business<T: std::fmt::Debug>(result: Result<T, ClientError>) -> BizError {
    match result {
        Err(ClientError::Business(err)) => err,
        other => panic!("expected a business error, got {other:?}"),
    }
}

/// An address on which nothing listens (yet).
fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Serves `endpoint` at `addr` until the task running this is aborted.
async fn run_at<E>(addr: SocketAddr, endpoint: E)
where
    E: poem::IntoEndpoint,
    E::Endpoint: 'static,
{
    let endpoint = poem::EndpointExt::map_to_response(endpoint.into_endpoint());
    let acceptor = TcpListener::bind(addr.to_string()).into_acceptor().await.unwrap();
    let _ = poem::Server::new_with_acceptor(acceptor).run(endpoint).await;
}

// ---- every packer ----------------------------------------------------------------

async fn exercise_packer(name: &str, packer: impl Packer) {
    let server = common::serve(routes(App::new(common::settings(&format!("packer = {name:?}"))))).await;
    let client = ApiviewClient::new(&server.base).packer(packer);

    let pong: String = client.get("/ping", &()).await.unwrap();
    assert_eq!(pong, "pong", "{name}");
    let sum: i64 = client.get("/add", &[("a", 1), ("b", 2)]).await.unwrap();
    assert_eq!(sum, 3, "{name}");
    let sum: i64 = client
        .get("/add", &BTreeMap::from([("a", "40"), ("b", "2")]))
        .await
        .unwrap();
    assert_eq!(sum, 42, "{name}");
    #[derive(Serialize)]
    struct AddQuery {
        a: i64,
        b: i64,
    }
    let sum: i64 = client.get("/add", &AddQuery { a: 5, b: 6 }).await.unwrap();
    assert_eq!(sum, 11, "{name}");
    let echoed: String = client.post_json("/echo", &json!({"msg": "hello"})).await.unwrap();
    assert_eq!(echoed, "hello", "{name}");
    let echoed: String = client.post_form("/echo", &[("msg", "你好世界")]).await.unwrap();
    assert_eq!(echoed, "你好世界", "{name}");
    let user: User = client.get("/user", &()).await.unwrap();
    assert_eq!(
        user,
        User {
            name: "ann".into(),
            age: 33,
            tags: vec!["a".into(), "b".into()]
        },
        "{name}"
    );

    // Business errors keep their code and message.
    let err = business(client.get::<i64>("/add", &[("a", 101), ("b", 2)]).await);
    assert_eq!(err.code(), BAD_PARAMETER, "{name}");
    let raw = server
        .client
        .get(server.url("/add?a=101&b=2"))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let sent = raw["error"]["message"]
        .as_str()
        .or(raw["errmsg"].as_str())
        .or(raw["message"].as_str())
        .unwrap();
    assert_eq!(err.message(), sent, "{name}");
    let err = business(client.post_json::<String>("/echo", &json!({"msg": "x"})).await);
    assert_eq!(
        (err.code(), err.message()),
        (STRING_TOO_SHORT, "String shorter than 2.".to_owned()),
        "{name}"
    );
    let err = business(client.post_form::<String>("/echo", &()).await);
    assert_eq!(
        (err.code(), err.message()),
        (MISSING_PARAMETER, "Missing parameter: msg.".to_owned()),
        "{name}"
    );
    let err = business(client.get::<i64>("/custom_error", &()).await);
    assert_eq!(
        (err.code(), err.message()),
        (4242, "Custom {x} failure: 失败".to_owned()),
        "{name}"
    );

    // A result that does not fit the type asked for.
    match client.get::<i64>("/ping", &()).await {
        Err(ClientError::Decode(_)) => {}
        other => panic!("{name}: expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn the_client_unpacks_the_simple_packer() {
    exercise_packer("simple", SimplePacker).await;
}

#[tokio::test]
async fn the_client_unpacks_the_deetr_packer() {
    exercise_packer("deetr", DeetrPacker).await;
}

#[tokio::test]
async fn the_client_unpacks_the_dmrs_packer() {
    exercise_packer("dmrs", DmrsPacker).await;
}

#[tokio::test]
async fn the_default_packer_is_simple_and_paths_join_with_the_base() {
    let server = common::serve(routes(App::new(Settings::default()))).await;
    let client = ApiviewClient::new(format!("{}/", server.base));
    let pong: String = client.get("ping", &()).await.unwrap();
    assert_eq!(pong, "pong");
    let pong: String = client.get("/ping", &()).await.unwrap();
    assert_eq!(pong, "pong");
}

#[tokio::test]
async fn business_errors_arrive_in_the_server_language() {
    let server = common::serve(routes(App::new(common::settings("language = \"zh-hans\"")))).await;
    let client = ApiviewClient::new(&server.base);
    let err = business(client.post_json::<String>("/echo", &json!({"msg": "x"})).await);
    assert_eq!(
        (err.code(), err.message()),
        (STRING_TOO_SHORT, "参数字符数不足，最低要求为：2。".to_owned())
    );
}

#[tokio::test]
async fn floats_cross_the_wire_both_ways_bit_for_bit() {
    // Found by fuzzing: serde_json's default float parser read 2.0040940380140074e138
    // as 2.004094038014007e138, on the server (the request) and in the client (the answer).
    let server = common::serve(App::new(Settings::default()).at("/float_echo", float_echo)).await;
    let client = ApiviewClient::new(&server.base);
    for x in [
        2.0040940380140074e138,
        9.223777777777778e49,
        0.1,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
    ] {
        let echoed: f64 = client.post_json("/float_echo", &json!({"x": x})).await.unwrap();
        assert_eq!(echoed.to_bits(), x.to_bits(), "{x:e} came back as {echoed:e}");
    }
}

// ---- the safe packer -------------------------------------------------------------

#[tokio::test]
async fn a_safe_client_decrypts_answers_and_encrypts_requests() {
    let dir = TempDir::new().unwrap();
    let server = safe_server(&dir, "").await;
    let k = keys();
    let client = ApiviewClient::new(&server.base)
        .safe("alice", k.alice.clone())
        .encrypt_requests(k.server.to_public_key());

    let pong: String = client.get("/safe_ping", &()).await.unwrap();
    assert_eq!(pong, "pong");
    let echoed: String = client
        .post_json("/safe_echo", &json!({"msg": "hello"}))
        .await
        .unwrap();
    assert_eq!(echoed, "hello");
    let echoed: String = client.post_form("/safe_echo", &[("msg", "form")]).await.unwrap();
    assert_eq!(echoed, "form");
    let echoed: String = client.get("/safe_echo", &[("msg", "query")]).await.unwrap();
    assert_eq!(echoed, "query");
    // An encrypted error is decrypted into the business error.
    let err = business(
        client
            .post_json::<String>("/safe_echo", &json!({"msg": "x"}))
            .await,
    );
    assert_eq!(
        (err.code(), err.message()),
        (STRING_TOO_SHORT, "String shorter than 2.".to_owned())
    );
    // Repeated calls (the server reuses its AES key; each answer has its own nonce).
    for _ in 0..5 {
        let pong: String = client.get("/safe_ping", &()).await.unwrap();
        assert_eq!(pong, "pong");
    }
}

#[tokio::test]
async fn encrypt_requests_sends_what_decode_encrypted_data_needs() {
    let dir = TempDir::new().unwrap();
    let server = safe_server(&dir, "").await;
    let k = keys();

    let encrypting = ApiviewClient::new(&server.base).encrypt_requests(k.server.to_public_key());
    let echoed: String = encrypting
        .post_json("/decode_echo", &json!({"msg": "sealed"}))
        .await
        .unwrap();
    assert_eq!(echoed, "sealed");
    let plain = ApiviewClient::new(&server.base);
    let err = business(
        plain
            .post_json::<String>("/decode_echo", &json!({"msg": "sealed"}))
            .await,
    );
    assert_eq!(
        (err.code(), err.message()),
        (
            MISSING_PARAMETER,
            "Missing parameter: encryptedPassword.".to_owned()
        )
    );
}

#[tokio::test]
async fn on_the_wire_the_request_body_is_encrypted_and_the_client_id_sent() {
    #[derive(Default)]
    struct Seen {
        query: String,
        body: Vec<u8>,
    }
    let seen = Arc::new(Mutex::new(Seen::default()));
    let record = seen.clone();
    let endpoint = poem::endpoint::make(move |mut req: poem::Request| {
        let record = record.clone();
        async move {
            let body = req.take_body().into_vec().await.unwrap_or_default();
            let mut seen = record.lock().unwrap();
            seen.query = req.uri().query().unwrap_or("").to_owned();
            seen.body = body;
            poem::web::Json(json!({"success": true, "result": "recorded"}))
        }
    });
    let server = common::serve_endpoint(endpoint).await;
    let k = keys();
    let client = ApiviewClient::new(&server.base)
        .safe("alice", k.alice.clone())
        .encrypt_requests(k.server.to_public_key());
    // The recorder answers in clear (as to an unknown client), which the client reads.
    let answer: String = client
        .post_json("/", &json!({"msg": "top secret"}))
        .await
        .unwrap();
    assert_eq!(answer, "recorded");

    let nonce = {
        let recorded = seen.lock().unwrap();
        assert_eq!(recorded.query, "clientId=alice");
        assert!(
            !String::from_utf8_lossy(&recorded.body).contains("top secret"),
            "the secret went out in clear"
        );
        // A safe client's body (DESIGN §19): signed by alice, bound to `POST /`, with
        // her id, the time and a fresh nonce inside.
        let body: Value = serde_json::from_slice(&recorded.body).unwrap();
        let fields: Vec<&String> = body.as_object().unwrap().keys().collect();
        assert_eq!(fields, ["encryptedPassword", "encryptedData", "signature"]);
        let (password, data) = (
            body["encryptedPassword"].as_str().unwrap(),
            body["encryptedData"].as_str().unwrap(),
        );
        cipher::verify_request(
            &k.alice.to_public_key(),
            password,
            data,
            body["signature"].as_str().unwrap(),
        )
        .unwrap();
        let key = cipher::decrypt_key(&k.server, password).unwrap();
        assert!(cipher::open(&key, data).is_err(), "no associated data");
        let plaintext = cipher::open_with_aad(&key, data, b"POST /").unwrap();
        let mut inside: Value = serde_json::from_slice(&plaintext).unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let ts = inside["ts"].as_u64().unwrap();
        assert!(ts.abs_diff(now) <= 5, "ts {ts}, now {now}");
        let nonce = inside["nonce"].as_str().unwrap().to_owned();
        assert!(nonce.len() >= 16, "{nonce}");
        inside.as_object_mut().unwrap().remove("ts");
        inside.as_object_mut().unwrap().remove("nonce");
        assert_eq!(inside, json!({"msg": "top secret", "clientId": "alice"}));
        nonce
    };
    // Every request has its own nonce.
    let _: String = client.post_json("/", &json!({"msg": "again"})).await.unwrap();
    let body: Value = serde_json::from_slice(&seen.lock().unwrap().body).unwrap();
    let key = cipher::decrypt_key(&k.server, body["encryptedPassword"].as_str().unwrap()).unwrap();
    let plaintext = cipher::open_with_aad(&key, body["encryptedData"].as_str().unwrap(), b"POST /").unwrap();
    let again: Value = serde_json::from_slice(&plaintext).unwrap();
    assert_ne!(again["nonce"], json!(nonce));
}

#[tokio::test]
async fn a_safe_client_with_another_field_name() {
    let dir = TempDir::new().unwrap();
    let server = safe_server(&dir, "client_id_field = \"app_id\"").await;
    let k = keys();
    let client = ApiviewClient::new(&server.base).safe_with_field("app_id", "alice", k.alice.clone());
    let pong: String = client.get("/safe_ping", &()).await.unwrap();
    assert_eq!(pong, "pong");
    // Under the default name the server does not know the client.
    let client = ApiviewClient::new(&server.base).safe("alice", k.alice.clone());
    let err = business(client.get::<String>("/safe_ping", &()).await);
    assert_eq!(err.code(), APP_AUTH_FAILED);
}

#[tokio::test]
async fn an_unknown_client_gets_app_auth_failed_and_a_wrong_key_reads_nothing() {
    let dir = TempDir::new().unwrap();
    let server = safe_server(&dir, "").await;
    let k = keys();

    let stranger = ApiviewClient::new(&server.base).safe("mallory", k.bob.clone());
    let err = business(stranger.get::<String>("/safe_ping", &()).await);
    assert_eq!(
        (err.code(), err.message()),
        (APP_AUTH_FAILED, "App auth failed.".to_owned())
    );

    let impostor = ApiviewClient::new(&server.base).safe("alice", k.bob.clone());
    match impostor.get::<String>("/safe_ping", &()).await {
        Ok(pong) => panic!("bob's key read alice's answer: {pong:?}"),
        Err(ClientError::Connection(cause)) => panic!("not a connection failure: {cause}"),
        Err(_) => {}
    }
}

// ---- retries -----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_failures_are_retried_until_the_server_is_up() {
    let addr = free_addr();
    let client = ApiviewClient::new(format!("http://{addr}")).retry(10, Duration::from_millis(100));
    let starter = tokio::spawn(async move {
        // The server comes up late on purpose: the client must keep trying.
        tokio::time::sleep(Duration::from_millis(300)).await;
        run_at(addr, routes(App::new(Settings::default())).into_endpoint()).await
    });
    let started = Instant::now();
    let pong: String = client.get("/ping", &()).await.unwrap();
    assert_eq!(pong, "pong");
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "answered before the server was up?"
    );
    starter.abort();
}

#[tokio::test]
async fn without_retries_a_connection_failure_is_reported() {
    let client = ApiviewClient::new(format!("http://{}", free_addr())).retry(0, Duration::from_secs(3));
    let started = Instant::now();
    match client.get::<String>("/ping", &()).await {
        Err(ClientError::Connection(_)) => {}
        other => panic!("expected a connection error, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "it waited without retrying"
    );
}

#[tokio::test]
async fn retry_limit_retries_that_many_times() {
    let client = ApiviewClient::new(format!("http://{}", free_addr())).retry(3, Duration::from_millis(60));
    let started = Instant::now();
    match client.post_json::<String>("/echo", &json!({"msg": "hi"})).await {
        Err(ClientError::Connection(_)) => {}
        other => panic!("expected a connection error, got {other:?}"),
    }
    assert!(
        started.elapsed() >= Duration::from_millis(180),
        "3 retries 60 ms apart took only {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_business_error_is_never_retried() {
    let server = common::serve(App::new(Settings::default()).at("/always_fails", always_fails)).await;
    let client = ApiviewClient::new(&server.base).retry(5, Duration::from_millis(10));
    let err = business(client.get::<i64>("/always_fails", &()).await);
    assert_eq!((err.code(), err.message()), (777, "always fails".to_owned()));
    assert_eq!(FAILING_CALLS.load(Ordering::SeqCst), 1);
}

// ---- answers that are not packed -----------------------------------------------------

#[poem::handler]
fn plain_text() -> &'static str {
    "just some text"
}

#[poem::handler]
fn bad_gateway() -> poem::Response {
    poem::Response::builder()
        .status(poem::http::StatusCode::BAD_GATEWAY)
        .content_type("text/html")
        .body("<html><body>502 Bad Gateway</body></html>")
}

#[tokio::test]
async fn an_answer_that_is_not_json_is_an_http_error() {
    let server = common::serve_endpoint(plain_text).await;
    match ApiviewClient::new(&server.base).get::<String>("/", &()).await {
        Err(ClientError::Http { status, body }) => {
            assert_eq!(status, 200);
            assert_eq!(body, "just some text");
        }
        other => panic!("expected an HTTP error, got {other:?}"),
    }

    let server = common::serve_endpoint(bad_gateway).await;
    match ApiviewClient::new(&server.base).get::<String>("/", &()).await {
        Err(ClientError::Http { status, body }) => {
            assert_eq!(status, 502);
            assert!(body.contains("502 Bad Gateway"), "{body}");
        }
        other => panic!("expected an HTTP error, got {other:?}"),
    }

    // A path the App does not route: a packed NoMatchingRouteFound (with status 404),
    // which the client reads as the server's business error.
    let server = common::serve(routes(App::new(Settings::default()))).await;
    match ApiviewClient::new(&server.base)
        .get::<String>("/nowhere", &())
        .await
    {
        Err(ClientError::Business(err)) => assert_eq!(err.code(), 1001010004),
        other => panic!("expected NoMatchingRouteFound, got {other:?}"),
    }
}

#[poem::handler]
fn json_not_packed() -> poem::Response {
    poem::Response::builder()
        .status(poem::http::StatusCode::BAD_GATEWAY)
        .content_type("application/json")
        .body(r#"{"message": "upstream down"}"#)
}

/// `ClientError::Http` is "the answer is not a packed answer (a proxy's error page,
/// say)"; `ClientError::Business` is what "the server answered … as sent". A JSON
/// error page from a proxy is not a packed answer, and the server sent no business
/// error.
#[tokio::test]
async fn a_json_answer_that_is_not_packed_is_an_http_error() {
    let server = common::serve_endpoint(json_not_packed).await;
    match ApiviewClient::new(&server.base).get::<String>("/", &()).await {
        Err(ClientError::Http { status, body }) => {
            assert_eq!(status, 502);
            assert!(body.contains("upstream down"), "{body}");
        }
        other => panic!("expected an HTTP error, got {other:?}"),
    }
}

/// An answer the client's key cannot decrypt is not a business error the server
/// sent (`ClientError::Business`: "its code and message as sent").
#[tokio::test]
async fn an_answer_the_client_cannot_decrypt_is_not_a_server_business_error() {
    let dir = TempDir::new().unwrap();
    let server = safe_server(&dir, "").await;
    let k = keys();
    let impostor = ApiviewClient::new(&server.base).safe("alice", k.bob.clone());
    match impostor.get::<String>("/safe_ping", &()).await {
        Err(ClientError::Business(err)) => panic!(
            "the server sent no business error, the client made one up: {} {:?}",
            err.code(),
            err.message()
        ),
        Err(_) => {}
        Ok(pong) => panic!("bob's key read alice's answer: {pong:?}"),
    }
}
