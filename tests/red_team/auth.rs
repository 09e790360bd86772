//! Authentication (DESIGN §14) under attack: forged and odd tokens (`alg: none`,
//! HS/RS confusion, `kid`/`jku`/`x5u`, huge payloads, `nbf` in the future, `sub` not a
//! string), duplicate and odd `Authorization` headers, permissions that panic, the
//! cache and forbidden callers, and requests without credentials that try to cost
//! the server a body read.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use apiview::prelude::*;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use crate::common::{code_of, send, serve, settings, TestServer, SYS_ERROR};
use crate::{answer_of, ping, raw, still_serving};

const LOGIN_REQUIRED: i64 = 1001040009;
const BAD_USER_TOKEN: i64 = 1001040012;
const NO_PERMISSION: i64 = 1001100001;

const SECRET: &str = "red-team-secret-of-at-least-32-bytes!!";

#[apiview]
fn whoami(me: Identity) -> String {
    me.id().to_owned()
}

#[apiview]
fn maybe(me: Option<Identity>) -> Option<String> {
    me.map(|me| me.id().to_owned())
}

#[apiview]
fn public() -> &'static str {
    "public"
}

fn is_owner(me: &Identity, owner: &str) -> bool {
    me.id() == owner
}

fn panics_for_mallory(me: &Identity) -> bool {
    assert!(me.id() != "mallory", "mallory makes this permission panic");
    true
}

static SECRET_RUNS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[permission(is_owner(owner))]
#[permission(panics_for_mallory)]
#[cache(key = "red_team_secret:{owner}", expire = 60)]
fn secret(owner: String) -> String {
    SECRET_RUNS.fetch_add(1, Ordering::SeqCst);
    format!("{owner}'s secret")
}

/// Logging in is required, and the body can be large.
#[apiview]
#[allow_post]
#[login_required]
fn post_note(note: String) -> usize {
    note.len()
}

/// Logging in is required to upload.
#[apiview]
#[allow_post]
#[login_required]
fn upload(file: Upload) -> u64 {
    file.size()
}

async fn server(extra: &str) -> TestServer {
    let app = App::new(settings(&format!("[auth.jwt]\nsecret = '{SECRET}'\n{extra}")))
        .at("/me", whoami)
        .at("/maybe", maybe)
        .at("/public", public)
        .at("/secret", secret)
        .at("/post_note", post_note)
        .at("/upload", upload)
        .at("/ping", ping);
    serve(app).await
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn sign(header: Header, claims: &Value) -> String {
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(SECRET.as_bytes())).unwrap()
}

