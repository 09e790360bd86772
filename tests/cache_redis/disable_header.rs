//! The disable header on Redis: it skips the read but still writes, and a caller
//! without an accepted key cannot use it to multiply Redis writes (issue 12, D10).

use super::*;

counted_add!(disable_add, DISABLE_ADD_CALLS, key = "add:{a}:{b}", expire = 60);

#[tokio::test]
async fn disable_cache_header_skips_the_redis_read_but_still_writes() {
    let redis = RedisServer::start().await;
    let mut con = redis.connection().await;
    let settings = Settings {
        aclkey: "cache-admin".into(),
        ..redis_settings(&redis, "")
    };
    let server = common::serve(App::new(settings).at("/add", disable_add)).await;
    assert_eq!(get(&server, "/add?a=1&b=1").await, ok(json!(2)));
    redis_set(&mut con, "add:1:1", b"42").await;
    assert_eq!(get(&server, "/add?a=1&b=1").await, ok(json!(42)));
    assert_eq!(
        get_with(
            &server,
            "/add?a=1&b=1&aclkey=cache-admin",
            ("Disable-Cache", "true")
        )
        .await,
        ok(json!(2))
    );
    assert_eq!(redis_get_text(&mut con, "add:1:1").await.as_deref(), Some("2"));
    assert_eq!(get(&server, "/add?a=1&b=1").await, ok(json!(2)));
    assert_eq!(calls(&DISABLE_ADD_CALLS), 2);
}

// ---- issue 12: Disable-Cache cannot multiply Redis load (D10) -----------------------------

static SKIP_REDIS_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "skip:{n}", expire = 60)]
async fn skip_redis(n: i64) -> i64 {
    count(&SKIP_REDIS_CALLS);
    tokio::time::sleep(Duration::from_millis(300)).await;
    n
}

#[tokio::test]
async fn disable_cache_without_an_aclkey_cannot_multiply_redis_writes() {
    let redis = RedisServer::start().await;
    let mut con = redis.connection().await;
    let settings = Settings {
        aclkey: "cache-admin".into(),
        ..redis_settings(&redis, "")
    };
    let server = common::serve(App::new(settings).at("/skip", skip_redis)).await;
    let sets_before = command_calls(&mut con, "set").await;

    // 10 at once, then 190 one after another, all asking to skip the cache, none with
    // the key: one computation, one write.
    let disabled = || {
        server
            .client
            .get(server.url("/skip?n=5"))
            .header("Disable-Cache", "true")
    };
    let first = futures_util::future::join_all((0..10).map(|_| common::send(disabled()))).await;
    for answer in first {
        assert_eq!(answer.json, ok(json!(5)));
    }
    for _ in 0..190 {
        assert_eq!(common::send(disabled()).await.json, ok(json!(5)));
    }
    assert_eq!(calls(&SKIP_REDIS_CALLS), 1);
    assert_eq!(command_calls(&mut con, "set").await - sets_before, 1);

    // With the key, the header is honoured: 10 at once still compute once, and write once.
    let honoured = futures_util::future::join_all((0..10).map(|_| {
        common::send(
            server
                .client
                .get(server.url("/skip?n=5"))
                .header("Disable-Cache", "true")
                .header("aclkey", "cache-admin"),
        )
    }))
    .await;
    for answer in honoured {
        assert_eq!(answer.json, ok(json!(5)));
    }
    assert_eq!(calls(&SKIP_REDIS_CALLS), 2);
    assert_eq!(command_calls(&mut con, "set").await - sets_before, 2);
}
