//! Throttling (DESIGN §13) under attack: key values chosen to collide across
//! parameters and with a missing value, `X-Forwarded-For` spoofed, huge and
//! repeated, IPv4-mapped and IPv6 addresses, a stacked throttle, clients without the
//! aclkey hammering, a throttled client sending a body, many distinct keys.

use std::time::Duration;

use apiview::prelude::*;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use crate::common::{code_of, send, serve, settings, TestServer};
use crate::{answer_of, ping, raw, still_serving};

const TOO_MANY_REQUESTS: i64 = 1001010007;

#[apiview]
#[throttle(rate = "1/h", key = "{a}:{b}")]
fn pair(a: Option<String>, b: Option<String>) -> &'static str {
    "ok"
}

#[apiview]
#[methods(get, post)]
#[throttle(rate = "1/h", key = "{user}")]
fn per_user(user: Option<String>) -> &'static str {
    "ok"
}

#[apiview]
#[throttle(rate = "2/h")]
fn by_address() -> &'static str {
    "ok"
}

#[apiview]
#[throttle(rate = "1/h", key = "{user}")]
#[throttle(rate = "3/h", scope = "red_team_wide")]
fn stacked(user: Option<String>) -> &'static str {
    "ok"
}

#[apiview]
#[allow_post]
#[check_aclkey(aclkey = "right")]
#[throttle(rate = "2/h")]
fn guarded(note: Option<String>) -> Option<String> {
    note
}

fn app(toml: &str) -> App {
    App::new(settings(toml))
        .at("/pair", pair)
        .at("/per_user", per_user)
        .at("/ip", by_address)
        .at("/stacked", stacked)
        .at("/guarded", guarded)
        .at("/ping", ping)
}

async fn get(server: &TestServer, path: &str) -> Value {
    send(server.client.get(server.url(path))).await.json
}

async fn get_from(server: &TestServer, path: &str, forwarded: &[&str]) -> Value {
    let mut request = server.client.get(server.url(path));
    for value in forwarded {
        request = request.header("x-forwarded-for", *value);
    }
    send(request).await.json
}

fn passed(answer: &Value) -> bool {
    answer["success"] == json!(true)
}

fn throttled(answer: &Value) -> bool {
    code_of(answer) == TOO_MANY_REQUESTS
}

