//! `#[throttle]` counters in Redis (DESIGN §13): exact admission under concurrency,
//! one limit shared by every App on the same Redis, one round trip per check, and a
//! Redis that cannot be reached: fail open (counted and logged), or fail closed.

use super::*;

const TOO_MANY_REQUESTS: i64 = 1001010007;

#[apiview]
#[throttle(rate = "10/h", scope = "redis_limit")]
fn redis_limited() -> &'static str {
    "ok"
}

fn passed(answer: &Value) -> bool {
    answer["success"] == true
}

#[tokio::test]
async fn of_n_plus_one_concurrent_calls_exactly_n_pass_across_two_apps() {
    let redis = RedisServer::start().await;
    let first = common::serve(App::new(redis_settings(&redis, "")).at("/limited", redis_limited)).await;
    let second = common::serve(App::new(redis_settings(&redis, "")).at("/limited", redis_limited)).await;
    let calls = (0..11).map(|n| {
        let server = if n % 2 == 0 { &first } else { &second };
        get(server, "/limited")
    });
    let answers = futures_util::future::join_all(calls).await;
    let admitted = answers.iter().filter(|answer| passed(answer)).count();
    assert_eq!(admitted, 10, "{answers:?}");
    let refused: Vec<_> = answers.iter().filter(|answer| !passed(answer)).collect();
    assert_eq!(code_of(refused[0]), TOO_MANY_REQUESTS);
    // Either App refuses now: the counter is Redis's.
    for server in [&first, &second] {
        let refused = common::send(server.client.get(server.url("/limited"))).await;
        assert_eq!(code_of(&refused.json), TOO_MANY_REQUESTS);
        assert_eq!(refused.header("retry-after"), "360");
    }
    // One key per counter, living until it would be empty again.
    let mut connection = redis.connection().await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("throttle:*")
        .query_async(&mut connection)
        .await
        .unwrap();
    // The address written as a key part (`!`: a string that reads like a number).
    assert_eq!(keys, ["throttle:redis_limit:10/h:!127.0.0.1"]);
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&keys[0])
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!((3_500_000..=3_600_000).contains(&ttl), "{ttl}");
}

#[apiview]
#[throttle(rate = "1/h", key = "{user}", scope = "redis_stacked")]
#[throttle(rate = "3/h", scope = "redis_stacked")]
fn redis_stacked(user: Option<String>) -> Option<String> {
    user
}

#[tokio::test]
async fn stacked_counters_are_one_round_trip_and_a_refusal_counts_in_none() {
    let redis = RedisServer::start().await;
    let server = common::serve(App::new(redis_settings(&redis, "")).at("/stacked", redis_stacked)).await;
    let mut connection = redis.connection().await;
    let _: () = redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!(passed(&get(&server, "/stacked?user=ann").await));
    for _ in 0..4 {
        assert_eq!(
            code_of(&get(&server, "/stacked?user=ann").await),
            TOO_MANY_REQUESTS
        );
    }
    assert!(passed(&get(&server, "/stacked?user=bob").await));
    assert!(passed(&get(&server, "/stacked?user=carol").await));
    assert_eq!(
        code_of(&get(&server, "/stacked?user=dave").await),
        TOO_MANY_REQUESTS
    );
    // Eight checks: eight script calls, the first one loading the script (EVALSHA
    // answered NOSCRIPT, then EVAL); the GETs and SETs are the script's own.
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut connection)
        .await
        .unwrap();
    let calls = |command: &str| -> u64 {
        info.lines()
            .find_map(|line| line.strip_prefix(&format!("cmdstat_{command}:calls=")))
            .and_then(|rest| rest.split(',').next())
            .and_then(|calls| calls.parse().ok())
            .unwrap_or(0)
    };
    assert_eq!((calls("evalsha"), calls("eval")), (8, 1), "{info}");
    assert_eq!(calls("time"), 8, "{info}");
}

#[tokio::test]
async fn redis_stopped_fails_open_counted_and_logged() {
    let mut redis = RedisServer::start().await;
    let app = App::new(redis_settings(&redis, "")).at("/limited", redis_limited);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    assert!(passed(&get(&server, "/limited").await));
    assert_eq!(cache.throttle_failures(), 0);

    let log = log();
    redis.stop();
    let stopped = Instant::now();
    for round in 1..=15 {
        let start = Instant::now();
        assert!(passed(&get(&server, "/limited").await), "round {round}");
        assert!(start.elapsed() < Duration::from_secs(3), "round {round}");
    }
    assert_eq!(cache.throttle_failures(), 15);
    let logged = log
        .lines()
        .iter()
        .filter(|line| line.contains("throttle check failed") && line.contains("redis_limit"))
        .count();
    let seconds = stopped.elapsed().as_secs() as usize;
    assert!(
        (1..=seconds + 1).contains(&logged),
        "logged {logged} times in {seconds} s, at most once a second"
    );

    redis.start_again().await;
    common::eventually(
        "throttling resumes when Redis is back",
        Duration::from_secs(20),
        || async {
            let mut refused = false;
            for _ in 0..11 {
                refused |= code_of_any(&get(&server, "/limited").await) == Some(TOO_MANY_REQUESTS);
            }
            refused
        },
    )
    .await;
}

fn code_of_any(answer: &Value) -> Option<i64> {
    answer["error"]["code"].as_i64()
}

#[apiview]
#[throttle(rate = "10/h", scope = "redis_closed")]
fn redis_closed() -> &'static str {
    "ok"
}

#[tokio::test]
async fn redis_stopped_with_fail_closed_refuses_with_cache_error() {
    let mut redis = RedisServer::start().await;
    let settings = redis_settings(&redis, "[throttle]\nfail_closed = true");
    let server = common::serve(App::new(settings).at("/limited", redis_closed)).await;
    assert!(passed(&get(&server, "/limited").await));
    redis.stop();
    assert_eq!(code_of(&get(&server, "/limited").await), CACHE_ERROR);
}
