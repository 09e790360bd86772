//! `#[cache]` against a real `redis-server` (DESIGN §5, issue 3): the core behaviours
//! (hit, miss, TTL, escaping, invalidation with SCAN + UNLINK, batch, garbage values,
//! several backends, single flight) and fault tolerance (Redis stopped, restarted,
//! paused, killed in the middle of a stream of requests).
//!
//! Each test starts its own `redis-server` on a free port (tests/common/redis.rs)
//! and its own App, with its own endpoints and call counters, so the tests run in
//! parallel.

mod common;

#[path = "../examples/demo/endpoints.rs"]
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

// ---- hit and miss ------------------------------------------------------------------

counted_add!(hit_add, HIT_ADD_CALLS, key = "add:{a}:{b}", expire = 60);

#[tokio::test]
async fn a_repeated_call_is_answered_from_redis() {
    let redis = RedisServer::start().await;
    let mut con = redis.connection().await;
    let app = App::new(redis_settings(&redis, "")).at("/add", hit_add);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;

    assert_eq!(get(&server, "/add?a=1&b=2").await, ok(json!(3)));
    assert_eq!(redis_get_text(&mut con, "add:1:2").await.as_deref(), Some("3"));
    assert_eq!(get(&server, "/add?a=1&b=2").await, ok(json!(3)));
    assert_eq!(calls(&HIT_ADD_CALLS), 1, "the second call must be a hit");
    assert_eq!(get(&server, "/add?a=2&b=2").await, ok(json!(4)));
    assert_eq!(calls(&HIT_ADD_CALLS), 2);

    // What Redis holds is what is answered.
    redis_set(&mut con, "add:1:2", b"{\"from\":\"redis\"}").await;
    assert_eq!(get(&server, "/add?a=1&b=2").await, ok(json!({"from": "redis"})));
    assert_eq!(calls(&HIT_ADD_CALLS), 2);

    // The App's handle reads and writes the same Redis.
    assert_eq!(cache.get("add:2:2").await.unwrap(), Some(json!(4)));
    cache.set("add:5:5", &11, MINUTE).await.unwrap();
    assert_eq!(redis_get_text(&mut con, "add:5:5").await.as_deref(), Some("11"));
    assert_eq!(get(&server, "/add?a=5&b=5").await, ok(json!(11)));

    // Value and expiry go in one command: SET .. EX, never a separate EXPIRE.
    assert!(command_calls(&mut con, "set").await >= 3);
    for separate in ["expire", "pexpire", "setex", "psetex"] {
        assert_eq!(command_calls(&mut con, separate).await, 0, "{separate} was used");
    }
}

counted_add!(disable_add, DISABLE_ADD_CALLS, key = "add:{a}:{b}", expire = 60);

#[tokio::test]
async fn disable_cache_header_skips_the_redis_read_but_still_writes() {
    let redis = RedisServer::start().await;
    let mut con = redis.connection().await;
    let settings = Settings {
        aclkey: "cache-admin".into(),
        ..redis_settings(&redis, "")
    };
    let server = common::serve(App::new(settings).at("/add", disable_add)).await;
    assert_eq!(get(&server, "/add?a=1&b=1").await, ok(json!(2)));
    redis_set(&mut con, "add:1:1", b"42").await;
    assert_eq!(get(&server, "/add?a=1&b=1").await, ok(json!(42)));
    assert_eq!(
        get_with(
            &server,
            "/add?a=1&b=1&aclkey=cache-admin",
            ("Disable-Cache", "true")
        )
        .await,
        ok(json!(2))
    );
    assert_eq!(redis_get_text(&mut con, "add:1:1").await.as_deref(), Some("2"));
    assert_eq!(get(&server, "/add?a=1&b=1").await, ok(json!(2)));
    assert_eq!(calls(&DISABLE_ADD_CALLS), 2);
}

// ---- TTL -------------------------------------------------------------------------------

counted_add!(ttl_add, TTL_ADD_CALLS, key = "ttl:{a}:{b}", expire = 30);
counted_add!(
    ttl_default_add,
    TTL_DEFAULT_ADD_CALLS,
    key = "ttl_default:{a}:{b}"
);
counted_add!(
    ttl_short_add,
    TTL_SHORT_ADD_CALLS,
    key = "ttl_short:{a}:{b}",
    expire = 1
);

