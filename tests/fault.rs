//! Fault tolerance under concurrent load (issue 7), over real HTTP: a panicking
//! endpoint, slow endpoints (async and blocking), Redis stopped, paused and restarted,
//! and memory after thousands of requests. Counts are asserted, not timings; each
//! test prints its figures (`cargo test --test fault -- --nocapture`), which
//! RELIABILITY.md quotes.
//!
//! The tests take turns (`SERIAL`): the machine may have two cores, and the memory
//! test reads the whole process's RSS.

mod common;
#[path = "common/load.rs"]
mod load;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;
use std::time::{Duration, Instant};

use apiview::prelude::*;
use common::redis::RedisServer;
use common::{code_of, err, ok};
use load::{Load, Shot};
use serde_json::{json, Value};

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The message of the panics these tests cause on purpose.
const DELIBERATE: &str = "fault test: a deliberate panic";

/// Keeps the default panic hook for everything but the deliberate panics, which
/// would otherwise print thousands of backtraces.
fn quiet_deliberate_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied())
                .unwrap_or("");
            if !message.contains(DELIBERATE) {
                default(info);
            }
        }));
    });
}

#[apiview]
fn healthy(a: i64, b: i64) -> i64 {
    a + b
}

#[apiview]
fn panics(n: i64) -> i64 {
    panic!("{DELIBERATE} (call {n})")
}

#[apiview]
async fn slow_async(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

#[apiview(blocking)]
fn slow_blocking(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

fn sys_error() -> Value {
    err(common::SYS_ERROR, "System Error")
}

fn healthy_shot(client: &reqwest::Client, base: &str, a: i64, b: i64) -> Shot {
    Shot {
        label: "healthy",
        request: client.get(format!("{base}/healthy?a={a}&b={b}")),
        expect: ok(json!(a + b)),
    }
}

// ---- (a) a panicking endpoint ---------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_panicking_endpoint_fails_alone_under_load() {
    let _serial = SERIAL.lock().await;
    quiet_deliberate_panics();
    let app = App::new(Settings::default())
        .at("/healthy", healthy)
        .at("/panics", panics);
    let server = common::serve(app).await;
    let base = server.base.clone();
    let figures = load::run_for(16, Duration::from_secs(2), move |client, c, n| {
        if c % 2 == 0 {
            Shot {
                label: "panics",
                request: client.get(format!("{base}/panics?n={n}")),
                expect: sys_error(),
            }
        } else {
            healthy_shot(client, &base, c as i64, n as i64)
        }
    })
    .await;
    figures.print("fault::panics");
    // Every panicking call is answered the packed SysError; the healthy endpoint,
    // served by the same App at the same time, answers every call.
    figures.assert_no_failure("a panicking endpoint next to a healthy one");
    assert!(figures.get("panics").ok >= 100, "{:?}", figures.get("panics"));
    assert!(figures.get("healthy").ok >= 100, "{:?}", figures.get("healthy"));
    assert_eq!(server.get_json("/healthy?a=1&b=2").await, ok(json!(3)));
}

// ---- (b) slow endpoints -----------------------------------------------------------------

/// Two worker threads only, and more slow blocking calls at once than workers: were
/// a `blocking` endpoint run on a worker, the healthy endpoint would starve.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_endpoints_do_not_hold_up_a_healthy_one() {
    let _serial = SERIAL.lock().await;
    const SLOW_MS: u64 = 1500;
    let app = App::new(Settings::default())
        .at("/healthy", healthy)
        .at("/slow_async", slow_async)
        .at("/slow_blocking", slow_blocking);
    let server = common::serve(app).await;
    let base = server.base.clone();
    let figures = load::run_for(16, Duration::from_secs(3), move |client, c, n| match c % 4 {
        0 => Shot {
            label: "slow_async",
            request: client.get(format!("{base}/slow_async?ms={SLOW_MS}")),
            expect: ok(json!(SLOW_MS)),
        },
        1 => Shot {
            label: "slow_blocking",
            request: client.get(format!("{base}/slow_blocking?ms={SLOW_MS}")),
            expect: ok(json!(SLOW_MS)),
        },
        _ => healthy_shot(client, &base, c as i64, n as i64),
    })
    .await;
    figures.print("fault::slow");
    figures.assert_no_failure("slow endpoints next to a healthy one");
    // 4 clients each: at least one answer of each kind.
    assert!(
        figures.get("slow_async").ok >= 4,
        "{:?}",
        figures.get("slow_async")
    );
    assert!(
        figures.get("slow_blocking").ok >= 4,
        "{:?}",
        figures.get("slow_blocking")
    );
    assert!(
        figures.get("healthy").ok >= 200,
        "the healthy endpoint was held up: {:?}",
        figures.get("healthy")
    );
}

// ---- (c) Redis stopped, paused and restarted under load -----------------------------------

static CACHED_CALLS: AtomicU64 = AtomicU64::new(0);
static PROBE_CALLS: AtomicU64 = AtomicU64::new(0);
/// `b` from here on: the recovery probes' keys, counted apart from the load's.
const PROBE_B: i64 = 1_000_000;