fn token(sub: &str) -> String {
    sign(
        Header::new(Algorithm::HS256),
        &json!({"sub": sub, "exp": now() + 60}),
    )
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

async fn call(server: &TestServer, path: &str, authorization: Option<&str>) -> Value {
    let mut request = server.client.get(server.url(path));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    tokio::time::timeout(crate::BOUND, send(request))
        .await
        .expect("no answer in time")
        .json
}

#[tokio::test]
async fn forged_and_odd_tokens_are_bad_user_tokens() {
    let server = server("").await;
    let good = token("ann");
    assert_eq!(
        call(&server, "/me", Some(&format!("Bearer {good}"))).await["result"],
        json!("ann")
    );
    let exp = now() + 60;
    let mut forged = vec![
        // alg none, with and without a signature.
        format!(
            "{}.{}.",
            b64(br#"{"alg":"none","typ":"JWT"}"#),
            b64(format!(r#"{{"sub":"ann","exp":{exp}}}"#).as_bytes())
        ),
        format!(
            "{}.{}",
            b64(br#"{"alg":"none"}"#),
            b64(format!(r#"{{"sub":"ann","exp":{exp}}}"#).as_bytes())
        ),
        // `nbf` in the future, `exp` far off.
        sign(
            Header::new(Algorithm::HS256),
            &json!({"sub": "ann", "exp": now() + 10_000_000, "nbf": now() + 3_600}),
        ),
        // `nbf` as text, `exp` as text, as a float, negative, huge.
        sign(
            Header::new(Algorithm::HS256),
            &json!({"sub": "ann", "exp": exp, "nbf": "9999999999"}),
        ),
        sign(
            Header::new(Algorithm::HS256),
            &json!({"sub": "ann", "exp": exp.to_string()}),
        ),
        sign(Header::new(Algorithm::HS256), &json!({"sub": "ann", "exp": 1e30})),
        sign(Header::new(Algorithm::HS256), &json!({"sub": "ann", "exp": -1})),
        // `sub` missing, a number, null, an object.
        sign(Header::new(Algorithm::HS256), &json!({"exp": exp})),
        sign(Header::new(Algorithm::HS256), &json!({"sub": 7, "exp": exp})),
        sign(Header::new(Algorithm::HS256), &json!({"sub": null, "exp": exp})),
        sign(
            Header::new(Algorithm::HS256),
            &json!({"sub": {"id": "ann"}, "exp": exp}),
        ),
        // Claims that are not an object.
        format!("{}.{}.x", b64(br#"{"alg":"HS256"}"#), b64(b"[1,2,3]")),
        // Another algorithm of the HMAC family, signed with the right secret.
        sign(Header::new(Algorithm::HS512), &json!({"sub": "ann", "exp": exp})),
        // Deep JSON in the claims.
        format!(
            "{}.{}.x",
            b64(br#"{"alg":"HS256"}"#),
            b64(format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).as_bytes())
        ),
        // A signature swapped in from another token.
        {
            let other = token("bob");
            let (head, _) = good.rsplit_once('.').unwrap();
            format!("{head}.{}", other.rsplit_once('.').unwrap().1)
        },
    ];
    // kid, jku, x5u pointing elsewhere, on a token signed with another secret: the
    // headers are not followed.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("../../../../dev/null".into());
    header.jku = Some("http://127.0.0.1:1/jwks.json".into());
    header.x5u = Some("http://127.0.0.1:1/cert.pem".into());
    forged.push(
        jsonwebtoken::encode(
            &header,
            &json!({"sub": "ann", "exp": exp}),
            &EncodingKey::from_secret(b"the-attackers-own-secret-of-32-bytes"),
        )
        .unwrap(),
    );
    for token in &forged {
        for path in ["/me", "/maybe"] {
            let answer = call(&server, path, Some(&format!("Bearer {token}"))).await;
            assert_eq!(code_of(&answer), BAD_USER_TOKEN, "{path} {token:.80}: {answer}");
        }
    }
    // The same headers on a rightly signed token change nothing: it passes.
    let answer = call(
        &server,
        "/me",
        Some(&format!(
            "Bearer {}",
            sign(header, &json!({"sub": "ann", "exp": exp}))
        )),
    )
    .await;
    assert_eq!(answer["result"], json!("ann"), "{answer}");
    still_serving(&server).await;
}

#[tokio::test]
async fn huge_tokens_are_answered_and_cost_one_check() {
    let server = server("").await;
    // Near the head's size limit: a signed token of 60 kB of claims, and garbage.
    let big = sign(
        Header::new(Algorithm::HS256),
        &json!({"sub": "ann", "exp": now() + 60, "pad": "p".repeat(45_000)}),
    );
    assert!(big.len() > 60_000);
    assert_eq!(
        call(&server, "/me", Some(&format!("Bearer {big}"))).await["result"],
        json!("ann")
    );
    let garbage = "A".repeat(60_000);
    for value in [
        format!("Bearer {garbage}"),
        format!("Bearer {garbage}.{garbage}.{garbage}"),
    ] {
        assert_eq!(code_of(&call(&server, "/me", Some(&value)).await), BAD_USER_TOKEN);
    }
    // Over the head's limit: the HTTP layer refuses it, and the server goes on.
    let head = format!(
        "GET /me HTTP/1.1\r\nAuthorization: Bearer {}",
        "A".repeat(2_000_000)
    );
    let answer = tokio::time::timeout(crate::BOUND, async {
        let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
        let _ = stream
            .write_all(format!("{head}\r\nHost: x\r\n\r\n").as_bytes())
            .await;
        answer_of(&mut stream, crate::BOUND).await
    })
    .await
    .unwrap();
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "{answer:.200}"
    );
    still_serving(&server).await;
}

#[tokio::test]
async fn odd_authorization_headers() {
    let server = server("").await;
    let good = token("ann");
    for value in [
        format!("Bearer {good}"),
        format!("bearer {good}"),
        format!("BEARER {good}"),
        format!("Bearer    {good}"),
        format!("Bearer {good}   "),
    ] {
        assert_eq!(
            call(&server, "/me", Some(&value)).await["result"],
            json!("ann"),
            "{value:.20}"
        );
    }
    for value in [
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        format!("Bearer {good} {good}"),
        format!("Bearer {good},Bearer {good}"),
        format!("Bearer \"{good}\""),
        format!("Bearer {good}\u{e9}"),
    ] {
        assert_eq!(
            code_of(&call(&server, "/me", Some(&value)).await),
            BAD_USER_TOKEN,
            "{value:.30}"
        );
    }
    // Another scheme: no credentials.
    for value in ["Basic YW5uOnB3", "Token abc", "Bearer_x", ""] {
        assert_eq!(
            code_of(&call(&server, "/me", Some(value)).await),
            LOGIN_REQUIRED,
            "{value}"
        );
        assert_eq!(
            call(&server, "/maybe", Some(value)).await["result"],
            Value::Null,
            "{value}"
        );
    }
    // Twice, even the same good token twice, or a good one and another scheme.
    for second in [
        format!("Bearer {good}"),
        "Basic YW5uOnB3".to_owned(),
        format!("Bearer {}", token("bob")),
    ] {
        let head = format!("GET /me HTTP/1.1\r\nAuthorization: Bearer {good}\r\nAuthorization: {second}");
        assert_eq!(
            code_of(&raw(&server, &head, &[]).await.json()),
            BAD_USER_TOKEN,
            "{second:.20}"
        );
    }
    // A garbage header where nothing authenticates is ignored.
    for value in ["Bearer !!!", "Bearer", "Bearer \u{e9}\u{e9}", "Digest x"] {
        let head = format!("GET /public HTTP/1.1\r\nAuthorization: {value}");
        assert_eq!(
            raw(&server, &head, &[]).await.json()["result"],
            json!("public"),
            "{value:?}"
        );
    }
    // A control byte is refused by the HTTP layer itself, before anything runs.
    let answer = raw(&server, "GET /public HTTP/1.1\r\nAuthorization: \u{1}", &[]).await;
    assert_eq!(answer.status, 400, "{answer:?}");
    still_serving(&server).await;
}

#[tokio::test]
async fn a_cached_answer_never_reaches_a_forbidden_or_panicking_caller() {
    let server = server("").await;
    let ann = format!("Bearer {}", token("ann"));
    assert_eq!(
        call(&server, "/secret?owner=ann", Some(&ann)).await["result"],
        json!("ann's secret")
    );
    assert_eq!(
        call(&server, "/secret?owner=ann", Some(&ann)).await["result"],
        json!("ann's secret")
    );
    assert_eq!(SECRET_RUNS.load(Ordering::SeqCst), 1);
    let bob = format!("Bearer {}", token("bob"));
    assert_eq!(
        code_of(&call(&server, "/secret?owner=ann", Some(&bob)).await),
        NO_PERMISSION
    );
    assert_eq!(
        code_of(&call(&server, "/secret?owner=ann", None).await),
        LOGIN_REQUIRED
    );
    // A caller whose permission panics gets SysError, never the cached answer.
    let mallory = format!("Bearer {}", token("mallory"));
    assert_eq!(
        code_of(&call(&server, "/secret?owner=mallory", Some(&mallory)).await),
        SYS_ERROR
    );
    // Values chosen to collide with the key: another owner's text.
    for owner in ["ann%20", "Ann", "ann%00", "ann:", "*"] {
        let answer = call(&server, &format!("/secret?owner={owner}"), Some(&ann)).await;
        assert_eq!(code_of(&answer), NO_PERMISSION, "{owner}: {answer}");
    }
    assert_eq!(SECRET_RUNS.load(Ordering::SeqCst), 1);
    still_serving(&server).await;
}

/// Head and the start of a body declared much longer, then silence: the server must
/// answer without waiting for the rest (its body timeout is 30 s here).
async fn without_credentials_the_body_is_not_waited_for(
    path: &str,
    content_type: &str,
    start: &[u8],
) -> String {
    let server = server("[limits]\nbody_timeout_ms = 30000").await;
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: 1000000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(start).await.unwrap();
    answer_of(&mut stream, Duration::from_secs(5)).await
}

#[tokio::test]
async fn a_request_without_credentials_is_refused_before_its_body_is_read() {
    let answer =
        without_credentials_the_body_is_not_waited_for("/post_note", "application/json", b"{\"note\": \"")
            .await;
    assert!(answer.contains(&LOGIN_REQUIRED.to_string()), "{answer}");
    let answer = without_credentials_the_body_is_not_waited_for(
        "/upload",
        "multipart/form-data; boundary=X",
        b"--X\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\n",
    )
    .await;
    assert!(answer.contains(&LOGIN_REQUIRED.to_string()), "{answer}");
}

#[tokio::test]
async fn credentials_checked_after_the_body_still_refuse_and_keep_nothing() {
    let server = server("").await;
    let request = server
        .client
        .post(server.url("/post_note"))
        .json(&json!({"note": "n".repeat(100_000)}));
    assert_eq!(code_of(&send(request).await.json), LOGIN_REQUIRED);
    let bad = server
        .client
        .post(server.url("/post_note"))
        .header("authorization", "Bearer x.y.z")
        .json(&json!({"note": "n"}));
    assert_eq!(code_of(&send(bad).await.json), BAD_USER_TOKEN);
    let good = server
        .client
        .post(server.url("/post_note"))
        .header("authorization", format!("Bearer {}", token("ann")))
        .json(&json!({"note": "nnn"}));
    assert_eq!(send(good).await.json["result"], json!(3));
}