#[tokio::test]
async fn redis_keys_carry_their_expire_as_ttl() {
    let redis = RedisServer::start().await;
    let mut con = redis.connection().await;
    let app = App::new(redis_settings(&redis, "default_expire = 120"))
        .at("/ttl", ttl_add)
        .at("/ttl_default", ttl_default_add);
    let server = common::serve(app).await;
    get(&server, "/ttl?a=1&b=1").await;
    get(&server, "/ttl_default?a=1&b=1").await;
    let ttl = redis_ttl(&mut con, "ttl:1:1").await;
    assert!((1..=30).contains(&ttl), "TTL of an expire = 30 entry: {ttl}");
    let ttl = redis_ttl(&mut con, "ttl_default:1:1").await;
    assert!(
        (60..=120).contains(&ttl),
        "TTL of a default_expire = 120 entry: {ttl}"
    );
    assert_eq!(calls(&TTL_ADD_CALLS) + calls(&TTL_DEFAULT_ADD_CALLS), 2);
}

#[tokio::test]
async fn a_redis_entry_expires_after_its_expire_seconds() {
    let redis = RedisServer::start().await;
    let mut con = redis.connection().await;
    let server = common::serve(App::new(redis_settings(&redis, "")).at("/ttl_short", ttl_short_add)).await;
    let start = Instant::now();
    assert_eq!(get(&server, "/ttl_short?a=2&b=3").await, ok(json!(5)));
    let ttl = redis_ttl(&mut con, "ttl_short:2:3").await;
    assert!(
        ttl == 1 || (ttl == -2 && start.elapsed() >= Duration::from_secs(1)),
        "TTL {ttl}"
    );
    assert_eq!(get(&server, "/ttl_short?a=2&b=3").await, ok(json!(5)));
    if start.elapsed() < Duration::from_millis(800) {
        assert_eq!(
            calls(&TTL_SHORT_ADD_CALLS),
            1,
            "a call well within a second must hit"
        );
    }
    common::eventually("the entry expires", Duration::from_secs(10), || async {
        assert_eq!(get(&server, "/ttl_short?a=2&b=3").await, ok(json!(5)));
        calls(&TTL_SHORT_ADD_CALLS) >= 2
    })
    .await;
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "{:?}",
        start.elapsed()
    );
}

// ---- escaping ----------------------------------------------------------------------------

static PAIR_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "x:{a}:{b}", expire = 60)]
fn pair(a: String, b: String) -> String {
    count(&PAIR_CALLS);
    format!("pair {a}|{b}")
}

static ONE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "x:{a}", expire = 60)]
fn one(a: String) -> String {
    count(&ONE_CALLS);
    format!("one {a}")
}

