//! Single flight on Redis: concurrent misses on one key compute once.

use super::*;

static SLOW_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "slow:{n}", expire = 60)]
async fn slow(n: i64) -> i64 {
    count(&SLOW_CALLS);
    tokio::time::sleep(Duration::from_millis(400)).await;
    n * 10
}

#[tokio::test]
async fn concurrent_misses_on_one_redis_key_compute_once() {
    let redis = RedisServer::start().await;
    let mut con = redis.connection().await;
    let server = common::serve(App::new(redis_settings(&redis, "")).at("/slow", slow)).await;
    let requests = (0..20).map(|_| common::send(server.client.get(server.url("/slow?n=7"))));
    for answer in futures_util::future::join_all(requests).await {
        assert_eq!(answer.json, ok(json!(70)));
    }
    assert_eq!(
        calls(&SLOW_CALLS),
        1,
        "20 concurrent misses must run the function once"
    );
    assert_eq!(redis_get_text(&mut con, "slow:7").await.as_deref(), Some("70"));
}
