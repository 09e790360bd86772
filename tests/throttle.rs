//! `#[throttle]` and `[throttle]` over real HTTP (DESIGN §13, issue 15) on the
//! memory backend: rates and `Retry-After`, stacked rates, shared scopes, keys from
//! a parameter, the aclkey and the client address, trusted proxies, exact admission
//! under concurrency, the phase order (before the aclkey, before the body), semantic
//! 429, the default rate and start-up errors. The Redis backend is tested in
//! tests/cache_redis/throttle.rs.

mod common;

use std::time::Duration;

use apiview::prelude::*;
use common::{code_of, message_of, ok, TestServer};
use serde_json::{json, Value};

const TOO_MANY_REQUESTS: i64 = 1001010007;

async fn get(server: &TestServer, path: &str) -> common::Answer {
    common::send(server.client.get(server.url(path))).await
}

async fn get_from(server: &TestServer, path: &str, forwarded_for: &str) -> Value {
    let request = server
        .client
        .get(server.url(path))
        .header("X-Forwarded-For", forwarded_for);
    common::send(request).await.json
}

fn passed(answer: &Value) -> bool {
    answer["success"] == true
}

#[apiview]
#[throttle(rate = "3/m")]
fn three_a_minute() -> &'static str {
    "ok"
}

#[tokio::test]
async fn a_rate_admits_its_count_then_refuses_with_retry_after() {
    let server = common::serve(App::new(Settings::default()).at("/three", three_a_minute)).await;
    for call in 1..=3 {
        let answer = get(&server, "/three").await;
        assert_eq!(answer.json, ok(json!("ok")), "call {call}");
        assert_eq!(answer.header("retry-after"), "", "call {call}");
    }
    let refused = get(&server, "/three").await;
    assert_eq!(refused.status, 200, "business mode");
    assert_eq!(code_of(&refused.json), TOO_MANY_REQUESTS);
    // 3/m: one every 20 s once the burst is spent.
    assert_eq!(refused.header("retry-after"), "20");
    assert_eq!(
        message_of(&refused.json),
        "Too many requests. Retry after 20 seconds."
    );
}

#[tokio::test]
async fn semantic_mode_answers_429_and_chinese_says_when() {
    let settings = common::settings("http_status = 'semantic'\nlanguage = 'zh-hans'");
    let server = common::serve(App::new(settings).at("/three", three_a_minute)).await;
    for _ in 0..3 {
        assert_eq!(get(&server, "/three").await.status, 200);
    }
    let refused = get(&server, "/three").await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("retry-after"), "20");
    assert_eq!(message_of(&refused.json), "请求过于频繁，请20秒后重试。");
}

#[apiview]
#[throttle(rate = "1/h", key = "{user}")]
#[throttle(rate = "3/h", scope = "stacked_ip")]
fn stacked(user: Option<String>) -> Option<String> {
    user
}

#[tokio::test]
async fn stacked_rates_must_all_admit_and_a_refusal_counts_in_none() {
    let server = common::serve(App::new(Settings::default()).at("/stacked", stacked)).await;
    assert!(passed(&get(&server, "/stacked?user=ann").await.json));
    // Refused by ann's 1/h: if these counted in the address's 3/h, bob and carol
    // would be refused too.
    for _ in 0..5 {
        let refused = get(&server, "/stacked?user=ann").await;
        assert_eq!(code_of(&refused.json), TOO_MANY_REQUESTS);
        assert_eq!(refused.header("retry-after"), "3600");
    }
    assert!(passed(&get(&server, "/stacked?user=bob").await.json));
    assert!(passed(&get(&server, "/stacked?user=carol").await.json));
    // The address's 3/h is spent now: a fresh user is refused by it.
    let refused = get(&server, "/stacked?user=dave").await;
    assert_eq!(code_of(&refused.json), TOO_MANY_REQUESTS);
    assert_eq!(refused.header("retry-after"), "1200");
}

#[apiview]
#[throttle(rate = "2/m", scope = "shared")]
fn shared_a() -> &'static str {
    "a"
}