#[tokio::test]
async fn key_values_chosen_to_collide_keep_their_own_counters() {
    let server = serve(app("")).await;
    // `a="x:y", b="z"` and `a="x", b="y:z"` fill `{a}:{b}` with the same text.
    assert!(passed(&get(&server, "/pair?a=x%3Ay&b=z").await));
    assert!(passed(&get(&server, "/pair?a=x&b=y%3Az").await));
    assert!(passed(&get(&server, "/pair?a=x%3Ay%3Az").await));
    assert!(passed(&get(&server, "/pair?b=x%3Ay%3Az").await));
    assert!(throttled(&get(&server, "/pair?a=x%3Ay&b=z").await));
    // Missing, empty, `~`, `null`, `%7E`, `None`: six counters.
    for query in ["", "?user=", "?user=~", "?user=null", "?user=%257E", "?user=None"] {
        let path = format!("/per_user{query}");
        assert!(passed(&get(&server, &path).await), "{path}");
    }
    // Long values differing in their last byte are two keys (hashed, not cut).
    let long = "u".repeat(5_000);
    assert!(passed(&get(&server, &format!("/per_user?user={long}1")).await));
    assert!(passed(&get(&server, &format!("/per_user?user={long}2")).await));
    assert!(throttled(&get(&server, &format!("/per_user?user={long}1")).await));
    // A JSON number and its text are one client, whatever the source.
    let request = server
        .client
        .post(server.url("/per_user"))
        .json(&json!({"user": 42}));
    let answer = send(request).await.json;
    assert_eq!(
        code_of(&answer),
        crate::common::BAD_PARAMETER_TYPE,
        "counted, then refused: {answer}"
    );
    assert!(throttled(&get(&server, "/per_user?user=42").await));
    still_serving(&server).await;
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_changes_nothing() {
    let server = serve(app("")).await;
    let huge = vec!["1.2.3.4"; 5_000].join(", ");
    assert!(passed(&get_from(&server, "/ip", &["1.1.1.1"]).await));
    assert!(passed(&get_from(&server, "/ip", &[huge.as_str()]).await));
    assert!(throttled(&get_from(&server, "/ip", &["::1", "10.0.0.1"]).await));
    assert!(throttled(&get(&server, "/ip").await));
}

#[tokio::test]
async fn behind_a_trusted_proxy_spoofing_huge_and_odd_forwarded_for() {
    let server = serve(app("[throttle]\ntrusted_proxies = ['127.0.0.0/8']")).await;
    // An IPv4 client, then the same as an IPv4-mapped IPv6 address, with a port, quoted:
    // one client.
    assert!(passed(&get_from(&server, "/ip", &["1.2.3.4"]).await));
    assert!(passed(&get_from(&server, "/ip", &["::ffff:1.2.3.4"]).await));
    for same in ["[::ffff:1.2.3.4]:80", "\"1.2.3.4\"", "1.2.3.4:9", " 1.2.3.4 "] {
        assert!(throttled(&get_from(&server, "/ip", &[same]).await), "{same}");
    }
    // IPv6 addresses of one /64: one client.
    assert!(passed(&get_from(&server, "/ip", &["2001:db8:1:2::1"]).await));
    assert!(passed(&get_from(&server, "/ip", &["2001:db8:1:2:ffff::9"]).await));
    assert!(throttled(
        &get_from(&server, "/ip", &["2001:db8:1:2:abcd::1"]).await
    ));
    // What a client writes left of the last proxy's entry is not believed: many
    // headers, a huge one, junk.
    let huge = (0..2_000)
        .map(|i| format!("9.9.{}.{}", i / 250, i % 250))
        .collect::<Vec<_>>()
        .join(",")
        + ", 1.2.3.4";
    for spoof in [huge.as_str(), "junk, 1.2.3.4", "fe80::1%25eth0, 1.2.3.4"] {
        assert!(
            throttled(&get_from(&server, "/ip", &[spoof]).await),
            "{spoof:.40}"
        );
    }
    let many: Vec<String> = (0..80).map(|i| format!("8.8.{i}.1")).collect();
    let mut lines: Vec<&str> = many.iter().map(String::as_str).collect();
    lines.push("1.2.3.4");
    assert!(throttled(&get_from(&server, "/ip", &lines).await));
    // A junk last entry: the walk stops at the proxy, which is then the client.
    assert!(passed(&get_from(&server, "/ip", &["5.5.5.5, junk"]).await));
    assert!(passed(
        &get_from(&server, "/ip", &["6.6.6.6, ::ffff:999.1.1.1"]).await
    ));
    assert!(throttled(&get_from(&server, "/ip", &["7.7.7.7, [::1"]).await));
    still_serving(&server).await;
}

#[tokio::test]
async fn a_refusal_of_one_stacked_throttle_consumes_none_of_the_others() {
    let server = serve(app("")).await;
    assert!(passed(&get(&server, "/stacked?user=a").await));
    // Refused by the per-user counter, many times: the wide one must not move.
    for _ in 0..20 {
        assert!(throttled(&get(&server, "/stacked?user=a").await));
    }
    assert!(passed(&get(&server, "/stacked?user=b").await));
    assert!(passed(&get(&server, "/stacked?user=c").await));
    // Now the wide counter (3/h) is spent.
    assert!(throttled(&get(&server, "/stacked?user=d").await));
}

#[tokio::test]
async fn clients_without_the_aclkey_are_throttled_before_their_body_is_read() {
    let server = serve(app("[limits]\nbody_timeout_ms = 30000")).await;
    for _ in 0..2 {
        let answer = send(server.client.post(server.url("/guarded"))).await.json;
        assert_eq!(code_of(&answer), crate::common::MISSING_PARAMETER, "{answer}");
    }
    // Throttled now: a stalled body is not waited for.
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let head = "POST /guarded HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"note\": \"";
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = answer_of(&mut stream, Duration::from_secs(5)).await;
    assert!(answer.contains(&TOO_MANY_REQUESTS.to_string()), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("retry-after"), "{answer}");
    // The right key is throttled too: the counter is the client's address.
    let request = server
        .client
        .post(server.url("/guarded"))
        .header("aclkey", "right")
        .json(&json!({"note": "n"}));
    assert_eq!(code_of(&send(request).await.json), TOO_MANY_REQUESTS);
    still_serving(&server).await;
}

#[tokio::test]
async fn many_distinct_keys_stay_within_the_memory_backend() {
    // 256 kB of cache: three thousand distinct keys of 100 bytes and more must evict, not grow.
    let server = serve(app("[cache]\nmemory_max_bytes = 262144")).await;
    let requests = (0..3_000).map(|i| {
        let server = &server;
        async move { get(server, &format!("/per_user?user=spray-{i}-{}", "k".repeat(100))).await }
    });
    let mut stream = futures_util::stream::iter(requests).buffer_unordered(16);
    use futures_util::StreamExt;
    let mut answered = 0;
    while let Some(answer) = stream.next().await {
        assert!(answer["success"].is_boolean());
        answered += 1;
    }
    assert_eq!(answered, 3_000);
    // Counting still works for a fresh client.
    assert!(passed(&get(&server, "/per_user?user=fresh").await));
    assert!(throttled(&get(&server, "/per_user?user=fresh").await));
    let _ = raw(&server, "GET /ping HTTP/1.1", &[]).await;
}