#[apiview]
#[cache(key = "fault:{a}:{b}", expire = 60, ignore_errors = true)]
fn cached(a: i64, b: i64) -> i64 {
    let counter = if b >= PROBE_B { &PROBE_CALLS } else { &CACHED_CALLS };
    counter.fetch_add(1, Ordering::SeqCst);
    a + b
}

/// Calls a fresh key twice: whether the second call was a hit.
async fn probe_hits(client: &reqwest::Client, base: &str, probe: &mut i64) -> bool {
    *probe += 1;
    let b = PROBE_B + *probe;
    let url = format!("{base}/cached?a=1&b={b}");
    let first: Value = client.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(first, ok(json!(1 + b)));
    let before = PROBE_CALLS.load(Ordering::SeqCst);
    let second: Value = client.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(second, ok(json!(1 + b)));
    PROBE_CALLS.load(Ordering::SeqCst) == before
}

/// How long until a probe hits again (panics after 30 s).
async fn recovery(client: &reqwest::Client, base: &str, probe: &mut i64) -> Duration {
    let start = Instant::now();
    while !probe_hits(client, base, probe).await {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "caching did not resume within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    start.elapsed()
}

/// tests/cache_redis/faults.rs covers each fault alone with few clients
/// (`redis_killed_and_restarted_mid_stream_fails_no_request` and the tests before it);
/// this one chains them under 16 clients and measures the recovery.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_paused_stopped_and_restarted_under_load_fails_no_request() {
    let _serial = SERIAL.lock().await;
    let mut redis = RedisServer::start().await;
    let settings = common::settings(&format!(
        "[cache]\nbackends.default = \"{}\"\noperation_timeout_ms = 200",
        redis.url()
    ));
    let server = common::serve(App::new(settings).at("/cached", cached)).await;
    let base = server.base.clone();
    let probe_client = reqwest::Client::new();
    let mut probe = 0;
    // 16 clients over 160 keys.
    let load = {
        let base = base.clone();
        Load::start(16, move |client, c, n| {
            let (a, b) = (c as i64, (n % 10) as i64);
            Shot {
                label: "cached",
                request: client.get(format!("{base}/cached?a={a}&b={b}")),
                expect: ok(json!(a + b)),
            }
        })
    };
    let within = Duration::from_secs(120);
    load.wait_for_more(1000, within).await;
    let up = load.snapshot();
    let calls_up = CACHED_CALLS.load(Ordering::SeqCst);

    redis.pause();
    tokio::time::sleep(Duration::from_secs(2)).await;
    load.wait_for_more(50, within).await;
    let paused = load.snapshot();
    redis.resume();
    let after_resume = recovery(&probe_client, &base, &mut probe).await;
    let resumed = load.snapshot();

    redis.stop();
    let calls_at_stop = CACHED_CALLS.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(2)).await;
    load.wait_for_more(200, within).await;
    let stopped = load.snapshot();
    let calls_down = CACHED_CALLS.load(Ordering::SeqCst) - calls_at_stop;
    redis.start_again().await;
    let after_restart = recovery(&probe_client, &base, &mut probe).await;
    let restarted = load.snapshot();

    let calls_before_last = CACHED_CALLS.load(Ordering::SeqCst);
    load.wait_for_more(2000, within).await;
    let calls_last = CACHED_CALLS.load(Ordering::SeqCst) - calls_before_last;
    let end = load.stop().await;
    let last = end.since(&restarted);

    up.print("fault::redis (Redis up)");
    paused.since(&up).print("fault::redis (Redis paused, SIGSTOP)");
    resumed
        .since(&paused)
        .print("fault::redis (Redis resumed, until caching resumed)");
    stopped.since(&resumed).print("fault::redis (Redis stopped)");
    restarted
        .since(&stopped)
        .print("fault::redis (Redis restarted, until caching resumed)");
    last.print("fault::redis (after recovery)");
    end.print("fault::redis (whole run)");
    println!(
        "figures fault::redis: caching resumed {} ms after SIGCONT, {} ms after the restarted \
         redis-server answered PING",
        after_resume.as_millis(),
        after_restart.as_millis()
    );
    println!(
        "figures fault::redis: computed {calls_up} times while up (160 keys), {calls_down} while \
         stopped ({} requests), {calls_last} in the {} requests after recovery",
        stopped.since(&resumed).total().sent,
        last.total().sent
    );

    end.assert_no_failure("Redis paused, stopped and restarted under load");
    assert!(
        calls_down as f64 >= 0.9 * stopped.since(&resumed).total().sent as f64 - 20.0,
        "with Redis stopped every request computes: {calls_down} calls"
    );
    // Caching resumed: the 160 keys are computed again once, give or take a few
    // timed-out writes on a busy machine; far fewer than the requests.
    assert!(
        calls_last <= 400 && calls_last * 4 < last.total().sent,
        "caching did not resume: {calls_last} calls for {} requests",
        last.total().sent
    );
}

// ---- (d) memory -----------------------------------------------------------------------------

#[apiview]
#[between(a, 0, 100)]
fn checked(a: i64) -> i64 {
    a
}

