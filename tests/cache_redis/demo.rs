//! The demo's cached endpoints (examples/demo) on Redis: `cached_add` and the notes.

use super::*;

#[tokio::test]
async fn demo_cached_add_and_notes_on_redis() {
    let redis = RedisServer::start().await;
    let mut con = redis.connection().await;
    let settings = Settings {
        aclkey: "test-aclkey".into(),
        ..redis_settings(&redis, "")
    };
    let server = common::serve(endpoints::app(settings)).await;

    assert_eq!(get(&server, "/cached_add?a=1&b=2").await, ok(json!(3)));
    assert_eq!(redis_get_text(&mut con, "add:1:2").await.as_deref(), Some("3"));
    let ttl = redis_ttl(&mut con, "add:1:2").await;
    assert!((1..=60).contains(&ttl), "TTL {ttl}");
    redis_set(&mut con, "add:1:2", b"100").await;
    assert_eq!(get(&server, "/cached_add?a=1&b=2").await, ok(json!(100)));
    assert_eq!(
        get_with(
            &server,
            "/cached_add?a=1&b=2&aclkey=test-aclkey",
            ("Disable-Cache", "true")
        )
        .await,
        ok(json!(3))
    );
    assert_eq!(get(&server, "/cached_add?a=1&b=2").await, ok(json!(3)));
    // Validators run before the cache.
    redis_set(&mut con, "add:500:1", b"7").await;
    assert_eq!(
        code_of(&get(&server, "/cached_add?a=500&b=1").await),
        common::BAD_PARAMETER
    );

    let name = "cache-redis-note";
    let get_note = format!("/note_get?name={name}");
    assert_eq!(get(&server, &get_note).await, ok(Value::Null));
    assert!(redis_exists(&mut con, &format!("note:{name}")).await);
    assert_eq!(
        post_json(&server, "/note_set", json!({"name": name, "text": "on redis"})).await,
        ok(json!(1))
    );
    assert!(!redis_exists(&mut con, &format!("note:{name}")).await);
    assert_eq!(get(&server, &get_note).await, ok(json!("on redis")));
}