#[apiview]
#[throttle(rate = "2/m", scope = "shared")]
fn shared_b() -> &'static str {
    "b"
}

#[apiview]
#[throttle(rate = "2/m")]
fn own_scope() -> &'static str {
    "own"
}

#[tokio::test]
async fn endpoints_sharing_a_scope_share_its_counter() {
    let app = App::new(Settings::default())
        .at("/a", shared_a)
        .at("/b", shared_b)
        .at("/own", own_scope);
    let server = common::serve(app).await;
    assert!(passed(&get(&server, "/a").await.json));
    assert!(passed(&get(&server, "/b").await.json));
    assert_eq!(code_of(&get(&server, "/a").await.json), TOO_MANY_REQUESTS);
    assert_eq!(code_of(&get(&server, "/b").await.json), TOO_MANY_REQUESTS);
    // Its own scope: the function's path, a counter of its own.
    assert!(passed(&get(&server, "/own").await.json));
    assert!(passed(&get(&server, "/own").await.json));
    assert_eq!(code_of(&get(&server, "/own").await.json), TOO_MANY_REQUESTS);
}

/// Two endpoints of one name in two modules, and a scope written like that name.
mod orders {
    use apiview::prelude::*;

    #[apiview]
    #[throttle(rate = "1/m")]
    pub fn list() -> &'static str {
        "orders"
    }
}

mod users {
    use apiview::prelude::*;

    #[apiview]
    #[throttle(rate = "1/m")]
    pub fn list() -> &'static str {
        "users"
    }
}

#[apiview]
#[throttle(rate = "1/m", scope = "list")]
fn named_list() -> &'static str {
    "named"
}

/// Regression: the default scope was the function's name, so `orders::list` and
/// `users::list` (and a `scope = "list"` elsewhere) shared one counter, and a call to
/// one used up the other's allowance.
#[tokio::test]
async fn default_scopes_of_same_named_endpoints_do_not_collide() {
    let app = App::new(Settings::default())
        .at("/orders", orders::list)
        .at("/users", users::list)
        .at("/named", named_list);
    let server = common::serve(app).await;
    for path in ["/orders", "/users", "/named"] {
        assert!(passed(&get(&server, path).await.json), "{path}: its own counter");
    }
    for path in ["/orders", "/users", "/named"] {
        assert_eq!(
            code_of(&get(&server, path).await.json),
            TOO_MANY_REQUESTS,
            "{path}"
        );
    }
}

#[apiview]
#[throttle(rate = "2/h", key = "user:{user}")]
fn per_user(user: Option<String>) -> &'static str {
    "ok"
}

#[tokio::test]
async fn a_parameter_key_counts_per_raw_value_from_any_source() {
    let server = common::serve(App::new(Settings::default()).at("/per_user", per_user)).await;
    assert!(passed(&get(&server, "/per_user?user=ann").await.json));
    // The same value in a JSON body: the same counter.
    let body = server
        .client
        .post(server.url("/per_user"))
        .json(&json!({"user": "ann"}));
    assert!(passed(&common::send(body).await.json));
    assert_eq!(
        code_of(&get(&server, "/per_user?user=ann").await.json),
        TOO_MANY_REQUESTS
    );
    let body = server
        .client
        .post(server.url("/per_user"))
        .json(&json!({"user": "ann"}));
    assert_eq!(code_of(&common::send(body).await.json), TOO_MANY_REQUESTS);
    // Another value, another counter.
    assert!(passed(&get(&server, "/per_user?user=bob").await.json));
    // A missing value is one counter of its own, shared by every request without it.
    assert!(passed(&get(&server, "/per_user").await.json));
    assert!(passed(&get(&server, "/per_user").await.json));
    assert_eq!(code_of(&get(&server, "/per_user").await.json), TOO_MANY_REQUESTS);
    assert!(
        passed(&get(&server, "/per_user?user=").await.json),
        "empty is not missing"
    );
}

