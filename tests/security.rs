//! Hostile input over real HTTP (issue 7): cache keys crafted to reach another
//! endpoint's entry, cached answers and `check_aclkey`, oversized bodies and heads and
//! deeply nested JSON while normal clients are being served, and slow-loris clients
//! against `apiview::listener::Limited` (tests/limits.rs has the rest of §11).
//!
//! tests/bad_input.rs checks each malformed request alone; here the point is that the
//! attack does not touch anybody else: clients running alongside see no failure.
//! Figures are printed (`-- --nocapture`) for RELIABILITY.md.

mod common;
#[path = "common/load.rs"]
mod load;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use apiview::listener::Limited;
use apiview::prelude::*;
use common::{code_of, err, ok, RawAnswer, TestServer};
use load::{Load, Shot};
use poem::listener::{Acceptor, Listener, TcpListener};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MINUTE: Duration = Duration::from_secs(60);

fn calls(counter: &AtomicUsize) -> usize {
    counter.load(Ordering::SeqCst)
}

#[apiview]
fn healthy(a: i64, b: i64) -> i64 {
    a + b
}

/// Clients asking `/healthy` in a loop, each answer checked.
fn healthy_load(base: &str, clients: usize) -> Load {
    let base = base.to_owned();
    Load::start(clients, move |client, c, n| {
        let (a, b) = (c as i64, n as i64);
        Shot {
            label: "healthy",
            request: client.get(format!("{base}/healthy?a={a}&b={b}")),
            expect: ok(json!(a + b)),
        }
    })
}

/// A raw exchange that must not hang.
async fn raw(server: &TestServer, head: &str, body: &[&[u8]]) -> RawAnswer {
    tokio::time::timeout(Duration::from_secs(30), server.raw(head, body))
        .await
        .expect("the server did not answer within 30 s")
}

// ---- cache keys that try to reach another endpoint's entry ----------------------------------

static BALANCE_CALLS: AtomicUsize = AtomicUsize::new(0);
static TOKEN_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "acct:{user}", expire = 60)]
fn balance(user: String) -> String {
    BALANCE_CALLS.fetch_add(1, Ordering::SeqCst);
    format!("balance of {user}")
}

/// The entry worth stealing: unescaped, `balance("alice:token")` would read it.
#[apiview]
#[cache(key = "acct:{user}:token", expire = 60)]
fn token(user: String) -> String {
    TOKEN_CALLS.fetch_add(1, Ordering::SeqCst);
    format!("TOKEN-of-{user}")
}

/// `/balance` for `user`, sent in a JSON body, where any character can travel.
async fn balance_of(server: &TestServer, user: &str) -> Value {
    let request = server
        .client
        .post(server.url("/balance"))
        .json(&json!({"user": user}));
    common::send(request).await.json
}