#[tokio::test]
async fn escaped_values_never_share_a_redis_key() {
    let redis = RedisServer::start().await;
    let mut con = redis.connection().await;
    let app = App::new(redis_settings(&redis, ""))
        .at("/pair", pair)
        .at("/one", one);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    let long = "x".repeat(10 * 1024);
    let pairs: Vec<(String, String)> = [
        ("1:2", "3"),
        ("1", "2:3"),
        ("1", "2"),
        ("*", "*"),
        ("1", "*"),
        ("?", "?"),
        ("[", "]"),
        ("[a-z]", "b"),
        ("a\nb", "c"),
        ("a\r\nSET x y", "z"),
        ("%3A", "x"),
        (":", "x"),
        ("é", "日本"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .chain([
        (long.clone(), "1".to_owned()),
        (format!("{long}y"), "1".to_owned()),
        ("1".to_owned(), long.clone()),
    ])
    .collect();

    for round in 1..=2 {
        for (a, b) in &pairs {
            let answer = post_json(&server, "/pair", json!({"a": a, "b": b})).await;
            assert_eq!(
                answer,
                ok(json!(format!("pair {a}|{b}"))),
                "round {round}: {a:?}, {b:?}"
            );
        }
        assert_eq!(calls(&PAIR_CALLS), pairs.len(), "round {round}");
    }
    for a in ["1:2", "1:2:3", "*", "1:*"] {
        assert_eq!(
            post_json(&server, "/one", json!({"a": a})).await,
            ok(json!(format!("one {a}")))
        );
    }
    assert_eq!(calls(&ONE_CALLS), 4);

    // One key per distinct call, each short, printable and free of glob characters.
    let keys = redis_keys(&mut con).await;
    assert_eq!(keys.len(), pairs.len() + 4, "{keys:#?}");
    for key in &keys {
        assert!(key.len() <= 160, "a {}-byte key: {key}", key.len());
        assert!(
            key.bytes().all(|byte| byte.is_ascii_graphic()) && !key.contains(['*', '?', '[', ']']),
            "{key:?}"
        );
    }

    // Glob characters as values delete only their own entry.
    assert_eq!(
        cache
            .invalidate("x:{a}:{b}", &[("a", &"*"), ("b", &"*")])
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        cache
            .invalidate("x:{a}:{b}", &[("a", &"["), ("b", &"]")])
            .await
            .unwrap(),
        1
    );
    assert_eq!(redis_keys(&mut con).await.len(), pairs.len() + 2);
}

// ---- invalidation -----------------------------------------------------------------------

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

// ---- batch --------------------------------------------------------------------------------

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

// ---- values in Redis that are not JSON -----------------------------------------------------

counted_add!(tolerant_add, TOLERANT_ADD_CALLS, key = "add:{a}:{b}", expire = 60);
counted_add!(
    strict_add,
    STRICT_ADD_CALLS,
    key = "strict:{a}:{b}",
    expire = 60,
    ignore_errors = false
);

#[tokio::test]
async fn a_redis_value_that_is_not_json_is_a_miss() {
    let redis = RedisServer::start().await;
    let mut con = redis.connection().await;
    let server = common::serve(App::new(redis_settings(&redis, "")).at("/add", tolerant_add)).await;
    let garbage: [&[u8]; 4] = [b"not json", b"{\"a\":", b"\xff\xfe\x00", b""];
    for (n, value) in garbage.iter().enumerate() {
        let key = format!("add:{n}:1");
        redis_set(&mut con, &key, value).await;
        assert_eq!(get(&server, &format!("/add?a={n}&b=1")).await, ok(json!(n + 1)));
        assert_eq!(
            calls(&TOLERANT_ADD_CALLS),
            n + 1,
            "value {value:?} must be a miss"
        );
        assert_eq!(redis_get_text(&mut con, &key).await, Some((n + 1).to_string()));
    }
    // A key of another type: GET fails with WRONGTYPE.
    redis::cmd("RPUSH")
        .arg("add:9:1")
        .arg("x")
        .query_async::<()>(&mut con)
        .await
        .unwrap();
    assert_eq!(get(&server, "/add?a=9&b=1").await, ok(json!(10)));
    assert_eq!(calls(&TOLERANT_ADD_CALLS), garbage.len() + 1);
    assert_eq!(get(&server, "/add?a=9&b=1").await, ok(json!(10)));
    assert_eq!(
        calls(&TOLERANT_ADD_CALLS),
        garbage.len() + 1,
        "SET replaced the list"
    );
}

#[tokio::test]
async fn with_ignore_errors_off_a_redis_value_that_is_not_json_is_a_cache_error() {
    let redis = RedisServer::start().await;
    let mut con = redis.connection().await;
    let server = common::serve(App::new(redis_settings(&redis, "")).at("/strict", strict_add)).await;
    redis_set(&mut con, "strict:1:1", b"not json").await;
    assert_eq!(
        get(&server, "/strict?a=1&b=1").await,
        err(CACHE_ERROR, "System Error")
    );
    assert_eq!(calls(&STRICT_ADD_CALLS), 0);
    assert_eq!(get(&server, "/strict?a=2&b=2").await, ok(json!(4)));
    assert_eq!(get(&server, "/strict?a=2&b=2").await, ok(json!(4)));
    assert_eq!(calls(&STRICT_ADD_CALLS), 1);
}

// ---- several backends, databases ------------------------------------------------------------

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

// ---- single flight and one shared connection ------------------------------------------------

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

counted_add!(conn_add, CONN_ADD_CALLS, key = "add:{a}:{b}", expire = 60);

#[tokio::test]
async fn one_connection_serves_every_request() {
    let redis = RedisServer::start().await;
    let mut con = redis.connection().await;
    let server = common::serve(App::new(redis_settings(&redis, "")).at("/add", conn_add)).await;
    let connections = |info: Vec<(String, String)>| -> u64 {
        info.into_iter()
            .find(|(field, _)| field == "total_connections_received")
            .and_then(|(_, value)| value.parse().ok())
            .expect("total_connections_received in INFO stats")
    };
    let before = connections(redis_info(&mut con, "stats").await);
    for n in 0..20 {
        assert_eq!(
            get(&server, &format!("/add?a={n}&b={}", n % 3)).await,
            ok(json!(n + n % 3))
        );
    }
    let requests = (0..20).map(|n| common::send(server.client.get(server.url(&format!("/add?a={n}&b=1")))));
    futures_util::future::join_all(requests).await;
    let after = connections(redis_info(&mut con, "stats").await);
    assert!(
        after - before <= 1,
        "{} connections to Redis for 40 requests: the backend must share one",
        after - before
    );
    assert!(calls(&CONN_ADD_CALLS) > 0);

    // A hit is one round trip: one GET, nothing else.
    let before = all_command_calls(&mut con).await;
    for _ in 0..10 {
        assert_eq!(get(&server, "/add?a=1&b=1").await, ok(json!(2)));
    }
    let after = all_command_calls(&mut con).await;
    let ran: Vec<(String, u64)> = after
        .into_iter()
        .map(|(command, calls)| {
            let earlier = before.iter().find(|(c, _)| *c == command).map_or(0, |(_, n)| *n);
            (command, calls - earlier)
        })
        .filter(|(command, calls)| *calls > 0 && command != "info")
        .collect();
    assert_eq!(ran, [("get".to_owned(), 10)], "commands run for 10 hits");
}

/// Calls per command, from INFO commandstats.
async fn all_command_calls(con: &mut MultiplexedConnection) -> Vec<(String, u64)> {
    redis_info(con, "commandstats")
        .await
        .into_iter()
        .filter_map(|(field, value)| {
            let command = field.strip_prefix("cmdstat_")?.to_owned();
            let calls = value
                .split(',')
                .find_map(|part| part.strip_prefix("calls="))?
                .parse()
                .ok()?;
            Some((command, calls))
        })
        .collect()
}

// ---- fault tolerance ---------------------------------------------------------------------------

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

    let log = common::LogBuffer::install(tracing::Level::INFO);
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

// ---- issue 12: Disable-Cache cannot multiply Redis load (D10) -----------------------------

static SKIP_REDIS_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "skip:{n}", expire = 60)]
async fn skip_redis(n: i64) -> i64 {
    count(&SKIP_REDIS_CALLS);
    tokio::time::sleep(Duration::from_millis(300)).await;
    n
}

