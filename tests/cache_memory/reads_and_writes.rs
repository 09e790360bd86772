//! When the cache is read and when it is written: hits and misses, expiry,
//! `get_from_cache` and `set_to_cache`, the unpacked result stored, errors and
//! panics never stored.

use super::*;

// ---- hit and miss ------------------------------------------------------------

#[tokio::test]
async fn a_repeated_call_is_answered_from_the_cache() {
    let app = App::new(Settings::default()).at("/add", add);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;

    assert_eq!(get(&server, "/add?a=1&b=2").await, ok(json!(3)));
    assert_eq!(calls(&ADD_CALLS), 1);
    assert_eq!(cache.get("add:1:2").await.unwrap(), Some(json!(3)));
    assert_eq!(get(&server, "/add?a=1&b=2").await, ok(json!(3)));
    assert_eq!(calls(&ADD_CALLS), 1, "the second call must be a hit");

    // The same parameters from a JSON body fill the same key.
    assert_eq!(
        post_json(&server, "/add", json!({"a": 1, "b": 2})).await,
        ok(json!(3))
    );
    assert_eq!(calls(&ADD_CALLS), 1);

    // Other parameters, another key.
    assert_eq!(get(&server, "/add?a=2&b=1").await, ok(json!(3)));
    assert_eq!(calls(&ADD_CALLS), 2);
    assert_eq!(cache.get("add:2:1").await.unwrap(), Some(json!(3)));

    // A hit is the stored value, as it is: what is put there is what is answered.
    cache
        .set("add:1:2", &json!({"planted": [1, 2]}), MINUTE)
        .await
        .unwrap();
    assert_eq!(get(&server, "/add?a=1&b=2").await, ok(json!({"planted": [1, 2]})));
    assert_eq!(calls(&ADD_CALLS), 2);
}

static PACKED_ADD_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "packed_add:{a}:{b}", expire = 60)]
fn packed_add(a: i64, b: i64) -> i64 {
    count(&PACKED_ADD_CALLS);
    a + b
}

#[tokio::test]
async fn the_unpacked_result_is_cached_and_packed_per_request() {
    let app = App::new(common::settings("packer = \"deetr\"")).at("/add", packed_add);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    let first = common::send(server.client.get(server.url("/add?a=2&b=3"))).await;
    let second = common::send(server.client.get(server.url("/add?a=2&b=3"))).await;
    assert_eq!(calls(&PACKED_ADD_CALLS), 1);
    assert_eq!(
        (first.json["data"].clone(), second.json["data"].clone()),
        (json!(5), json!(5))
    );
    // The envelope of a hit is the hit request's own.
    assert_eq!(second.json["reqid"], second.request_id());
    assert_ne!(first.json["reqid"], second.json["reqid"]);
    assert_eq!(cache.get("packed_add:2:3").await.unwrap(), Some(json!(5)));
}

// ---- expiry ------------------------------------------------------------------

static EXPIRING_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "expiring:{n}", expire = 1)]
fn expiring(n: i64) -> i64 {
    count(&EXPIRING_CALLS);
    n
}

#[tokio::test]
async fn an_entry_expires_after_its_expire_seconds() {
    let server = common::serve(App::new(Settings::default()).at("/expiring", expiring)).await;
    let start = Instant::now();
    assert_eq!(get(&server, "/expiring?n=7").await, ok(json!(7)));
    assert_eq!(get(&server, "/expiring?n=7").await, ok(json!(7)));
    if start.elapsed() < Duration::from_millis(800) {
        assert_eq!(calls(&EXPIRING_CALLS), 1, "a call well within a second must hit");
    }
    common::eventually("the entry expires", Duration::from_secs(10), || async {
        assert_eq!(get(&server, "/expiring?n=7").await, ok(json!(7)));
        calls(&EXPIRING_CALLS) >= 2
    })
    .await;
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "expired after {:?}, before its second",
        start.elapsed()
    );
}

