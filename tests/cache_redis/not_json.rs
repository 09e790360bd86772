//! Values in Redis that are not JSON (written by someone else): a miss, or a cache
//! error with `ignore_errors = false`.

use super::*;

// ---- values in Redis that are not JSON -----------------------------------------------------

counted_add!(tolerant_add, TOLERANT_ADD_CALLS, key = "add:{a}:{b}", expire = 60);
counted_add!(
    strict_add,
    STRICT_ADD_CALLS,
    key = "strict:{a}:{b}",
    expire = 60,
    ignore_errors = false
);

#[tokio::test]
async fn a_redis_value_that_is_not_json_is_a_miss() {
    let redis = RedisServer::start().await;
    let mut con = redis.connection().await;
    let server = common::serve(App::new(redis_settings(&redis, "")).at("/add", tolerant_add)).await;
    let garbage: [&[u8]; 4] = [b"not json", b"{\"a\":", b"\xff\xfe\x00", b""];
    for (n, value) in garbage.iter().enumerate() {
        let key = format!("add:{n}:1");
        redis_set(&mut con, &key, value).await;
        assert_eq!(get(&server, &format!("/add?a={n}&b=1")).await, ok(json!(n + 1)));
        assert_eq!(
            calls(&TOLERANT_ADD_CALLS),
            n + 1,
            "value {value:?} must be a miss"
        );
        assert_eq!(redis_get_text(&mut con, &key).await, Some((n + 1).to_string()));
    }
    // A key of another type: GET fails with WRONGTYPE.
    redis::cmd("RPUSH")
        .arg("add:9:1")
        .arg("x")
        .query_async::<()>(&mut con)
        .await
        .unwrap();
    assert_eq!(get(&server, "/add?a=9&b=1").await, ok(json!(10)));
    assert_eq!(calls(&TOLERANT_ADD_CALLS), garbage.len() + 1);
    assert_eq!(get(&server, "/add?a=9&b=1").await, ok(json!(10)));
    assert_eq!(
        calls(&TOLERANT_ADD_CALLS),
        garbage.len() + 1,
        "SET replaced the list"
    );
}

#[tokio::test]
async fn with_ignore_errors_off_a_redis_value_that_is_not_json_is_a_cache_error() {
    let redis = RedisServer::start().await;
    let mut con = redis.connection().await;
    let server = common::serve(App::new(redis_settings(&redis, "")).at("/strict", strict_add)).await;
    redis_set(&mut con, "strict:1:1", b"not json").await;
    assert_eq!(
        get(&server, "/strict?a=1&b=1").await,
        err(CACHE_ERROR, "System Error")
    );
    assert_eq!(calls(&STRICT_ADD_CALLS), 0);
    assert_eq!(get(&server, "/strict?a=2&b=2").await, ok(json!(4)));
    assert_eq!(get(&server, "/strict?a=2&b=2").await, ok(json!(4)));
    assert_eq!(calls(&STRICT_ADD_CALLS), 1);
}