#[tokio::test]
async fn disable_cache_without_an_aclkey_cannot_multiply_redis_writes() {
    let redis = RedisServer::start().await;
    let mut con = redis.connection().await;
    let settings = Settings {
        aclkey: "cache-admin".into(),
        ..redis_settings(&redis, "")
    };
    let server = common::serve(App::new(settings).at("/skip", skip_redis)).await;
    let sets_before = command_calls(&mut con, "set").await;

    // 10 at once, then 190 one after another, all asking to skip the cache, none with
    // the key: one computation, one write.
    let disabled = || {
        server
            .client
            .get(server.url("/skip?n=5"))
            .header("Disable-Cache", "true")
    };
    let first = futures_util::future::join_all((0..10).map(|_| common::send(disabled()))).await;
    for answer in first {
        assert_eq!(answer.json, ok(json!(5)));
    }
    for _ in 0..190 {
        assert_eq!(common::send(disabled()).await.json, ok(json!(5)));
    }
    assert_eq!(calls(&SKIP_REDIS_CALLS), 1);
    assert_eq!(command_calls(&mut con, "set").await - sets_before, 1);

    // With the key, the header is honoured: 10 at once still compute once, and write once.
    let honoured = futures_util::future::join_all((0..10).map(|_| {
        common::send(
            server
                .client
                .get(server.url("/skip?n=5"))
                .header("Disable-Cache", "true")
                .header("aclkey", "cache-admin"),
        )
    }))
    .await;
    for answer in honoured {
        assert_eq!(answer.json, ok(json!(5)));
    }
    assert_eq!(calls(&SKIP_REDIS_CALLS), 2);
    assert_eq!(command_calls(&mut con, "set").await - sets_before, 2);
}