#[apiview]
#[check_aclkey(aclkey = "right")]
#[throttle(rate = "2/h", key = "{aclkey}")]
fn keyed() -> &'static str {
    "ok"
}

#[tokio::test]
async fn the_throttle_runs_before_the_aclkey_check_and_can_key_on_it() {
    let server = common::serve(App::new(Settings::default()).at("/keyed", keyed)).await;
    for _ in 0..2 {
        assert_eq!(
            code_of(&get(&server, "/keyed?aclkey=wrong").await.json),
            common::APP_AUTH_FAILED
        );
    }
    // A wrong key counted as any other: guessing keys is throttled.
    assert_eq!(
        code_of(&get(&server, "/keyed?aclkey=wrong").await.json),
        TOO_MANY_REQUESTS
    );
    let header = server.client.get(server.url("/keyed")).header("aclkey", "wrong");
    assert_eq!(code_of(&common::send(header).await.json), TOO_MANY_REQUESTS);
    // The right key is another counter.
    assert!(passed(&get(&server, "/keyed?aclkey=right").await.json));
}

#[apiview]
#[throttle(rate = "2/h")]
fn by_address() -> &'static str {
    "ok"
}

#[tokio::test]
async fn an_untrusted_peer_cannot_pick_its_address_with_x_forwarded_for() {
    let server = common::serve(App::new(Settings::default()).at("/ip", by_address)).await;
    assert!(passed(&get_from(&server, "/ip", "1.1.1.1").await));
    assert!(passed(&get_from(&server, "/ip", "2.2.2.2").await));
    assert_eq!(
        code_of(&get_from(&server, "/ip", "3.3.3.3").await),
        TOO_MANY_REQUESTS
    );
    assert_eq!(code_of(&get(&server, "/ip").await.json), TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_rightmost_untrusted_forwarded_address_is_the_client() {
    let settings = common::settings("[throttle]\ntrusted_proxies = ['127.0.0.0/8', '10.0.0.0/8']");
    let server = common::serve(App::new(settings).at("/ip", by_address)).await;
    assert!(passed(&get_from(&server, "/ip", "1.1.1.1").await));
    // A client writing its own X-Forwarded-For: the proxy appends the real address,
    // which counts, whatever the client wrote before it.
    assert!(passed(&get_from(&server, "/ip", "9.9.9.9, 1.1.1.1").await));
    assert_eq!(
        code_of(&get_from(&server, "/ip", "8.8.8.8, 1.1.1.1, 10.0.0.7").await),
        TOO_MANY_REQUESTS
    );
    // Another client behind the same proxy has its own counter.
    assert!(passed(&get_from(&server, "/ip", "2.2.2.2").await));
    // Through proxies only: the leftmost trusted address is the client.
    assert!(passed(&get_from(&server, "/ip", "10.0.0.9").await));
}

#[apiview]
#[throttle(rate = "20/h")]
fn twenty() -> &'static str {
    "ok"
}

#[tokio::test]
async fn of_n_plus_one_concurrent_calls_exactly_n_pass() {
    let server = common::serve(App::new(Settings::default()).at("/twenty", twenty)).await;
    let calls = (0..21).map(|_| {
        let request = server.client.get(server.url("/twenty"));
        async move { common::send(request).await.json }
    });
    let answers = futures_util::future::join_all(calls).await;
    let passed = answers.iter().filter(|answer| passed(answer)).count();
    let refused = answers
        .iter()
        .filter(|answer| code_of_any(answer) == Some(TOO_MANY_REQUESTS))
        .count();
    assert_eq!((passed, refused), (20, 1), "{answers:?}");
}

fn code_of_any(answer: &Value) -> Option<i64> {
    answer["error"]["code"].as_i64()
}

#[apiview]
#[allow_post]
#[throttle(rate = "1/h")]
fn upload_note(note: String) -> usize {
    note.len()
}

#[apiview]
#[allow_post]
#[throttle(rate = "1/h", key = "{note}")]
fn keyed_note(note: String) -> usize {
    note.len()
}

#[tokio::test]
async fn a_key_without_body_fields_is_counted_before_the_body_is_read() {
    let settings = common::settings("[limits]\nbody_timeout_ms = 60000");
    let app = App::new(settings)
        .at("/note", upload_note)
        .at("/keyed_note", keyed_note);
    let server = common::serve(app).await;
    let body = server
        .client
        .post(server.url("/note"))
        .json(&json!({"note": "hi"}));
    assert_eq!(common::send(body).await.json, ok(json!(2)));
    // A body announced and never sent: refused at once, not after the body timeout.
    let head = "POST /note HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100000";
    let answer = tokio::time::timeout(Duration::from_secs(10), server.raw(head, &[b"{\"note\": \"h"]))
        .await
        .expect("the throttled request waited for its body");
    assert_eq!(code_of(&answer.json()), TOO_MANY_REQUESTS);
    assert_eq!(answer.header("retry-after"), Some("3600"));

    // A key from a body field is counted right after the body.
    for (note, expected) in [("a", true), ("a", false), ("b", true)] {
        let body = server
            .client
            .post(server.url("/keyed_note"))
            .json(&json!({"note": note}));
        assert_eq!(passed(&common::send(body).await.json), expected, "{note}");
    }
}

#[apiview]
fn plain() -> &'static str {
    "ok"
}