#[tokio::test]
async fn crafted_values_never_reach_another_endpoints_cache_entry() {
    let app = App::new(common::settings(""))
        .at("/balance", balance)
        .at("/token", token);
    let templates: Vec<_> = app.cache_entries().iter().map(|entry| entry.template).collect();
    assert_eq!(templates, ["acct:{user}", "acct:{user}:token"]);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    let stolen = ok(json!("TOKEN-of-alice"));
    assert_eq!(server.get_json("/token?user=alice").await, stolen);

    let long = format!("alice:token:{}", "x".repeat(10_000));
    let crafted: Vec<String> = [
        "alice:token",
        "alice%3Atoken",
        "alice%253Atoken",
        "alice:*",
        "*",
        "alice:tok?n",
        "alice:[t]oken",
        "{user}:token",
        "alice}:token{",
        "alice\n:token",
        "alice\r\n:token",
        "alice:token\r\nSET acct:alice:token pwned",
        "alice:token\u{0}",
        "alice\u{ff1a}token",
        "",
    ]
    .into_iter()
    .map(str::to_owned)
    .chain([
        long.clone(),
        format!("{long}y"),
        // The digest that stands for the long value in its key, sent as a value.
        apiview::cache::key_part(&long).unwrap(),
    ])
    .collect();
    for round in 1..=2 {
        for user in &crafted {
            assert_eq!(
                balance_of(&server, user).await,
                ok(json!(format!("balance of {user}"))),
                "round {round}: {user:?}"
            );
        }
        // Each value computed once: its own entry, shared with no other value.
        assert_eq!(calls(&BALANCE_CALLS), crafted.len(), "round {round}");
    }
    // The stolen-entry candidate is untouched, and still what /token answers.
    assert_eq!(
        cache.get("acct:alice:token").await.unwrap(),
        Some(json!("TOKEN-of-alice"))
    );
    assert_eq!(server.get_json("/token?user=alice").await, stolen);
    assert_eq!(calls(&TOKEN_CALLS), 1);

    // A glob character as a value invalidates its own entry only.
    let removed = cache.invalidate("acct:{user}", &[("user", &"*")]).await.unwrap();
    assert_eq!(removed, 1);
    let removed = cache
        .invalidate("acct:{user}", &[("user", &"alice:*")])
        .await
        .unwrap();
    assert_eq!(removed, 1);
    for user in &crafted {
        assert_eq!(
            balance_of(&server, user).await,
            ok(json!(format!("balance of {user}")))
        );
    }
    assert_eq!(
        calls(&BALANCE_CALLS),
        crafted.len() + 2,
        "only `*` and `alice:*` recomputed"
    );
    assert_eq!(server.get_json("/token?user=alice").await, stolen);
    assert_eq!(calls(&TOKEN_CALLS), 1);
    println!(
        "figures security::cache_keys: {} crafted values, {} requests, 0 reached another entry",
        crafted.len(),
        3 * crafted.len() + 3
    );
}

// ---- a cached answer is never served to a caller who fails check_aclkey ---------------------

static SECRET_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[check_aclkey(aclkey = "right-key")]
#[cache(key = "secret:{id}", expire = 60)]
fn secret(id: i64) -> String {
    SECRET_CALLS.fetch_add(1, Ordering::SeqCst);
    format!("secret {id}")
}

