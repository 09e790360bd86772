//! Single flight: concurrent misses on one key compute once; waiters neither hang
//! when the computing request fails nor wait past `single_flight_timeout_ms`.

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
async fn concurrent_misses_on_one_key_compute_once() {
    let server = common::serve(App::new(Settings::default()).at("/slow", slow)).await;
    let requests = (0..20).map(|_| common::send(server.client.get(server.url("/slow?n=7"))));
    let answers = futures_util::future::join_all(requests).await;
    for answer in &answers {
        assert_eq!(answer.json, ok(json!(70)));
    }
    assert_eq!(
        calls(&SLOW_CALLS),
        1,
        "20 concurrent misses must run the function once"
    );

    // Another key is another flight.
    let requests = (0..5).map(|_| common::send(server.client.get(server.url("/slow?n=8"))));
    for answer in futures_util::future::join_all(requests).await {
        assert_eq!(answer.json, ok(json!(80)));
    }
    assert_eq!(calls(&SLOW_CALLS), 2);
}

static SLOW_PANIC_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Its first call panics after a while; later calls answer.
#[apiview]
#[cache(key = "slow_panic:{n}", expire = 60)]
async fn slow_panic(n: i64) -> i64 {
    if count(&SLOW_PANIC_CALLS) == 1 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        panic!("slow_panic: the first call panics (expected by the test)");
    }
    n
}

static SLOW_ERROR_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Its first call fails after a while; later calls answer.
#[apiview]
#[cache(key = "slow_error:{n}", expire = 60)]
async fn slow_error(n: i64) -> apiview::Result<i64> {
    if count(&SLOW_ERROR_CALLS) == 1 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        return Err(BizError::new(3002, "first call fails"));
    }
    Ok(n)
}

/// Ten concurrent requests to `path`: the answers, and how long they took together.
async fn ten_at_once(server: &TestServer, path: &str) -> (Vec<Value>, Duration) {
    let start = Instant::now();
    let requests = (0..10).map(|_| common::send(server.client.get(server.url(path))));
    let answers = futures_util::future::join_all(requests).await;
    (
        answers.into_iter().map(|answer| answer.json).collect(),
        start.elapsed(),
    )
}

#[tokio::test]
async fn waiters_do_not_hang_when_the_computing_request_fails() {
    // Waiters wait up to single_flight_timeout_ms (10 s by default) for a result;
    // a leader that fails must release them at once.
    let server = common::serve(
        App::new(Settings::default())
            .at("/slow_panic", slow_panic)
            .at("/slow_error", slow_error),
    )
    .await;
    for (path, expected_code) in [("/slow_panic?n=3", common::SYS_ERROR), ("/slow_error?n=3", 3002)] {
        let (answers, took) = ten_at_once(&server, path).await;
        let failed = answers.iter().filter(|answer| answer["success"] == false).count();
        assert_eq!(failed, 1, "{path}: only the computing request fails: {answers:?}");
        for answer in &answers {
            if answer["success"] == false {
                assert_eq!(code_of(answer), expected_code);
            } else {
                assert_eq!(answer, &ok(json!(3)), "{path}");
            }
        }
        assert!(took < Duration::from_secs(5), "{path}: waiters hung for {took:?}");
    }
}

static VERY_SLOW_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Its first call takes 3 s; later calls answer at once.
#[apiview]
#[cache(key = "very_slow:{n}", expire = 60)]
async fn very_slow(n: i64) -> i64 {
    if count(&VERY_SLOW_CALLS) == 1 {
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    n
}

#[tokio::test]
async fn waiters_compute_themselves_after_single_flight_timeout_ms() {
    let settings = common::settings(
        "[cache]
single_flight_timeout_ms = 200",
    );
    let server = common::serve(App::new(settings).at("/very_slow", very_slow)).await;
    let leader = {
        let request = server.client.get(server.url("/very_slow?n=9"));
        tokio::spawn(common::send(request))
    };
    common::eventually("the first call starts", Duration::from_secs(5), || async {
        calls(&VERY_SLOW_CALLS) == 1
    })
    .await;
    let (answers, took) = ten_at_once(&server, "/very_slow?n=9").await;
    for answer in &answers {
        assert_eq!(answer, &ok(json!(9)));
    }
    assert!(
        took < Duration::from_millis(2500),
        "waiters waited {took:?}, not about 200 ms"
    );
    assert_eq!(leader.await.unwrap().json, ok(json!(9)));
}