#[tokio::test]
async fn the_default_rate_throttles_endpoints_without_their_own() {
    let settings = common::settings("[throttle]\ndefault_rate = '2/m'");
    let app = App::new(settings)
        .at("/plain", plain)
        .at("/three", three_a_minute);
    let server = common::serve(app).await;
    assert!(passed(&get(&server, "/plain").await.json));
    assert!(passed(&get(&server, "/plain").await.json));
    let refused = get(&server, "/plain").await;
    assert_eq!(code_of(&refused.json), TOO_MANY_REQUESTS);
    assert_eq!(refused.header("retry-after"), "30");
    // Its own #[throttle] replaces the default.
    for _ in 0..3 {
        assert!(passed(&get(&server, "/three").await.json));
    }

    // Without a default rate, an endpoint without #[throttle] is never throttled.
    let server = common::serve(App::new(Settings::default()).at("/plain", plain)).await;
    for _ in 0..50 {
        assert!(passed(&get(&server, "/plain").await.json));
    }
}

#[test]
fn bad_throttle_settings_are_start_up_errors_naming_the_key() {
    let bad = Settings::from_toml_str("[throttle]\ndefault_rate = '10/week'").unwrap_err();
    assert!(bad.to_string().contains("key `throttle.default_rate`"), "{bad}");
    assert!(bad.to_string().contains("`10/week` is not a rate"), "{bad}");
    let bad = Settings::from_toml_str("[throttle]\ndefault_rate = '10/m'\nbackend = 'shared'").unwrap_err();
    assert!(bad.to_string().contains("key `throttle.backend`"), "{bad}");
    assert!(bad.to_string().contains("configured: default"), "{bad}");
    let bad = Settings::from_toml_str("[throttle]\ntrusted_proxies = ['10.0.0.0/40']").unwrap_err();
    assert!(
        bad.to_string().contains("key `throttle.trusted_proxies`"),
        "{bad}"
    );
    let bad = Settings::from_toml_str("[throttle]\nrate = '1/s'").unwrap_err();
    assert!(bad.to_string().contains("rate"), "{bad}");

    // No default rate: the backend is checked when an endpoint is throttled.
    let settings = Settings::from_toml_str("[throttle]\nbackend = 'shared'").unwrap();
    assert!(App::new(settings.clone())
        .at("/plain", plain)
        .try_into_endpoint()
        .is_ok());
    let err = App::new(settings)
        .at("/three", three_a_minute)
        .try_into_endpoint()
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .contains("endpoint `three_a_minute` has #[throttle]"),
        "{err}"
    );
    assert!(err.to_string().contains("`shared` is not a backend"), "{err}");
}
