//! The disable header (`Disable-Cache`, or the name settings give): it skips the
//! read but still writes, and only for a caller who passed `check_aclkey` (issue 12,
//! D10).

use super::*;

static STAMP_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Answers the name and the number of the call, so a fresh answer differs.
#[apiview]
#[cache(key = "stamp:{name}", expire = 60)]
fn stamp(name: String) -> String {
    format!("{name}-{}", count(&STAMP_CALLS))
}

#[tokio::test]
async fn disable_cache_header_skips_the_read_but_still_writes() {
    // Honoured for a caller with one of settings' keys (see the issue 12 tests below).
    let app = App::new(common::settings("aclkey = \"cache-admin\"")).at("/stamp", stamp);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;

    assert_eq!(get(&server, "/stamp?name=x").await, ok(json!("x-1")));
    assert_eq!(get(&server, "/stamp?name=x").await, ok(json!("x-1")));
    assert_eq!(
        get_with(
            &server,
            "/stamp?name=x&aclkey=cache-admin",
            ("Disable-Cache", "true")
        )
        .await,
        ok(json!("x-2"))
    );
    assert_eq!(cache.get("stamp:x").await.unwrap(), Some(json!("x-2")));
    // The next plain call hits the value the disabled call wrote.
    assert_eq!(get(&server, "/stamp?name=x").await, ok(json!("x-2")));
    assert_eq!(
        get_with(
            &server,
            "/stamp?name=x&aclkey=cache-admin",
            ("Disable-Cache", "false")
        )
        .await,
        ok(json!("x-2"))
    );
    assert_eq!(calls(&STAMP_CALLS), 2);
}

static CUSTOM_HEADER_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "custom_header:{name}", expire = 60)]
fn custom_header(name: String) -> String {
    format!("{name}-{}", count(&CUSTOM_HEADER_CALLS))
}

#[tokio::test]
async fn the_disable_header_name_comes_from_settings() {
    let settings =
        common::settings("aclkey = \"cache-admin\"\n[cache]\ndisable_cache_header = \"X-Skip-Cache\"");
    let server = common::serve(App::new(settings).at("/custom_header", custom_header)).await;

    assert_eq!(get(&server, "/custom_header?name=y").await, ok(json!("y-1")));
    // The default name means nothing here.
    assert_eq!(
        get_with(
            &server,
            "/custom_header?name=y&aclkey=cache-admin",
            ("Disable-Cache", "true")
        )
        .await,
        ok(json!("y-1"))
    );
    assert_eq!(
        get_with(
            &server,
            "/custom_header?name=y&aclkey=cache-admin",
            ("X-Skip-Cache", "true")
        )
        .await,
        ok(json!("y-2"))
    );
    assert_eq!(get(&server, "/custom_header?name=y").await, ok(json!("y-2")));
    assert_eq!(calls(&CUSTOM_HEADER_CALLS), 2);
}

// ---- issue 12: Disable-Cache (D10) ------------------------------------------------------

static SKIP_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "skip:{name}", expire = 60)]
fn skip(name: String) -> String {
    format!("{name}-{}", count(&SKIP_CALLS))
}

#[tokio::test]
async fn disable_cache_is_ignored_for_a_caller_without_an_accepted_aclkey() {
    let settings = common::settings("aclkey = \"cache-admin\"\naclkeys = [\"cache-ops\"]");
    let server = common::serve(App::new(settings).at("/skip", skip)).await;
    assert_eq!(get(&server, "/skip?name=a").await, ok(json!("a-1")));
    let ignored = [
        server
            .client
            .get(server.url("/skip?name=a"))
            .header("Disable-Cache", "true"),
        server
            .client
            .get(server.url("/skip?name=a"))
            .header("Disable-Cache", "true")
            .header("aclkey", "wrong"),
        server
            .client
            .get(server.url("/skip?name=a&aclkey=cache-admin-not"))
            .header("Disable-Cache", "1"),
        server
            .client
            .get(server.url("/skip?name=a&aclkey="))
            .header("Disable-Cache", "true"),
    ];
    for request in ignored {
        assert_eq!(common::send(request).await.json, ok(json!("a-1")));
    }
    assert_eq!(
        calls(&SKIP_CALLS),
        1,
        "no ignored Disable-Cache may compute again"
    );

    // The settings' keys, from a header, the query or the body, are honoured.
    let honoured = [
        server
            .client
            .get(server.url("/skip?name=a"))
            .header("Disable-Cache", "true")
            .header("aclkey", "cache-admin"),
        server
            .client
            .get(server.url("/skip?name=a&aclkey=cache-ops"))
            .header("Disable-Cache", "true"),
        server
            .client
            .post(server.url("/skip"))
            .header("Disable-Cache", "true")
            .json(&json!({"name": "a", "aclkey": "cache-admin"})),
    ];
    for (n, request) in honoured.into_iter().enumerate() {
        assert_eq!(
            common::send(request).await.json,
            ok(json!(format!("a-{}", n + 2)))
        );
    }
    assert_eq!(get(&server, "/skip?name=a").await, ok(json!("a-4")));
}