#[tokio::test]
async fn without_expire_an_entry_lives_default_expire_seconds() {
    let app = App::new(common::settings("[cache]\ndefault_expire = 1")).at("/default_expire", default_expire);
    assert_eq!(app.cache_entries()[0].expire, 1);
    let server = common::serve(app).await;
    let start = Instant::now();
    assert_eq!(get(&server, "/default_expire?n=1").await, ok(json!(1)));
    assert_eq!(calls(&DEFAULT_EXPIRE_CALLS), 1);
    common::eventually("the entry expires", Duration::from_secs(10), || async {
        assert_eq!(get(&server, "/default_expire?n=1").await, ok(json!(1)));
        calls(&DEFAULT_EXPIRE_CALLS) >= 2
    })
    .await;
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "{:?}",
        start.elapsed()
    );
}

// ---- get_from_cache, set_to_cache ----------------------------------------------

static NO_READ_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "no_read:{n}", expire = 60, get_from_cache = false)]
fn no_read(n: i64) -> String {
    format!("{n}-{}", count(&NO_READ_CALLS))
}

static NO_WRITE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "no_write:{n}", expire = 60, set_to_cache = false)]
fn no_write(n: i64) -> String {
    format!("{n}-{}", count(&NO_WRITE_CALLS))
}

#[tokio::test]
async fn get_from_cache_false_always_computes_and_still_writes() {
    let app = App::new(Settings::default()).at("/no_read", no_read);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    assert_eq!(get(&server, "/no_read?n=1").await, ok(json!("1-1")));
    assert_eq!(get(&server, "/no_read?n=1").await, ok(json!("1-2")));
    assert_eq!(calls(&NO_READ_CALLS), 2);
    assert_eq!(cache.get("no_read:1").await.unwrap(), Some(json!("1-2")));
}

#[tokio::test]
async fn set_to_cache_false_never_writes_but_still_reads() {
    let app = App::new(Settings::default()).at("/no_write", no_write);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    assert_eq!(get(&server, "/no_write?n=1").await, ok(json!("1-1")));
    assert_eq!(get(&server, "/no_write?n=1").await, ok(json!("1-2")));
    assert_eq!(cache.get("no_write:1").await.unwrap(), None);
    // Written by someone else, it is read.
    cache.set("no_write:1", &"from elsewhere", MINUTE).await.unwrap();
    assert_eq!(get(&server, "/no_write?n=1").await, ok(json!("from elsewhere")));
    assert_eq!(calls(&NO_WRITE_CALLS), 2);
}

// ---- errors are never cached ------------------------------------------------------

static FLAKY_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Fails on its first call only.
#[apiview]
#[cache(key = "flaky:{n}", expire = 60)]
fn flaky(n: i64) -> apiview::Result<i64> {
    if count(&FLAKY_CALLS) == 1 {
        return Err(BizError::new(3001, "not ready yet"));
    }
    Ok(n)
}

static FRAGILE_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Panics on its first call only.
#[apiview]
#[cache(key = "fragile:{n}", expire = 60)]
fn fragile(n: i64) -> i64 {
    if count(&FRAGILE_CALLS) == 1 {
        panic!("fragile: the first call panics (expected by the test)");
    }
    n
}

#[tokio::test]
async fn errors_and_panics_are_never_cached() {
    let app = App::new(Settings::default())
        .at("/flaky", flaky)
        .at("/fragile", fragile);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;

    assert_eq!(get(&server, "/flaky?n=5").await, err(3001, "not ready yet"));
    assert_eq!(cache.get("flaky:5").await.unwrap(), None);
    assert_eq!(get(&server, "/flaky?n=5").await, ok(json!(5)));
    assert_eq!(get(&server, "/flaky?n=5").await, ok(json!(5)));
    assert_eq!(calls(&FLAKY_CALLS), 2);

    assert_eq!(code_of(&get(&server, "/fragile?n=6").await), common::SYS_ERROR);
    assert_eq!(cache.get("fragile:6").await.unwrap(), None);
    assert_eq!(get(&server, "/fragile?n=6").await, ok(json!(6)));
    assert_eq!(get(&server, "/fragile?n=6").await, ok(json!(6)));
    assert_eq!(calls(&FRAGILE_CALLS), 2);
}
