//! `#[cache(batch = true)]` on Redis: each element under its own key.

use super::*;

#[apiview]
#[cache(key = "user:{id}", expire = 45, batch = true)]
fn users(ids: String) -> Vec<Value> {
    ids.split(',')
        .map(|id| json!({"id": id, "name": format!("user {id}")}))
        .collect()
}

#[tokio::test]
async fn batch_stores_each_element_under_its_own_redis_key() {
    let redis = RedisServer::start().await;
    let mut con = redis.connection().await;
    let app = App::new(redis_settings(&redis, "")).at("/users", users);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    assert_eq!(
        get(&server, "/users?ids=7,a:b").await,
        ok(json!([{"id": "7", "name": "user 7"}, {"id": "a:b", "name": "user a:b"}]))
    );
    // The id "7" is a string whose text reads as a number: marked `!`, so that it
    // never shares a key with the number 7.
    assert_eq!(redis_keys(&mut con).await, ["user:!7", "user:a%3Ab"]);
    for key in ["user:!7", "user:a%3Ab"] {
        let ttl = redis_ttl(&mut con, key).await;
        assert!((1..=45).contains(&ttl), "TTL of {key}: {ttl}");
    }
    assert_eq!(
        cache.get("user:!7").await.unwrap(),
        Some(json!({"id": "7", "name": "user 7"}))
    );
}