#[tokio::test]
async fn disable_cache_is_ignored_when_settings_accept_no_aclkey() {
    let server = common::serve(App::new(Settings::default()).at("/skip", skip_default)).await;
    assert_eq!(get(&server, "/skip?name=b").await, ok(json!("b-1")));
    for key in ["", "x"] {
        assert_eq!(
            common::send(
                server
                    .client
                    .get(server.url("/skip?name=b"))
                    .header("Disable-Cache", "true")
                    .header("aclkey", key)
            )
            .await
            .json,
            ok(json!("b-1"))
        );
    }
}

static SKIP_DEFAULT_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "skip_default:{name}", expire = 60)]
fn skip_default(name: String) -> String {
    format!("{name}-{}", count(&SKIP_DEFAULT_CALLS))
}

static GUARDED_CALLS: AtomicUsize = AtomicUsize::new(0);

/// The endpoint's own key: a caller who passed it may skip the cache.
#[apiview]
#[check_aclkey(aclkey = "guarded-key")]
#[cache(key = "guarded:{name}", expire = 60)]
fn guarded(name: String) -> String {
    format!("{name}-{}", count(&GUARDED_CALLS))
}

#[tokio::test]
async fn disable_cache_is_honoured_for_a_caller_who_passed_check_aclkey() {
    // Settings accept no key at all: the endpoint's check is what counts.
    let server = common::serve(App::new(Settings::default()).at("/guarded", guarded)).await;
    let call = |disable: bool| {
        let request = server
            .client
            .get(server.url("/guarded?name=g"))
            .header("aclkey", "guarded-key");
        if disable {
            request.header("Disable-Cache", "true")
        } else {
            request
        }
    };
    assert_eq!(common::send(call(false)).await.json, ok(json!("g-1")));
    assert_eq!(common::send(call(false)).await.json, ok(json!("g-1")));
    assert_eq!(common::send(call(true)).await.json, ok(json!("g-2")));
    assert_eq!(common::send(call(false)).await.json, ok(json!("g-2")));
    assert_eq!(calls(&GUARDED_CALLS), 2);
}

static SLOW_SKIP_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "slow_skip:{n}", expire = 60)]
async fn slow_skip(n: i64) -> i64 {
    count(&SLOW_SKIP_CALLS);
    tokio::time::sleep(Duration::from_millis(400)).await;
    n * 10
}

#[tokio::test]
async fn ten_concurrent_misses_with_disable_cache_compute_once() {
    let settings = common::settings("aclkey = \"cache-admin\"");
    let server = common::serve(App::new(settings).at("/slow_skip", slow_skip)).await;
    // Honoured (the caller has the key) or not, concurrent misses are one flight.
    for (round, (n, aclkey)) in [(1, "cache-admin"), (2, "not-the-key")].into_iter().enumerate() {
        let requests = (0..10).map(|_| {
            common::send(
                server
                    .client
                    .get(server.url(&format!("/slow_skip?n={n}")))
                    .header("Disable-Cache", "true")
                    .header("aclkey", aclkey),
            )
        });
        for answer in futures_util::future::join_all(requests).await {
            assert_eq!(answer.json, ok(json!(n * 10)));
        }
        assert_eq!(
            calls(&SLOW_SKIP_CALLS),
            round + 1,
            "10 concurrent misses with Disable-Cache (aclkey {aclkey:?}) must run the function once"
        );
    }
}
// ---- issue 12: the memory cache is bounded by bytes (D8) --------------------------------