#[apiview]
#[cache(key = "mem:{a}", expire = 60)]
fn cached_in_memory(a: i64) -> i64 {
    a * 2
}

#[apiview]
#[allow_post]
#[string_length_limit(msg, max_length = 4096, min_length = 2)]
fn echo(msg: String) -> String {
    msg
}

/// What the server answers `request` (every call must get the same).
async fn answer(request: reqwest::RequestBuilder) -> Value {
    common::send(request).await.json
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_stays_bounded_after_thousands_of_requests_with_panics_and_errors() {
    let _serial = SERIAL.lock().await;
    quiet_deliberate_panics();
    let app = App::new(Settings::default())
        .at("/healthy", healthy)
        .at("/panics", panics)
        .at("/checked", checked)
        .at("/cached", cached_in_memory)
        .at("/echo", echo);
    let server = common::serve(app).await;
    let base = server.base.clone();
    let client = &server.client;
    let text = "m".repeat(2000);
    let out_of_range = answer(client.get(server.url("/checked?a=1000"))).await;
    assert_eq!(code_of(&out_of_range), common::BAD_PARAMETER);
    let missing = answer(client.get(server.url("/healthy?a=1"))).await;
    assert_eq!(code_of(&missing), common::MISSING_PARAMETER);
    let not_json = answer(
        client
            .post(server.url("/echo"))
            .header("content-type", "application/json")
            .body("{\"msg\": "),
    )
    .await;
    assert_eq!(code_of(&not_json), common::PARSE_JSON_ERROR);
    let too_long = answer(
        client
            .post(server.url("/echo"))
            .json(&json!({"msg": "x".repeat(5000)})),
    )
    .await;
    assert_eq!(code_of(&too_long), common::STRING_TOO_LONG);

    let pick = move |client: &reqwest::Client, c: usize, n: u64| {
        let (a, i) = (c as i64, n as i64);
        match (n + c as u64) % 8 {
            0 => Shot {
                label: "panics",
                request: client.get(format!("{base}/panics?n={n}")),
                expect: sys_error(),
            },
            1 => Shot {
                label: "BadParameter",
                request: client.get(format!("{base}/checked?a=1000")),
                expect: out_of_range.clone(),
            },
            2 => Shot {
                label: "MissingParameter",
                request: client.get(format!("{base}/healthy?a=1")),
                expect: missing.clone(),
            },
            3 => Shot {
                label: "ParseJsonError",
                request: client
                    .post(format!("{base}/echo"))
                    .header("content-type", "application/json")
                    .body("{\"msg\": "),
                expect: not_json.clone(),
            },
            4 => Shot {
                label: "StringTooLong",
                request: client
                    .post(format!("{base}/echo"))
                    .json(&json!({"msg": "x".repeat(5000)})),
                expect: too_long.clone(),
            },
            5 => Shot {
                label: "echo 2 kB",
                request: client.post(format!("{base}/echo")).json(&json!({"msg": text})),
                expect: ok(json!(text)),
            },
            6 => Shot {
                label: "cached (memory)",
                request: client.get(format!("{base}/cached?a={}", i % 100)),
                expect: ok(json!(i % 100 * 2)),
            },
            _ => healthy_shot(client, &base, a, i),
        }
    };
    let pick = std::sync::Arc::new(pick);
    let phase = |requests: u64| {
        let pick = pick.clone();
        load::run_count(16, requests, Duration::from_secs(300), move |client, c, n| {
            pick(client, c, n)
        })
    };

    let warm_up = phase(3000).await;
    let rss_warm = load::rss_bytes();
    let second = phase(6000).await;
    let rss_second = load::rss_bytes();
    let third = phase(6000).await;
    let rss_third = load::rss_bytes();

    warm_up.print("fault::memory (warm-up)");
    second.print("fault::memory (phase 2)");
    third.print("fault::memory (phase 3)");
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    let growth = |from: u64, to: u64| to as i64 - from as i64;
    println!(
        "figures fault::memory: RSS {:.1} MiB after the warm-up, {:.1} MiB after phase 2 ({:+.1}), \
         {:.1} MiB after phase 3 ({:+.1})",
        mib(rss_warm),
        mib(rss_second),
        growth(rss_warm, rss_second) as f64 / (1024.0 * 1024.0),
        mib(rss_third),
        growth(rss_second, rss_third) as f64 / (1024.0 * 1024.0),
    );
    for (name, figures) in [("warm-up", &warm_up), ("phase 2", &second), ("phase 3", &third)] {
        figures.assert_no_failure(&format!("memory test, {name}"));
    }
    assert!(third.get("panics").ok >= 500, "{:?}", third.get("panics"));
    // A leak of even 1 kB per request would add 12 MiB over the two phases.
    const SLACK: i64 = 8 * 1024 * 1024;
    assert!(
        growth(rss_warm, rss_third) < SLACK,
        "RSS grew by {:.1} MiB over {} requests after the warm-up",
        growth(rss_warm, rss_third) as f64 / (1024.0 * 1024.0),
        second.total().sent + third.total().sent
    );
}
