//! `#[cache]` against a real `redis-server` (DESIGN §5, issue 3): the core behaviours
//! (hit, miss, TTL, escaping, invalidation with SCAN + UNLINK, batch, garbage values,
//! several backends, single flight) and fault tolerance (Redis stopped, restarted,
//! paused, killed in the middle of a stream of requests).
//!
//! Each test starts its own `redis-server` on a free port (tests/common/redis.rs)
//! and its own App, with its own endpoints and call counters, so the tests run in
//! parallel.
//!
//! One test binary; this file holds the helpers that talk to Redis and
//! `counted_add!`, each topic its own file.

#[path = "../common/mod.rs"]
mod common;

#[path = "../../examples/demo/endpoints.rs"]
mod endpoints;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use apiview::prelude::*;
use common::redis::RedisServer;
use common::{code_of, err, ok, TestServer};
use redis::aio::MultiplexedConnection;
use serde_json::{json, Value};

const CACHE_ERROR: i64 = 1001000003;
const MINUTE: Duration = Duration::from_secs(60);

/// The App's settings: the default cache in `redis`, operations bounded by 200 ms.
fn redis_settings(redis: &RedisServer, extra: &str) -> Settings {
    common::settings(&format!(
        "[cache]\nbackends.default = \"{}\"\noperation_timeout_ms = 200\n{extra}",
        redis.url()
    ))
}

/// The binary's one log subscriber (a global one can be installed once), shared by
/// the tests that read warnings; lines are told apart by request id or key.
fn log() -> &'static common::LogBuffer {
    static LOG: std::sync::OnceLock<common::LogBuffer> = std::sync::OnceLock::new();
    LOG.get_or_init(|| common::LogBuffer::install(tracing::Level::INFO))
}

fn calls(counter: &AtomicUsize) -> usize {
    counter.load(Ordering::SeqCst)
}

/// One more call; the number of this call (1 for the first).
fn count(counter: &AtomicUsize) -> usize {
    counter.fetch_add(1, Ordering::SeqCst) + 1
}

async fn get(server: &TestServer, path: &str) -> Value {
    common::send(
        server
            .client
            .get(server.url(path))
            .timeout(Duration::from_secs(20)),
    )
    .await
    .json
}

async fn get_with(server: &TestServer, path: &str, header: (&str, &str)) -> Value {
    common::send(server.client.get(server.url(path)).header(header.0, header.1))
        .await
        .json
}

async fn post_json(server: &TestServer, path: &str, body: Value) -> Value {
    common::send(server.client.post(server.url(path)).json(&body))
        .await
        .json
}

/// A GET and how long it took.
async fn timed_get(server: &TestServer, path: &str) -> (Value, Duration) {
    let start = Instant::now();
    let answer = get(server, path).await;
    (answer, start.elapsed())
}

async fn redis_get(con: &mut MultiplexedConnection, key: &str) -> Option<Vec<u8>> {
    redis::cmd("GET").arg(key).query_async(con).await.unwrap()
}

async fn redis_get_text(con: &mut MultiplexedConnection, key: &str) -> Option<String> {
    redis_get(con, key)
        .await
        .map(|bytes| String::from_utf8(bytes).expect("a UTF-8 value"))
}

async fn redis_ttl(con: &mut MultiplexedConnection, key: &str) -> i64 {
    redis::cmd("TTL").arg(key).query_async(con).await.unwrap()
}

async fn redis_set(con: &mut MultiplexedConnection, key: &str, value: &[u8]) {
    redis::cmd("SET")
        .arg(key)
        .arg(value)
        .query_async::<()>(con)
        .await
        .unwrap();
}

async fn redis_exists(con: &mut MultiplexedConnection, key: &str) -> bool {
    redis::cmd("EXISTS")
        .arg(key)
        .query_async::<i64>(con)
        .await
        .unwrap()
        == 1
}

/// Every key of the database, by SCAN.
async fn redis_keys(con: &mut MultiplexedConnection) -> Vec<String> {
    let mut cursor = 0u64;
    let mut keys = Vec::new();
    loop {
        let (next, batch): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(1000)
            .query_async(con)
            .await
            .unwrap();
        keys.extend(
            batch
                .into_iter()
                .map(|key| String::from_utf8_lossy(&key).into_owned()),
        );
        if next == 0 {
            keys.sort();
            return keys;
        }
        cursor = next;
    }
}

/// `INFO <section>` as `field -> value`.
async fn redis_info(con: &mut MultiplexedConnection, section: &str) -> Vec<(String, String)> {
    let info: String = redis::cmd("INFO").arg(section).query_async(con).await.unwrap();
    info.lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(field, value)| (field.to_owned(), value.trim().to_owned()))
        .collect()
}

/// How many times Redis ran `command` (from INFO commandstats).
async fn command_calls(con: &mut MultiplexedConnection, command: &str) -> u64 {
    let field = format!("cmdstat_{command}");
    redis_info(con, "commandstats")
        .await
        .into_iter()
        .find(|(name, _)| *name == field)
        .and_then(|(_, value)| {
            value
                .split(',')
                .find_map(|part| part.strip_prefix("calls="))
                .and_then(|calls| calls.parse().ok())
        })
        .unwrap_or(0)
}

/// A plain `add` cached under `add:{a}:{b}`, one per test with its own counter.
macro_rules! counted_add {
    ($name:ident, $counter:ident, $($cache:tt)*) => {
        static $counter: AtomicUsize = AtomicUsize::new(0);

        #[apiview]
        #[cache($($cache)*)]
        fn $name(a: i64, b: i64) -> i64 {
            count(&$counter);
            a + b
        }
    };
}

// The topics come after `counted_add!`, which they use: a `macro_rules!` macro is
// seen only by the modules declared after it.
mod batch;
mod connection;
mod demo;
mod disable_header;
mod faults;
mod invalidation;
mod keys;
mod not_json;
mod reads_and_writes;
mod several_backends;
mod single_flight;
mod throttle;