static VAULT_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Settings' `aclkey` is empty: nobody gets in.
#[apiview]
#[check_aclkey]
#[cache(key = "vault:{id}", expire = 60)]
fn vault(id: i64) -> String {
    VAULT_CALLS.fetch_add(1, Ordering::SeqCst);
    format!("vault {id}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cached_answer_is_never_served_to_a_caller_failing_check_aclkey() {
    let app = App::new(common::settings("aclkey = \"\""))
        .at("/secret", secret)
        .at("/vault", vault);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    let auth_failed = err(common::APP_AUTH_FAILED, "App auth failed.");
    // Authorized callers fill the cache.
    for id in 1..=4 {
        let answer = common::send(
            server
                .client
                .get(server.url(&format!("/secret?id={id}")))
                .header("aclkey", "right-key"),
        )
        .await;
        assert_eq!(answer.json, ok(json!(format!("secret {id}"))));
    }
    assert_eq!(calls(&SECRET_CALLS), 4);

    // Wrong keys, wherever they travel, with the cached parameters.
    let long_key = "right-key".repeat(2_000);
    let wrong = [
        "wrong",
        "",
        "right-ke",
        "right-keyx",
        "RIGHT-KEY",
        " right-key",
        "right-key ",
        "right-key\u{0}",
        "*",
        long_key.as_str(),
    ];
    for key in wrong {
        // An empty key is a wrong key (as in django-apiview, DESIGN §2.3).
        let refused = &auth_failed;
        let key_shown = &key[..key.len().min(24)];
        let by_body = common::send(
            server
                .client
                .post(server.url("/secret"))
                .json(&json!({"id": 1, "aclkey": key})),
        )
        .await;
        assert_eq!(&by_body.json, refused, "key {key_shown:?} in the body");
        let by_query = common::send(
            server
                .client
                .get(server.url("/secret?id=2"))
                .query(&[("aclkey", key)]),
        )
        .await;
        assert_eq!(&by_query.json, refused, "key {key_shown:?} in the query");
        // In a header, surrounding spaces are not part of the value (RFC 9110 5.5):
        // " right-key" is the right key there.
        if key.bytes().all(|b| b.is_ascii_graphic() || b == b' ') && key.trim() == key && key.len() < 1000 {
            let by_header = common::send(
                server
                    .client
                    .get(server.url("/secret?id=3"))
                    .header("aclkey", key)
                    .header("Disable-Cache", "true"),
            )
            .await;
            assert_eq!(&by_header.json, refused, "key {key_shown:?} in a header");
        }
    }
    let missing = err(common::MISSING_PARAMETER, "Missing parameter: aclkey.");
    assert_eq!(server.get_json("/secret?id=4").await, missing);

    // Authorized and refused callers at once, on the cached parameters.
    let base = server.base.clone();
    let refused = auth_failed.clone();
    let figures = load::run_for(16, Duration::from_millis(1500), move |client, c, n| {
        let id = 1 + (n % 4) as i64;
        if c % 2 == 0 {
            Shot {
                label: "authorized",
                request: client
                    .get(format!("{base}/secret?id={id}"))
                    .header("aclkey", "right-key"),
                expect: ok(json!(format!("secret {id}"))),
            }
        } else {
            Shot {
                label: "wrong key",
                request: client
                    .get(format!("{base}/secret?id={id}"))
                    .header("aclkey", format!("wrong-{n}")),
                expect: refused.clone(),
            }
        }
    })
    .await;
    figures.print("security::aclkey_and_cache");
    figures.assert_no_failure("a wrong key never gets a cached answer");
    assert!(
        figures.get("wrong key").ok >= 50,
        "{:?}",
        figures.get("wrong key")
    );
    assert_eq!(calls(&SECRET_CALLS), 4, "every authorized call was a hit");

    // An entry planted in the cache is not served when the configured key is empty.
    cache.set("vault:1", &"planted", MINUTE).await.unwrap();
    for key in ["", " ", "planted"] {
        let answer = common::send(
            server
                .client
                .get(server.url("/vault?id=1"))
                .query(&[("aclkey", key)]),
        )
        .await;
        assert_eq!(answer.json["success"], false, "key {key:?}: {}", answer.json);
        assert!(
            [common::APP_AUTH_FAILED, common::MISSING_PARAMETER].contains(&code_of(&answer.json)),
            "{}",
            answer.json
        );
    }
    assert_eq!(calls(&VAULT_CALLS), 0);
}

// ---- oversized bodies, heads, nested JSON, while others are served -------------------------

const BODY_LIMIT: usize = 4096;

#[apiview]
#[allow_post]
fn echo(msg: String) -> String {
    msg
}

async fn limited_server() -> TestServer {
    let app = App::new(common::settings(&format!("body_limit = {BODY_LIMIT}")))
        .at("/healthy", healthy)
        .at("/echo", echo);
    common::serve(app).await
}

fn too_large(size: usize) -> Value {
    err(
        common::TOO_LARGE_REQUEST_ERROR,
        &format!("Too large request error: {size} > {BODY_LIMIT}."),
    )
}

/// The answer is the packed TooLargeRequestError, whatever size it names.
fn assert_too_large(answer: &RawAnswer, what: &str) {
    assert_eq!(answer.status, 200, "{what}: {answer:?}");
    let packed = answer.json();
    assert_eq!(
        code_of(&packed),
        common::TOO_LARGE_REQUEST_ERROR,
        "{what}: {packed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn oversized_bodies_are_refused_packed_while_others_are_served() {
    let server = limited_server().await;
    let load = healthy_load(&server.base, 8);
    let json_head = "POST /echo HTTP/1.1\r\nContent-Type: application/json";
    let big = json!({"msg": "x".repeat(2 * BODY_LIMIT)}).to_string();
    let chunk = format!("{:x}\r\n{}\r\n", 100, "y".repeat(100));
    let mut chunked: Vec<&[u8]> = vec![chunk.as_bytes(); 100];
    chunked.push(b"0\r\n\r\n");
    let huge = vec![b'z'; 16 * 1024 * 1024];
    let mut attacks = 0;
    for _ in 0..5 {
        // With Content-Length, through an ordinary client.
        let answer = common::send(
            server
                .client
                .post(server.url("/echo"))
                .header("content-type", "application/json")
                .body(big.clone()),
        )
        .await;
        assert_eq!(answer.json, too_large(big.len()));
        // Chunked, without Content-Length: refused once past the limit.
        assert_too_large(
            &raw(
                &server,
                &format!("{json_head}\r\nTransfer-Encoding: chunked"),
                &chunked,
            )
            .await,
            "chunked",
        );
        // A declared terabyte, never sent.
        let answer = raw(
            &server,
            &format!("{json_head}\r\nContent-Length: 1000000000000"),
            &[],
        )
        .await;
        assert_eq!(answer.json(), too_large(1_000_000_000_000));
        // 16 MiB actually sent behind a true Content-Length.
        let head = format!("{json_head}\r\nContent-Length: {}", huge.len());
        assert_eq!(raw(&server, &head, &[&huge]).await.json(), too_large(huge.len()));
        attacks += 4;
    }
    let figures = load.stop().await;
    figures.print("security::oversized_bodies (clients alongside)");
    println!("figures security::oversized_bodies: {attacks} oversized requests, each answered TooLargeRequestError");
    figures.assert_no_failure("healthy clients during oversized bodies");
    assert!(figures.get("healthy").ok > 0);
    assert_eq!(server.get_json("/healthy?a=1&b=1").await, ok(json!(2)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn oversized_heads_are_refused_with_a_4xx_while_others_are_served() {
    let server = limited_server().await;
    let load = healthy_load(&server.base, 8);
    let mut outcomes = std::collections::BTreeMap::<&str, std::collections::BTreeSet<u16>>::new();
    for _ in 0..3 {
        // 64 kB: within hyper's limits (about 400 kB of head), so served.
        let head = format!(
            "GET /healthy?a=20&b=22 HTTP/1.1\r\nX-Big: {}",
            "h".repeat(64 * 1024)
        );
        let answer = raw(&server, &head, &[]).await;
        assert_eq!(
            (answer.status, answer.json()),
            (200, ok(json!(42))),
            "64 kB header"
        );
        outcomes
            .entry("a 64 kB header")
            .or_default()
            .insert(answer.status);
        // Over the limits: refused by hyper before poem or apiview, answered 431.
        let head = format!(
            "GET /healthy?a=1&b=2 HTTP/1.1\r\nX-Big: {}",
            "h".repeat(1024 * 1024)
        );
        let status = raw(&server, &head, &[]).await.status;
        assert_eq!(status, 431, "1 MB header");
        outcomes.entry("a 1 MB header").or_default().insert(status);
        let mut head = String::from("GET /healthy?a=1&b=2 HTTP/1.1");
        for i in 0..200 {
            head.push_str(&format!("\r\nX-Filler-{i}: v"));
        }
        let status = raw(&server, &head, &[]).await.status;
        assert_eq!(status, 431, "200 headers");
        outcomes.entry("200 headers").or_default().insert(status);
        let mut head = String::from("GET /healthy?a=1&b=2 HTTP/1.1");
        for i in 0..60 {
            head.push_str(&format!("\r\nX-Medium-{i}: {}", "m".repeat(8 * 1024)));
        }
        let status = raw(&server, &head, &[]).await.status;
        assert!((400..500).contains(&status), "60 headers of 8 kB: {status}");
        outcomes.entry("60 headers of 8 kB").or_default().insert(status);
    }
    let figures = load.stop().await;
    figures.print("security::oversized_heads (clients alongside)");
    println!("figures security::oversized_heads: statuses, each case sent 3 times: {outcomes:?}");
    figures.assert_no_failure("healthy clients during oversized heads");
    assert!(figures.get("healthy").ok > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deeply_nested_json_is_a_packed_parse_error_while_others_are_served() {
    let app = App::new(common::settings(""))
        .at("/healthy", healthy)
        .at("/echo", echo);
    let server = common::serve(app).await;
    let load = healthy_load(&server.base, 8);
    let mut bodies = Vec::new();
    for depth in [10_000, 100_000] {
        bodies.push(("[".repeat(depth), format!("{depth} unclosed [")));
        bodies.push((
            format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
            format!("{depth} closed []"),
        ));
        bodies.push((
            format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth)),
            format!("{depth} objects"),
        ));
        bodies.push((
            format!("{{\"msg\": {}}}", "[".repeat(depth)),
            format!("{depth} [ in a field"),
        ));
    }
    for (body, what) in &bodies {
        let answer = common::send(
            server
                .client
                .post(server.url("/echo"))
                .header("content-type", "application/json")
                .body(body.clone()),
        )
        .await;
        assert_eq!(
            code_of(&answer.json),
            common::PARSE_JSON_ERROR,
            "{what}: {}",
            answer.json
        );
    }
    let figures = load.stop().await;
    figures.print("security::nested_json (clients alongside)");
    println!(
        "figures security::nested_json: {} bodies up to 100 000 levels, each ParseJsonError",
        bodies.len()
    );
    figures.assert_no_failure("healthy clients during deeply nested JSON");
    assert_eq!(server.get_json("/healthy?a=1&b=1").await, ok(json!(2)));
}

// ---- slow-loris: Limited ---------------------------------------------------------------------

/// A server on a free loopback port, with or without [`Limited`]; stops when
/// dropped.
struct Guarded {
    addr: SocketAddr,
    base: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Guarded {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn loris_app() -> App {
    App::new(common::settings(""))
        .at("/healthy", healthy)
        .at("/echo", echo)
}

async fn serve_guarded(head_timeout: Option<Duration>) -> Guarded {
    let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
    let addr = *acceptor.local_addr()[0].as_socket_addr().unwrap();
    let endpoint = loris_app().into_endpoint();
    let idle = Duration::from_secs(60);
    let task = match head_timeout {
        Some(timeout) => {
            let limits = apiview::Limits {
                head_timeout_ms: timeout.as_millis() as u64,
                idle_timeout_ms: idle.as_millis() as u64,
                ..apiview::Limits::default()
            };
            let server = poem::Server::new_with_acceptor(Limited::new(acceptor, &limits));
            tokio::spawn(async move {
                let _ = server.run(endpoint).await;
            })
        }
        None => {
            let server = poem::Server::new_with_acceptor(acceptor);
            tokio::spawn(async move {
                let _ = server.idle_timeout(idle).run(endpoint).await;
            })
        }
    };
    Guarded {
        addr,
        base: format!("http://{addr}"),
        task,
    }
}

/// Whether the server closed the connection: waits up to `wait` for end of file or
/// an error (data, such as an error answer, is read past).
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + wait;
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

/// Sends a head that never ends, one byte every `every`: how long until the server
/// closed the connection, or `None` if it was still open after `give_up`.
async fn trickle(addr: SocketAddr, every: Duration, give_up: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = b"GET /healthy?a=1&b=2 HTTP/1.1\r\nHost: loris\r\nX-Slow: ";
    for n in 0.. {
        if start.elapsed() > give_up {
            return None;
        }
        let byte = head.get(n).copied().unwrap_or(b'a');
        if stream.write_all(&[byte]).await.is_err() || closed_within(&mut stream, every).await {
            return Some(start.elapsed());
        }
    }
    unreachable!()
}

/// Connects and sends nothing: how long until the server closed the connection.
async fn silent(addr: SocketAddr, give_up: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    closed_within(&mut stream, give_up).await.then(|| start.elapsed())
}

/// Reads one answer off a kept-alive connection (by its Content-Length).
async fn read_answer(stream: &mut TcpStream) -> (u16, Value) {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buf))
            .await
            .expect("an answer within 20 s")
            .expect("an answer, not an error");
        assert!(
            n > 0,
            "the connection was closed: {:?}",
            String::from_utf8_lossy(&bytes)
        );
        bytes.extend_from_slice(&buf[..n]);
        let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .map(|value| value.trim().parse().unwrap())
            .expect("a Content-Length");
        if bytes.len() >= end + 4 + length {
            let status = head[9..12].parse().unwrap();
            return (
                status,
                serde_json::from_slice(&bytes[end + 4..end + 4 + length]).unwrap(),
            );
        }
    }
}

const HEAD_TIMEOUT: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slow_loris_connections_are_closed_while_normal_clients_are_served() {
    let server = serve_guarded(Some(HEAD_TIMEOUT)).await;
    let load = healthy_load(&server.base, 4);
    let give_up = Duration::from_secs(15);
    let attackers: Vec<_> = (0..40)
        .map(|n| {
            let addr = server.addr;
            tokio::spawn(async move {
                if n % 4 == 0 {
                    silent(addr, give_up).await
                } else {
                    trickle(addr, Duration::from_millis(150), give_up).await
                }
            })
        })
        .collect();
    let mut closed = Vec::new();
    for attacker in attackers {
        closed.push(attacker.await.unwrap());
    }
    let figures = load.stop().await;
    figures.print("security::slow_loris (clients alongside)");
    let times: Vec<Duration> = closed.iter().flatten().copied().collect();
    let millis: Vec<u128> = times.iter().map(Duration::as_millis).collect();
    println!(
        "figures security::slow_loris: {} of 40 slow connections (30 trickling a byte every 150 ms, \
         10 silent) closed by a {} ms head timeout, after {:?} to {:?} ms",
        times.len(),
        HEAD_TIMEOUT.as_millis(),
        millis.iter().min(),
        millis.iter().max()
    );
    assert_eq!(
        times.len(),
        40,
        "connections still open after {give_up:?}: {closed:?}"
    );
    for time in &times {
        // Never before the deadline; well before giving up (a generous bound).
        assert!(
            *time >= HEAD_TIMEOUT - Duration::from_millis(50),
            "closed after {time:?}"
        );
        assert!(
            *time < HEAD_TIMEOUT + Duration::from_secs(8),
            "closed after {time:?}"
        );
    }
    figures.assert_no_failure("normal clients during a slow-loris attack");
    assert!(figures.get("healthy").ok >= 20, "{:?}", figures.get("healthy"));
}

#[tokio::test]
async fn without_head_timeout_a_trickling_connection_stays_open() {
    // The control: poem's idle_timeout alone counts every byte as activity.
    let server = serve_guarded(None).await;
    let open = trickle(server.addr, Duration::from_millis(150), 3 * HEAD_TIMEOUT).await;
    assert_eq!(open, None, "poem closed a trickling connection by itself");
}

#[tokio::test]
async fn head_timeout_spares_slow_but_timely_heads_idle_connections_and_slow_bodies() {
    let server = serve_guarded(Some(HEAD_TIMEOUT)).await;

    // A head sent in ten pieces over about half the timeout.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = b"GET /healthy?a=2&b=3 HTTP/1.1\r\nHost: x\r\n\r\n";
    for piece in head.chunks(head.len().div_ceil(10)) {
        stream.write_all(piece).await.unwrap();
        tokio::time::sleep(HEAD_TIMEOUT / 20).await;
    }
    assert_eq!(read_answer(&mut stream).await, (200, ok(json!(5))));

    // Kept alive and silent for twice the timeout (idle_timeout's business), then
    // a second request on the same connection.
    tokio::time::sleep(2 * HEAD_TIMEOUT).await;
    stream
        .write_all(b"GET /healthy?a=4&b=4 HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(read_answer(&mut stream).await, (200, ok(json!(8))));

    // A body trickled over more than twice the timeout: only heads are timed.
    let body = br#"{"msg": "slow body"}"#;
    let head = format!(
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let start = Instant::now();
    for byte in body {
        stream.write_all(&[*byte]).await.unwrap();
        tokio::time::sleep(HEAD_TIMEOUT * 2 / body.len() as u32 + Duration::from_millis(10)).await;
    }
    assert!(start.elapsed() > 2 * HEAD_TIMEOUT);
    assert_eq!(read_answer(&mut stream).await, (200, ok(json!("slow body"))));

    // The next head on that connection is timed again: started, never finished.
    stream.write_all(b"GET /healthy?a=1").await.unwrap();
    let start = Instant::now();
    assert!(closed_within(&mut stream, HEAD_TIMEOUT + Duration::from_secs(8)).await);
    assert!(
        start.elapsed() >= HEAD_TIMEOUT - Duration::from_millis(50),
        "{:?}",
        start.elapsed()
    );
}
