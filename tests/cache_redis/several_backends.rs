//! Several backends, memory and Redis, in one App; the database the URL names.

use super::*;

counted_add!(local_add, LOCAL_ADD_CALLS, key = "local:{a}:{b}", expire = 60);
counted_add!(
    shared_add,
    SHARED_ADD_CALLS,
    key = "shared:{a}:{b}",
    expire = 60,
    name = "shared"
);

#[tokio::test]
async fn memory_and_redis_backends_in_one_app() {
    let redis = RedisServer::start().await;
    let other = RedisServer::start().await;
    let mut con = redis.connection().await;
    let mut other_con = other.connection().await;
    let settings = common::settings(&format!(
        "[cache]\noperation_timeout_ms = 200\n\
         backends = {{ default = \"memory://\", shared = \"{}\", spare = \"{}\" }}",
        redis.url(),
        other.url()
    ));
    let app = App::new(settings)
        .at("/local", local_add)
        .at("/shared", shared_add);
    let (local, shared, spare) = (
        app.cache("default").unwrap(),
        app.cache("shared").unwrap(),
        app.cache("spare").unwrap(),
    );
    let urls: Vec<(&str, String)> = app
        .cache_entries()
        .into_iter()
        .map(|entry| (entry.backend, entry.url))
        .collect();
    assert_eq!(
        urls,
        [("default", "memory://".to_owned()), ("shared", redis.url())]
    );
    let server = common::serve(app).await;

    for _ in 0..2 {
        assert_eq!(get(&server, "/local?a=1&b=1").await, ok(json!(2)));
        assert_eq!(get(&server, "/shared?a=1&b=1").await, ok(json!(2)));
    }
    assert_eq!((calls(&LOCAL_ADD_CALLS), calls(&SHARED_ADD_CALLS)), (1, 1));
    assert_eq!(redis_keys(&mut con).await, ["shared:1:1"]);
    assert_eq!(local.get("local:1:1").await.unwrap(), Some(json!(2)));
    assert_eq!(local.get("shared:1:1").await.unwrap(), None);
    assert_eq!(shared.get("shared:1:1").await.unwrap(), Some(json!(2)));
    spare.set("spare", &1, MINUTE).await.unwrap();
    assert_eq!(redis_keys(&mut other_con).await, ["spare"]);
}

#[tokio::test]
async fn the_database_in_the_url_is_used() {
    let redis = RedisServer::start().await;
    let mut db0 = redis.connection().await;
    let mut db3 = redis.connection_db(3).await;
    let settings = common::settings(&format!("[cache]\nbackends.default = \"{}\"", redis.url_db(3)));
    let cache = App::new(settings).cache("default").unwrap();
    cache.set("in_db_3", &true, MINUTE).await.unwrap();
    assert_eq!(redis_keys(&mut db3).await, ["in_db_3"]);
    assert!(redis_keys(&mut db0).await.is_empty());
}
