//! Invalidation on Redis: keys removed with SCAN and UNLINK.

use super::*;

counted_add!(inv_add, INV_ADD_CALLS, key = "add:{a}:{b}", expire = 60);

#[tokio::test]
async fn invalidation_removes_redis_keys_with_scan_and_unlink() {
    let redis = RedisServer::start().await;
    let mut con = redis.connection().await;
    let app = App::new(redis_settings(&redis, "")).at("/add", inv_add);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    for query in ["a=1&b=2", "a=1&b=5", "a=2&b=2", "a=12&b=2"] {
        get(&server, &format!("/add?{query}")).await;
    }
    assert_eq!(
        redis_keys(&mut con).await,
        ["add:12:2", "add:1:2", "add:1:5", "add:2:2"]
    );

    assert_eq!(cache.invalidate("add:{a}:*", &[("a", &1)]).await.unwrap(), 2);
    assert_eq!(redis_keys(&mut con).await, ["add:12:2", "add:2:2"]);
    get(&server, "/add?a=1&b=2").await;
    get(&server, "/add?a=2&b=2").await;
    assert_eq!(
        calls(&INV_ADD_CALLS),
        5,
        "a = 1 computed again, a = 2 still a hit"
    );

    assert!(cache.delete("add:2:2").await.unwrap());
    assert!(!cache.delete("add:2:2").await.unwrap());
    assert!(!redis_exists(&mut con, "add:2:2").await);

    // Many keys: several SCAN rounds.
    let mut pipe = redis::pipe();
    for n in 0..1200 {
        pipe.cmd("SET").arg(format!("bulk:{n}")).arg(n).ignore();
    }
    pipe.cmd("SET").arg("bulky").arg(1).ignore();
    pipe.query_async::<()>(&mut con).await.unwrap();
    assert_eq!(cache.delete_pattern("bulk:*").await.unwrap(), 1200);
    assert_eq!(redis_keys(&mut con).await, ["add:12:2", "add:1:2", "bulky"]);
    assert_eq!(cache.delete_pattern("add:*").await.unwrap(), 2);
    assert_eq!(cache.delete_pattern("add:*").await.unwrap(), 0);

    assert_eq!(command_calls(&mut con, "keys").await, 0, "KEYS was used");
    assert!(command_calls(&mut con, "scan").await >= 3);
    assert!(command_calls(&mut con, "unlink").await >= 3);
    assert_eq!(
        command_calls(&mut con, "del").await,
        0,
        "DEL was used, not UNLINK"
    );
}
