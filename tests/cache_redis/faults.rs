//! Fault tolerance: Redis stopped, down at start-up, silent, paused, killed and
//! restarted mid-stream; requests are slowed by the timeout at most and never fail,
//! unless `ignore_errors = false` asks for a cache error.

use super::*;

counted_add!(stop_add, STOP_ADD_CALLS, key = "add:{a}:{b}", expire = 60);

/// Whether a call to `path` is a hit: it is called twice (the first may compute and
/// store), and the second must not run the function.
async fn second_call_hits(server: &TestServer, path: &str, expected: Value, counter: &AtomicUsize) -> bool {
    assert_eq!(get(server, path).await, expected);
    let before = calls(counter);
    assert_eq!(get(server, path).await, expected);
    calls(counter) == before
}

#[tokio::test]
async fn redis_stopped_means_misses_and_caching_resumes_when_it_is_back() {
    let mut redis = RedisServer::start().await;
    let server = common::serve(App::new(redis_settings(&redis, "")).at("/add", stop_add)).await;
    assert_eq!(get(&server, "/add?a=1&b=1").await, ok(json!(2)));
    assert_eq!(get(&server, "/add?a=1&b=1").await, ok(json!(2)));
    assert_eq!(calls(&STOP_ADD_CALLS), 1);

    let log = log();
    redis.stop();
    for round in 1..=3 {
        let request_id = format!("redis-stopped-{round}");
        let start = Instant::now();
        let request = server
            .client
            .get(server.url("/add?a=1&b=1"))
            .header("X-Request-Id", &request_id);
        let answer = common::send(request).await.json;
        let took = start.elapsed();
        assert_eq!(answer, ok(json!(2)), "round {round} with Redis stopped");
        assert!(took < Duration::from_secs(3), "round {round} took {took:?}");
        assert_eq!(calls(&STOP_ADD_CALLS), 1 + round, "every call is a miss");
        let warnings = log.warnings_of(&request_id);
        assert!(
            warnings.iter().any(|line| line.contains("add:1:1")),
            "the failed read is not logged as a warning: {warnings:#?}"
        );
    }

    redis.start_again().await;
    common::eventually(
        "caching resumes after Redis is back",
        Duration::from_secs(20),
        || second_call_hits(&server, "/add?a=2&b=2", ok(json!(4)), &STOP_ADD_CALLS),
    )
    .await;
}

counted_add!(late_add, LATE_ADD_CALLS, key = "add:{a}:{b}", expire = 60);

#[tokio::test]
async fn redis_down_when_the_app_starts_then_up() {
    let mut redis = RedisServer::start().await;
    redis.stop();
    let server = common::serve(App::new(redis_settings(&redis, "")).at("/add", late_add)).await;
    for round in 1..=3 {
        let (answer, took) = timed_get(&server, "/add?a=3&b=4").await;
        assert_eq!(answer, ok(json!(7)), "round {round} with Redis down");
        assert!(took < Duration::from_secs(3), "round {round} took {took:?}");
    }
    assert_eq!(calls(&LATE_ADD_CALLS), 3);
    redis.start_again().await;
    common::eventually("caching starts once Redis is up", Duration::from_secs(20), || {
        second_call_hits(&server, "/add?a=3&b=4", ok(json!(7)), &LATE_ADD_CALLS)
    })
    .await;
    let mut con = redis.connection().await;
    assert_eq!(redis_get_text(&mut con, "add:3:4").await.as_deref(), Some("7"));
}

counted_add!(pause_add, PAUSE_ADD_CALLS, key = "add:{a}:{b}", expire = 60);

#[tokio::test]
async fn redis_that_never_answers_slows_requests_by_the_timeout_only() {
    let redis = RedisServer::start().await;
    let server = common::serve(App::new(redis_settings(&redis, "")).at("/add", pause_add)).await;
    assert_eq!(get(&server, "/add?a=1&b=2").await, ok(json!(3)));
    assert_eq!(get(&server, "/add?a=1&b=2").await, ok(json!(3)));
    assert_eq!(calls(&PAUSE_ADD_CALLS), 1);

    redis.pause();
    // A read and a write of 200 ms each at most; generous for a busy machine.
    let bound = Duration::from_secs(3);
    for (round, query) in ["a=1&b=2", "a=5&b=5", "a=1&b=2"].iter().enumerate() {
        let (answer, took) = timed_get(&server, &format!("/add?{query}")).await;
        assert_eq!(
            answer["success"], true,
            "round {round} with Redis paused: {answer}"
        );
        assert!(took < bound, "round {round} with Redis paused took {took:?}");
    }
    let start = Instant::now();
    let requests = (0..10).map(|n| common::send(server.client.get(server.url(&format!("/add?a={n}&b=100")))));
    for (n, answer) in futures_util::future::join_all(requests)
        .await
        .into_iter()
        .enumerate()
    {
        assert_eq!(answer.json, ok(json!(n + 100)));
    }
    assert!(
        start.elapsed() < bound,
        "10 concurrent requests took {:?}",
        start.elapsed()
    );

    redis.resume();
    common::eventually(
        "caching resumes after Redis answers again",
        Duration::from_secs(20),
        || second_call_hits(&server, "/add?a=8&b=8", ok(json!(16)), &PAUSE_ADD_CALLS),
    )
    .await;
}

counted_add!(
    paused_start_add,
    PAUSED_START_ADD_CALLS,
    key = "add:{a}:{b}",
    expire = 60
);

