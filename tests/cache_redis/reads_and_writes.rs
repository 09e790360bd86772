//! Hits and misses on Redis, and the TTL each key carries: its `expire`, or
//! `default_expire`.

use super::*;

// ---- hit and miss ------------------------------------------------------------------

counted_add!(hit_add, HIT_ADD_CALLS, key = "add:{a}:{b}", expire = 60);

#[tokio::test]
async fn a_repeated_call_is_answered_from_redis() {
    let redis = RedisServer::start().await;
    let mut con = redis.connection().await;
    let app = App::new(redis_settings(&redis, "")).at("/add", hit_add);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;

    assert_eq!(get(&server, "/add?a=1&b=2").await, ok(json!(3)));
    assert_eq!(redis_get_text(&mut con, "add:1:2").await.as_deref(), Some("3"));
    assert_eq!(get(&server, "/add?a=1&b=2").await, ok(json!(3)));
    assert_eq!(calls(&HIT_ADD_CALLS), 1, "the second call must be a hit");
    assert_eq!(get(&server, "/add?a=2&b=2").await, ok(json!(4)));
    assert_eq!(calls(&HIT_ADD_CALLS), 2);

    // What Redis holds is what is answered.
    redis_set(&mut con, "add:1:2", b"{\"from\":\"redis\"}").await;
    assert_eq!(get(&server, "/add?a=1&b=2").await, ok(json!({"from": "redis"})));
    assert_eq!(calls(&HIT_ADD_CALLS), 2);

    // The App's handle reads and writes the same Redis.
    assert_eq!(cache.get("add:2:2").await.unwrap(), Some(json!(4)));
    cache.set("add:5:5", &11, MINUTE).await.unwrap();
    assert_eq!(redis_get_text(&mut con, "add:5:5").await.as_deref(), Some("11"));
    assert_eq!(get(&server, "/add?a=5&b=5").await, ok(json!(11)));

    // Value and expiry go in one command: SET .. EX, never a separate EXPIRE.
    assert!(command_calls(&mut con, "set").await >= 3);
    for separate in ["expire", "pexpire", "setex", "psetex"] {
        assert_eq!(command_calls(&mut con, separate).await, 0, "{separate} was used");
    }
}

// ---- TTL -------------------------------------------------------------------------------

counted_add!(ttl_add, TTL_ADD_CALLS, key = "ttl:{a}:{b}", expire = 30);
counted_add!(
    ttl_default_add,
    TTL_DEFAULT_ADD_CALLS,
    key = "ttl_default:{a}:{b}"
);
counted_add!(
    ttl_short_add,
    TTL_SHORT_ADD_CALLS,
    key = "ttl_short:{a}:{b}",
    expire = 1
);

#[tokio::test]
async fn redis_keys_carry_their_expire_as_ttl() {
    let redis = RedisServer::start().await;
    let mut con = redis.connection().await;
    let app = App::new(redis_settings(&redis, "default_expire = 120"))
        .at("/ttl", ttl_add)
        .at("/ttl_default", ttl_default_add);
    let server = common::serve(app).await;
    get(&server, "/ttl?a=1&b=1").await;
    get(&server, "/ttl_default?a=1&b=1").await;
    let ttl = redis_ttl(&mut con, "ttl:1:1").await;
    assert!((1..=30).contains(&ttl), "TTL of an expire = 30 entry: {ttl}");
    let ttl = redis_ttl(&mut con, "ttl_default:1:1").await;
    assert!(
        (60..=120).contains(&ttl),
        "TTL of a default_expire = 120 entry: {ttl}"
    );
    assert_eq!(calls(&TTL_ADD_CALLS) + calls(&TTL_DEFAULT_ADD_CALLS), 2);
}

#[tokio::test]
async fn a_redis_entry_expires_after_its_expire_seconds() {
    let redis = RedisServer::start().await;
    let mut con = redis.connection().await;
    let server = common::serve(App::new(redis_settings(&redis, "")).at("/ttl_short", ttl_short_add)).await;
    let start = Instant::now();
    assert_eq!(get(&server, "/ttl_short?a=2&b=3").await, ok(json!(5)));
    let ttl = redis_ttl(&mut con, "ttl_short:2:3").await;
    assert!(
        ttl == 1 || (ttl == -2 && start.elapsed() >= Duration::from_secs(1)),
        "TTL {ttl}"
    );
    assert_eq!(get(&server, "/ttl_short?a=2&b=3").await, ok(json!(5)));
    if start.elapsed() < Duration::from_millis(800) {
        assert_eq!(
            calls(&TTL_SHORT_ADD_CALLS),
            1,
            "a call well within a second must hit"
        );
    }
    common::eventually("the entry expires", Duration::from_secs(10), || async {
        assert_eq!(get(&server, "/ttl_short?a=2&b=3").await, ok(json!(5)));
        calls(&TTL_SHORT_ADD_CALLS) >= 2
    })
    .await;
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "{:?}",
        start.elapsed()
    );
}