#[tokio::test]
async fn redis_paused_before_the_first_connection() {
    // The connection itself is made to a server that never answers the handshake.
    let redis = RedisServer::start().await;
    redis.pause();
    let server = common::serve(App::new(redis_settings(&redis, "")).at("/add", paused_start_add)).await;
    for round in 1..=3 {
        let (answer, took) = timed_get(&server, "/add?a=2&b=5").await;
        assert_eq!(answer, ok(json!(7)), "round {round}");
        assert!(took < Duration::from_secs(3), "round {round} took {took:?}");
    }
    redis.resume();
    common::eventually(
        "caching starts after Redis answers",
        Duration::from_secs(20),
        || second_call_hits(&server, "/add?a=2&b=5", ok(json!(7)), &PAUSED_START_ADD_CALLS),
    )
    .await;
}

counted_add!(stream_add, STREAM_ADD_CALLS, key = "add:{a}:{b}", expire = 60);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_killed_and_restarted_mid_stream_fails_no_request() {
    let mut redis = RedisServer::start().await;
    let server = Arc::new(common::serve(App::new(redis_settings(&redis, "")).at("/add", stream_add)).await);
    let done = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));

    let tasks: Vec<_> = (0..4)
        .map(|task| {
            let (server, done, answered, failures) =
                (server.clone(), done.clone(), answered.clone(), failures.clone());
            tokio::spawn(async move {
                let mut i = 0i64;
                while !done.load(Ordering::SeqCst) {
                    let (a, b) = (task, i % 10);
                    let path = format!("/add?a={a}&b={b}");
                    let request = server
                        .client
                        .get(server.url(&path))
                        .timeout(Duration::from_secs(10));
                    let outcome = match request.send().await {
                        Ok(response) => {
                            let status = response.status().as_u16();
                            match response.json::<Value>().await {
                                Ok(body) if status == 200 && body == ok(json!(a + b)) => Ok(()),
                                Ok(body) => Err(format!("{path}: status {status}, {body}")),
                                Err(err) => Err(format!("{path}: status {status}, unreadable body: {err}")),
                            }
                        }
                        Err(err) => Err(format!("{path}: no answer: {err}")),
                    };
                    if let Err(failure) = outcome {
                        failures.lock().unwrap().push(failure);
                    }
                    answered.fetch_add(1, Ordering::SeqCst);
                    i += 1;
                }
            })
        })
        .collect();

    let wait_for = |count: usize| {
        let answered = answered.clone();
        async move {
            common::eventually(&format!("{count} answers"), Duration::from_secs(60), || {
                let answered = answered.clone();
                async move { answered.load(Ordering::SeqCst) >= count }
            })
            .await;
        }
    };
    wait_for(80).await;
    redis.stop();
    let (at_stop, calls_at_stop) = (answered.load(Ordering::SeqCst), calls(&STREAM_ADD_CALLS));
    wait_for(at_stop + 80).await;
    let calls_while_down = calls(&STREAM_ADD_CALLS) - calls_at_stop;
    redis.start_again().await;
    let at_restart = answered.load(Ordering::SeqCst);
    wait_for(at_restart + 80).await;
    // The stream goes on until caching has resumed.
    common::eventually("a hit after the restart", Duration::from_secs(20), || {
        let answered = answered.clone();
        async move {
            let (calls_before, answers_before) = (calls(&STREAM_ADD_CALLS), answered.load(Ordering::SeqCst));
            tokio::time::sleep(Duration::from_millis(200)).await;
            answered.load(Ordering::SeqCst) > answers_before + 20 && calls(&STREAM_ADD_CALLS) == calls_before
        }
    })
    .await;
    done.store(true, Ordering::SeqCst);
    for task in tasks {
        task.await.unwrap();
    }
    let total = answered.load(Ordering::SeqCst);
    let failures = failures.lock().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {total} requests failed (Redis stopped after {at_stop}, back after {at_restart}):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        calls_while_down >= 40,
        "Redis down means misses: {calls_while_down} calls"
    );
}

counted_add!(
    strict_down_add,
    STRICT_DOWN_ADD_CALLS,
    key = "strict:{a}:{b}",
    expire = 60,
    ignore_errors = false
);

#[tokio::test]
async fn with_ignore_errors_off_redis_down_or_silent_is_a_cache_error() {
    let mut redis = RedisServer::start().await;
    let server = common::serve(App::new(redis_settings(&redis, "")).at("/strict", strict_down_add)).await;
    assert_eq!(get(&server, "/strict?a=5&b=5").await, ok(json!(10)));

    redis.pause();
    let (answer, took) = timed_get(&server, "/strict?a=5&b=5").await;
    assert_eq!(answer, err(CACHE_ERROR, "System Error"), "Redis paused");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    redis.resume();

    redis.stop();
    let (answer, took) = timed_get(&server, "/strict?a=6&b=6").await;
    assert_eq!(answer, err(CACHE_ERROR, "System Error"), "Redis stopped");
    assert!(took < Duration::from_secs(3), "took {took:?}");

    redis.start_again().await;
    common::eventually(
        "the strict endpoint answers once Redis is back",
        Duration::from_secs(20),
        || async { get(&server, "/strict?a=6&b=6").await == ok(json!(12)) },
    )
    .await;
    assert!(calls(&STRICT_DOWN_ADD_CALLS) >= 2);
}
