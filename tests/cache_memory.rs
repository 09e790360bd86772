//! `#[cache]` on the embedded `memory://` backend, over real HTTP (DESIGN §5, issue 3):
//! hits and misses, expiry, the disable header, the options, errors, batch, escaping,
//! invalidation, `App::cache_entries`, single flight, the phase order and values in
//! the cache that are not JSON (refused when written).
//!
//! Each test has its own App (so its own memory backend) and its own endpoints with
//! their own call counters, so the tests run in parallel.

mod common;

#[path = "../examples/demo/endpoints.rs"]
mod endpoints;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use apiview::app::CacheEntry;
use apiview::prelude::*;
use common::{code_of, err, ok, TestServer};
use serde_json::{json, Value};

const MINUTE: Duration = Duration::from_secs(60);

fn calls(counter: &AtomicUsize) -> usize {
    counter.load(Ordering::SeqCst)
}

/// One more call; the number of this call (1 for the first).
fn count(counter: &AtomicUsize) -> usize {
    counter.fetch_add(1, Ordering::SeqCst) + 1
}

async fn get(server: &TestServer, path: &str) -> Value {
    common::send(server.client.get(server.url(path))).await.json
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

// ---- hit and miss ------------------------------------------------------------

static ADD_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "add:{a}:{b}", expire = 60)]
fn add(a: i64, b: i64) -> i64 {
    count(&ADD_CALLS);
    a + b
}

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

static DEFAULT_EXPIRE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "default_expire:{n}")]
fn default_expire(n: i64) -> i64 {
    count(&DEFAULT_EXPIRE_CALLS);
    n
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

// ---- the disable header --------------------------------------------------------

static STAMP_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Answers the name and the number of the call, so a fresh answer differs.
#[apiview]
#[cache(key = "stamp:{name}", expire = 60)]
fn stamp(name: String) -> String {
    format!("{name}-{}", count(&STAMP_CALLS))
}

#[tokio::test]
async fn disable_cache_header_skips_the_read_but_still_writes() {
    // Honoured for a caller with one of settings' keys (see the issue 12 tests below).
    let app = App::new(common::settings("aclkey = \"cache-admin\"")).at("/stamp", stamp);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;

    assert_eq!(get(&server, "/stamp?name=x").await, ok(json!("x-1")));
    assert_eq!(get(&server, "/stamp?name=x").await, ok(json!("x-1")));
    assert_eq!(
        get_with(
            &server,
            "/stamp?name=x&aclkey=cache-admin",
            ("Disable-Cache", "true")
        )
        .await,
        ok(json!("x-2"))
    );
    assert_eq!(cache.get("stamp:x").await.unwrap(), Some(json!("x-2")));
    // The next plain call hits the value the disabled call wrote.
    assert_eq!(get(&server, "/stamp?name=x").await, ok(json!("x-2")));
    assert_eq!(
        get_with(
            &server,
            "/stamp?name=x&aclkey=cache-admin",
            ("Disable-Cache", "false")
        )
        .await,
        ok(json!("x-2"))
    );
    assert_eq!(calls(&STAMP_CALLS), 2);
}

static CUSTOM_HEADER_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "custom_header:{name}", expire = 60)]
fn custom_header(name: String) -> String {
    format!("{name}-{}", count(&CUSTOM_HEADER_CALLS))
}

#[tokio::test]
async fn the_disable_header_name_comes_from_settings() {
    let settings =
        common::settings("aclkey = \"cache-admin\"\n[cache]\ndisable_cache_header = \"X-Skip-Cache\"");
    let server = common::serve(App::new(settings).at("/custom_header", custom_header)).await;

    assert_eq!(get(&server, "/custom_header?name=y").await, ok(json!("y-1")));
    // The default name means nothing here.
    assert_eq!(
        get_with(
            &server,
            "/custom_header?name=y&aclkey=cache-admin",
            ("Disable-Cache", "true")
        )
        .await,
        ok(json!("y-1"))
    );
    assert_eq!(
        get_with(
            &server,
            "/custom_header?name=y&aclkey=cache-admin",
            ("X-Skip-Cache", "true")
        )
        .await,
        ok(json!("y-2"))
    );
    assert_eq!(get(&server, "/custom_header?name=y").await, ok(json!("y-2")));
    assert_eq!(calls(&CUSTOM_HEADER_CALLS), 2);
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

// ---- batch -----------------------------------------------------------------------

/// Items of a shop: numeric ids as numbers, others as strings; `-` gives an item
/// without an id.
#[apiview]
#[cache(key = "item:{shop}:{id}", expire = 60, batch = true)]
fn items(shop: i64, ids: String) -> Vec<Value> {
    let _ = shop;
    shop_items(&ids)
}

fn shop_items(ids: &str) -> Vec<Value> {
    ids.split(',')
        .map(|id| match id.parse::<i64>() {
            Ok(number) => json!({"id": number, "name": format!("item {id}")}),
            Err(_) if id == "-" => json!({"name": "anonymous"}),
            Err(_) => json!({"id": id, "name": format!("item {id}")}),
        })
        .collect()
}

// Regression: a batch key naming a non-`Copy` parameter once read it after the call moved it.
#[apiview]
#[cache(key = "named_item:{shop}:{id}", expire = 60, batch = true)]
fn named_items(shop: String, ids: String) -> Vec<Value> {
    let _ = shop;
    shop_items(&ids)
}

#[apiview]
#[cache(key = "price:{__key}", expire = 60, batch = true)]
fn prices() -> BTreeMap<String, i64> {
    BTreeMap::from([("apple".to_owned(), 3), ("pear:green".to_owned(), 5)])
}

#[tokio::test]
async fn batch_stores_each_list_element_under_its_own_key() {
    let app = App::new(Settings::default()).at("/items", items);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;

    let answer = get(&server, "/items?shop=1&ids=1,2,a:b,-").await;
    assert_eq!(
        answer,
        ok(json!([
            {"id": 1, "name": "item 1"},
            {"id": 2, "name": "item 2"},
            {"id": "a:b", "name": "item a:b"},
            {"name": "anonymous"},
        ]))
    );
    assert_eq!(
        cache.get("item:1:1").await.unwrap(),
        Some(json!({"id": 1, "name": "item 1"}))
    );
    assert_eq!(
        cache.get("item:1:2").await.unwrap(),
        Some(json!({"id": 2, "name": "item 2"}))
    );
    // Element fields are escaped like parameters.
    assert_eq!(
        cache.get("item:1:a%3Ab").await.unwrap(),
        Some(json!({"id": "a:b", "name": "item a:b"}))
    );
    assert_eq!(cache.get("item:1:3").await.unwrap(), None);
    // The element without an id is not cached: only three entries.
    assert_eq!(cache.delete_pattern("item:1:*").await.unwrap(), 3);
    assert_eq!(cache.delete_pattern("item:*").await.unwrap(), 0);
}

#[tokio::test]
async fn batch_escapes_a_string_parameter_in_the_key() {
    let app = App::new(Settings::default()).at("/named_items", named_items);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    get(&server, "/named_items?shop=s:2&ids=7").await;
    assert_eq!(
        cache.get("named_item:s%3A2:7").await.unwrap(),
        Some(json!({"id": 7, "name": "item 7"}))
    );
    assert_eq!(cache.get("named_item:s:2:7").await.unwrap(), None);
}

#[tokio::test]
async fn batch_stores_each_map_value_under_its_key() {
    let app = App::new(Settings::default()).at("/prices", prices);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    assert_eq!(
        get(&server, "/prices").await,
        ok(json!({"apple": 3, "pear:green": 5}))
    );
    assert_eq!(cache.get("price:apple").await.unwrap(), Some(json!(3)));
    assert_eq!(cache.get("price:pear%3Agreen").await.unwrap(), Some(json!(5)));
    assert_eq!(cache.get("price:pear:green").await.unwrap(), None);
}

// ---- escaping ----------------------------------------------------------------------

static PAIR_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "x:{a}:{b}", expire = 60)]
fn pair(a: String, b: String) -> String {
    count(&PAIR_CALLS);
    format!("pair {a}|{b}")
}

static ONE_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Unescaped, `one("1:2")` would fill `x:1:2`, the key of `pair("1", "2")`.
#[apiview]
#[cache(key = "x:{a}", expire = 60)]
fn one(a: String) -> String {
    count(&ONE_CALLS);
    format!("one {a}")
}

/// Pairs whose keys would collide, glob or break lines if values were not escaped.
fn tricky_pairs() -> Vec<(String, String)> {
    let long = "x".repeat(10 * 1024);
    let long_other = format!("{}y", "x".repeat(10 * 1024 - 1));
    let digest_lookalike = apiview::cache::key_part(&long).unwrap();
    let pairs: Vec<(&str, &str)> = vec![
        ("1:2", "3"),
        ("1", "2:3"),
        ("1", "2"),
        ("*", "*"),
        ("1", "*"),
        ("?", "?"),
        ("[", "]"),
        ("[a-z]", "b"),
        ("a\nb", "c"),
        ("a", "\nb\n"),
        ("a\r\nSET x y", "z"),
        (":", "x"),
        ("%3A", "x"),
        ("%", "3A:x"),
        ("~", "x"),
        ("{a}", "{b}"),
        ("é", "日本"),
        (" ", "\t"),
    ];
    let mut pairs: Vec<(String, String)> = pairs
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
    pairs.push((long.clone(), "1".to_owned()));
    pairs.push((long_other, "1".to_owned()));
    pairs.push(("1".to_owned(), long));
    pairs.push((digest_lookalike, "1".to_owned()));
    pairs
}

#[tokio::test]
async fn escaped_values_never_share_a_key() {
    let app = App::new(Settings::default()).at("/pair", pair).at("/one", one);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    let pairs = tricky_pairs();

    for (round, expected_calls) in [(1, pairs.len()), (2, pairs.len())] {
        for (a, b) in &pairs {
            let answer = post_json(&server, "/pair", json!({"a": a, "b": b})).await;
            assert_eq!(
                answer,
                ok(json!(format!("pair {a}|{b}"))),
                "round {round}: a = {a:?}, b = {b:?}"
            );
        }
        // Every pair is its own miss in round 1 and its own hit in round 2.
        assert_eq!(calls(&PAIR_CALLS), expected_calls, "round {round}");
    }

    // Another endpoint's values cannot forge `pair`'s keys.
    for a in ["1:2", "1:2:3", "*", "1:*", "?:?"] {
        assert_eq!(
            post_json(&server, "/one", json!({"a": a})).await,
            ok(json!(format!("one {a}")))
        );
    }
    assert_eq!(calls(&ONE_CALLS), 5);

    // Invalidating with glob characters as values removes only those literal entries.
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
    // A value with `:` names its own entry only: not ("1", "2:3").
    assert_eq!(
        cache
            .invalidate("x:{a}:{b}", &[("a", &"1:2"), ("b", &"3")])
            .await
            .unwrap(),
        1
    );
    let before = calls(&PAIR_CALLS);
    for (a, b) in &pairs {
        post_json(&server, "/pair", json!({"a": a, "b": b})).await;
    }
    assert_eq!(calls(&PAIR_CALLS), before + 3);
}

static OPTIONAL_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "optional:{v}", expire = 60)]
fn optional(v: Option<String>) -> Option<String> {
    count(&OPTIONAL_CALLS);
    v
}

#[tokio::test]
async fn a_missing_value_an_empty_one_and_a_tilde_are_different_keys() {
    let server = common::serve(App::new(Settings::default()).at("/optional", optional)).await;
    for round in 1..=2 {
        assert_eq!(post_json(&server, "/optional", json!({})).await, ok(Value::Null));
        assert_eq!(
            post_json(&server, "/optional", json!({"v": ""})).await,
            ok(json!(""))
        );
        assert_eq!(
            post_json(&server, "/optional", json!({"v": "~"})).await,
            ok(json!("~"))
        );
        assert_eq!(calls(&OPTIONAL_CALLS), 3, "round {round}");
    }
}

static TYPED_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Tells a JSON string from the value its text spells.
#[apiview]
#[cache(key = "typed:{v}", expire = 60)]
fn typed(v: Value) -> String {
    count(&TYPED_CALLS);
    match v {
        Value::String(text) => format!("the string {text:?}"),
        other => format!("the value {other}"),
    }
}

#[tokio::test]
async fn a_json_value_and_a_string_of_its_text_are_different_keys() {
    let server = common::serve(App::new(Settings::default()).at("/typed", typed)).await;
    let values = [
        json!(42),
        json!("42"),
        json!(true),
        json!("true"),
        json!({"x": 1}),
        json!("{\"x\":1}"),
        json!([1]),
        json!("[1]"),
    ];
    for value in &values {
        let expected = match value {
            Value::String(text) => format!("the string {text:?}"),
            other => format!("the value {other}"),
        };
        assert_eq!(
            post_json(&server, "/typed", json!({"v": value})).await,
            ok(json!(expected)),
            "v = {value}"
        );
    }
    assert_eq!(calls(&TYPED_CALLS), values.len());
}

// ---- invalidation -------------------------------------------------------------------

static INV_ADD_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "add:{a}:{b}", expire = 60)]
fn inv_add(a: i64, b: i64) -> i64 {
    count(&INV_ADD_CALLS);
    a + b
}

#[tokio::test]
async fn invalidate_delete_and_delete_pattern_remove_entries() {
    let app = App::new(Settings::default()).at("/add", inv_add);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    let warm = ["a=1&b=2", "a=1&b=5", "a=2&b=2", "a=12&b=2"];
    for query in warm {
        get(&server, &format!("/add?{query}")).await;
    }
    assert_eq!(calls(&INV_ADD_CALLS), 4);

    // `add:1:*` matches a = 1, not a = 12.
    assert_eq!(cache.invalidate("add:{a}:*", &[("a", &1)]).await.unwrap(), 2);
    for query in warm {
        get(&server, &format!("/add?{query}")).await;
    }
    assert_eq!(calls(&INV_ADD_CALLS), 6, "only a = 1 was computed again");

    // A template with every value given removes that one key.
    assert_eq!(
        cache
            .invalidate("add:{a}:{b}", &[("a", &2), ("b", &2)])
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        cache
            .invalidate("add:{a}:{b}", &[("a", &2), ("b", &2)])
            .await
            .unwrap(),
        0
    );
    assert!(cache.delete("add:12:2").await.unwrap());
    assert!(!cache.delete("add:12:2").await.unwrap());
    // Placeholders without a value match anything.
    assert_eq!(cache.invalidate("add:{a}:{b}", &[("b", &5)]).await.unwrap(), 1);
    assert_eq!(cache.delete_pattern("add:*").await.unwrap(), 1);
    assert_eq!(cache.delete_pattern("add:*").await.unwrap(), 0);
    for query in warm {
        get(&server, &format!("/add?{query}")).await;
    }
    assert_eq!(calls(&INV_ADD_CALLS), 10);
}

#[tokio::test]
async fn demo_note_set_invalidates_note_get() {
    let server = common::serve(endpoints::app(Settings::default())).await;
    let name = "cache-memory-note";
    let get_note = format!("/note_get?name={name}");
    assert_eq!(get(&server, &get_note).await, ok(Value::Null));
    // `null` is cached like any value: the write must remove it.
    assert_eq!(
        post_json(&server, "/note_set", json!({"name": name, "text": "buy milk"})).await,
        ok(json!(1))
    );
    assert_eq!(get(&server, &get_note).await, ok(json!("buy milk")));
    assert_eq!(
        post_json(&server, "/note_set", json!({"name": name, "text": "buy bread"})).await,
        ok(json!(1))
    );
    assert_eq!(get(&server, &get_note).await, ok(json!("buy bread")));
    // Nothing cached for a note never read.
    assert_eq!(
        post_json(
            &server,
            "/note_set",
            json!({"name": "cache-memory-unread", "text": "x"})
        )
        .await,
        ok(json!(0))
    );
}

#[tokio::test]
async fn demo_cached_add_is_served_from_the_cache() {
    let app = endpoints::app(common::settings("aclkey = \"test-aclkey\""));
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    assert_eq!(get(&server, "/cached_add?a=1&b=2").await, ok(json!(3)));
    assert_eq!(cache.get("add:1:2").await.unwrap(), Some(json!(3)));
    cache.set("add:1:2", &99, MINUTE).await.unwrap();
    assert_eq!(get(&server, "/cached_add?a=1&b=2").await, ok(json!(99)));
    // Without the demo's aclkey the header is ignored; with it, honoured.
    assert_eq!(
        get_with(&server, "/cached_add?a=1&b=2", ("Disable-Cache", "true")).await,
        ok(json!(99))
    );
    assert_eq!(
        get_with(
            &server,
            "/cached_add?a=1&b=2&aclkey=test-aclkey",
            ("Disable-Cache", "true")
        )
        .await,
        ok(json!(3))
    );
    assert_eq!(cache.get("add:1:2").await.unwrap(), Some(json!(3)));
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

// ---- cache_entries and named backends --------------------------------------------------

static OTHER_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "other:{n}", expire = 30, name = "other")]
fn on_other(n: i64) -> i64 {
    count(&OTHER_CALLS);
    n
}

#[apiview]
fn uncached(n: i64) -> i64 {
    n
}

#[tokio::test]
async fn cache_entries_lists_every_cached_endpoint() {
    let settings = common::settings(
        "[cache]\ndefault_expire = 77\nbackends = { default = \"memory://\", other = \"memory://other\" }",
    );
    let app = App::new(settings)
        .at("/add", add)
        .at("/uncached", uncached)
        .at("/default_expire", default_expire)
        .at("/items", items)
        .at("/on_other", on_other);
    let entry = |path: &str, endpoint, template, backend, url: &str, expire, batch| CacheEntry {
        path: path.to_owned(),
        endpoint,
        template,
        backend,
        url: url.to_owned(),
        expire,
        batch,
    };
    assert_eq!(
        app.cache_entries(),
        vec![
            entry("/add", "add", "add:{a}:{b}", "default", "memory://", 60, false),
            entry(
                "/default_expire",
                "default_expire",
                "default_expire:{n}",
                "default",
                "memory://",
                77,
                false
            ),
            entry(
                "/items",
                "items",
                "item:{shop}:{id}",
                "default",
                "memory://",
                60,
                true
            ),
            entry(
                "/on_other",
                "on_other",
                "other:{n}",
                "other",
                "memory://other",
                30,
                false
            ),
        ]
    );
}

#[tokio::test]
async fn named_backends_are_separate_caches() {
    let settings = common::settings("[cache]\nbackends = { default = \"memory://\", other = \"memory://\" }");
    let app = App::new(settings).at("/on_other", on_other);
    let (default, other) = (app.cache("default").unwrap(), app.cache("other").unwrap());
    assert!(app.cache("nowhere").is_none());
    let server = common::serve(app).await;
    assert_eq!(get(&server, "/on_other?n=4").await, ok(json!(4)));
    assert_eq!(get(&server, "/on_other?n=4").await, ok(json!(4)));
    assert_eq!(calls(&OTHER_CALLS), 1);
    assert_eq!(other.get("other:4").await.unwrap(), Some(json!(4)));
    assert_eq!(default.get("other:4").await.unwrap(), None);
}

#[apiview]
#[cache(key = "elsewhere:{n}", name = "nowhere")]
fn elsewhere(n: i64) -> i64 {
    n
}

#[test]
fn a_backend_name_missing_from_settings_fails_at_start_up() {
    let err = App::new(Settings::default())
        .at("/elsewhere", elsewhere)
        .try_into_endpoint()
        .err()
        .expect("an App whose endpoint caches in an unconfigured backend");
    let message = err.to_string();
    assert!(
        message.contains("nowhere") && message.contains("elsewhere"),
        "{message}"
    );
}

// ---- single flight ----------------------------------------------------------------------

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

// ---- phase order: the cache is read after check_aclkey and the validators -----------------

static SECRET_CALLS: AtomicUsize = AtomicUsize::new(0);

/// `#[cache]` written first on purpose: in django-apiview this order would serve
/// cached data to callers without a key.
#[apiview]
#[cache(key = "secret:{id}", expire = 60)]
#[check_aclkey(aclkey = "good-key")]
#[between(id, 0, 100)]
fn secret(id: i64) -> String {
    count(&SECRET_CALLS);
    format!("secret {id}")
}

#[tokio::test]
async fn a_cached_answer_is_never_served_before_aclkey_and_validators() {
    let app = App::new(Settings::default()).at("/secret", secret);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;

    assert_eq!(
        get_with(&server, "/secret?id=1", ("aclkey", "good-key")).await,
        ok(json!("secret 1"))
    );
    assert_eq!(
        code_of(&get_with(&server, "/secret?id=1", ("aclkey", "bad-key")).await),
        common::APP_AUTH_FAILED
    );
    assert_eq!(
        code_of(&get(&server, "/secret?id=1").await),
        common::MISSING_PARAMETER
    );
    assert_eq!(
        get_with(&server, "/secret?id=1", ("aclkey", "good-key")).await,
        ok(json!("secret 1"))
    );
    assert_eq!(calls(&SECRET_CALLS), 1);

    // An entry for parameters the validators refuse is never reached.
    cache.set("secret:500", &"planted", MINUTE).await.unwrap();
    assert_eq!(
        code_of(&get_with(&server, "/secret?id=500", ("aclkey", "good-key")).await),
        common::BAD_PARAMETER
    );
    assert_eq!(calls(&SECRET_CALLS), 1);
}

// ---- values in the cache that are not JSON ------------------------------------------------
// The memory backend refuses them when they are written, so that no hit needs checking;
// a Redis value written by someone else is checked on every hit (tests/cache_redis.rs).

static TOLERANT_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "garbage:{n}", expire = 60)]
fn tolerant(n: i64) -> i64 {
    count(&TOLERANT_CALLS);
    n
}

#[tokio::test]
async fn the_memory_backend_refuses_a_value_that_is_not_json() {
    let app = App::new(Settings::default()).at("/tolerant", tolerant);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    let garbage: [&[u8]; 5] = [b"not json", b"{\"a\":", b"\xff\xfe\x00", b"", b"1 2"];
    for (n, value) in garbage.iter().enumerate() {
        let key = format!("garbage:{n}");
        let refused = cache
            .backend()
            .set(&key, value.to_vec().into(), MINUTE)
            .await
            .expect_err("the memory backend stored a value that is not JSON");
        assert!(refused.to_string().contains(&key), "{refused}");
        assert_eq!(cache.get(&key).await.unwrap(), None);
        // So the endpoint computes, and caches its own result.
        assert_eq!(get(&server, &format!("/tolerant?n={n}")).await, ok(json!(n)));
        assert_eq!(calls(&TOLERANT_CALLS), n + 1);
        assert_eq!(cache.get(&key).await.unwrap(), Some(json!(n)));
    }
    assert_eq!(get(&server, "/tolerant?n=0").await, ok(json!(0)));
    assert_eq!(calls(&TOLERANT_CALLS), garbage.len());
}

// ---- issue 12: keys that collided (D4) -------------------------------------------------

static CLASSIFY_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Names what it was given, so an answer computed for another value shows.
#[apiview]
#[cache(key = "cls:{x}", expire = 60)]
fn classify(x: Option<f64>) -> String {
    count(&CLASSIFY_CALLS);
    match x {
        None => "absent".to_owned(),
        Some(x) if x.is_nan() => "not a number".to_owned(),
        Some(x) => format!("{x:?}"),
    }
}

static WIDE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "big:{n}", expire = 60)]
fn wide(n: Option<i128>) -> String {
    count(&WIDE_CALLS);
    n.map_or_else(|| "absent".to_owned(), |n| n.to_string())
}

#[tokio::test]
async fn non_finite_floats_wide_integers_and_absent_values_never_share_a_key() {
    let server = common::serve(
        App::new(Settings::default())
            .at("/classify", classify)
            .at("/wide", wide),
    )
    .await;
    // `1e999` is infinity: the same value as `inf`, so it may share inf's entry.
    let floats = [
        ("?x=inf", "inf"),
        ("?x=NaN", "not a number"),
        ("?x=-inf", "-inf"),
        ("", "absent"),
        ("?x=1e999", "inf"),
        ("?x=-1e999", "-inf"),
        ("?x=0", "0.0"),
        ("?x=-0", "-0.0"),
    ];
    for round in 1..=2 {
        for (query, expected) in floats {
            assert_eq!(
                get(&server, &format!("/classify{query}")).await,
                ok(json!(expected)),
                "round {round}: {query:?}"
            );
        }
        assert_eq!(
            calls(&CLASSIFY_CALLS),
            6,
            "round {round}: one computation per value"
        );
    }

    let wide_values = [
        i128::MAX.to_string(),
        i128::MIN.to_string(),
        (1_i128 << 64).to_string(),
        ((1_i128 << 64) + 1).to_string(),
        (-(1_i128 << 63) - 1).to_string(),
    ];
    for round in 1..=2 {
        assert_eq!(get(&server, "/wide").await, ok(json!("absent")), "round {round}");
        for n in &wide_values {
            assert_eq!(
                get(&server, &format!("/wide?n={n}")).await,
                ok(json!(n)),
                "round {round}: n = {n}"
            );
        }
        assert_eq!(calls(&WIDE_CALLS), 1 + wide_values.len(), "round {round}");
    }
}

/// A parameter whose `Serialize` refuses texts starting with `x`.
#[derive(Debug, serde::Deserialize)]
struct Picky(String);

impl serde::Serialize for Picky {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.starts_with('x') {
            return Err(serde::ser::Error::custom("texts starting with x are not shown"));
        }
        serializer.serialize_str(&self.0)
    }
}

static PICKY_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "picky:{v}", expire = 60)]
fn picky(v: Picky) -> String {
    count(&PICKY_CALLS);
    format!("picked {}", v.0)
}

#[tokio::test]
async fn a_value_that_does_not_serialize_is_computed_without_the_cache() {
    let app = App::new(Settings::default()).at("/picky", picky);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    for (round, value) in ["x1", "x2", "x1"].into_iter().enumerate() {
        assert_eq!(
            get(&server, &format!("/picky?v={value}")).await,
            ok(json!(format!("picked {value}")))
        );
        assert_eq!(
            calls(&PICKY_CALLS),
            round + 1,
            "{value} must be computed, not looked up"
        );
    }
    assert_eq!(
        cache.delete_pattern("picky:*").await.unwrap(),
        0,
        "nothing was written"
    );
    assert_eq!(get(&server, "/picky?v=a").await, ok(json!("picked a")));
    assert_eq!(get(&server, "/picky?v=a").await, ok(json!("picked a")));
    assert_eq!(calls(&PICKY_CALLS), 4);
}
// ---- issue 12: Disable-Cache (D10) ------------------------------------------------------

static SKIP_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "skip:{name}", expire = 60)]
fn skip(name: String) -> String {
    format!("{name}-{}", count(&SKIP_CALLS))
}

#[tokio::test]
async fn disable_cache_is_ignored_for_a_caller_without_an_accepted_aclkey() {
    let settings = common::settings("aclkey = \"cache-admin\"\naclkeys = [\"cache-ops\"]");
    let server = common::serve(App::new(settings).at("/skip", skip)).await;
    assert_eq!(get(&server, "/skip?name=a").await, ok(json!("a-1")));
    let ignored = [
        server
            .client
            .get(server.url("/skip?name=a"))
            .header("Disable-Cache", "true"),
        server
            .client
            .get(server.url("/skip?name=a"))
            .header("Disable-Cache", "true")
            .header("aclkey", "wrong"),
        server
            .client
            .get(server.url("/skip?name=a&aclkey=cache-admin-not"))
            .header("Disable-Cache", "1"),
        server
            .client
            .get(server.url("/skip?name=a&aclkey="))
            .header("Disable-Cache", "true"),
    ];
    for request in ignored {
        assert_eq!(common::send(request).await.json, ok(json!("a-1")));
    }
    assert_eq!(
        calls(&SKIP_CALLS),
        1,
        "no ignored Disable-Cache may compute again"
    );

    // The settings' keys, from a header, the query or the body, are honoured.
    let honoured = [
        server
            .client
            .get(server.url("/skip?name=a"))
            .header("Disable-Cache", "true")
            .header("aclkey", "cache-admin"),
        server
            .client
            .get(server.url("/skip?name=a&aclkey=cache-ops"))
            .header("Disable-Cache", "true"),
        server
            .client
            .post(server.url("/skip"))
            .header("Disable-Cache", "true")
            .json(&json!({"name": "a", "aclkey": "cache-admin"})),
    ];
    for (n, request) in honoured.into_iter().enumerate() {
        assert_eq!(
            common::send(request).await.json,
            ok(json!(format!("a-{}", n + 2)))
        );
    }
    assert_eq!(get(&server, "/skip?name=a").await, ok(json!("a-4")));
}

#[tokio::test]
async fn disable_cache_is_ignored_when_settings_accept_no_aclkey() {
    let server = common::serve(App::new(Settings::default()).at("/skip", skip_default)).await;
    assert_eq!(get(&server, "/skip?name=b").await, ok(json!("b-1")));
    for key in ["", "x"] {
        assert_eq!(
            common::send(
                server
                    .client
                    .get(server.url("/skip?name=b"))
                    .header("Disable-Cache", "true")
                    .header("aclkey", key)
            )
            .await
            .json,
            ok(json!("b-1"))
        );
    }
}

static SKIP_DEFAULT_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "skip_default:{name}", expire = 60)]
fn skip_default(name: String) -> String {
    format!("{name}-{}", count(&SKIP_DEFAULT_CALLS))
}

static GUARDED_CALLS: AtomicUsize = AtomicUsize::new(0);

/// The endpoint's own key: a caller who passed it may skip the cache.
#[apiview]
#[check_aclkey(aclkey = "guarded-key")]
#[cache(key = "guarded:{name}", expire = 60)]
fn guarded(name: String) -> String {
    format!("{name}-{}", count(&GUARDED_CALLS))
}

#[tokio::test]
async fn disable_cache_is_honoured_for_a_caller_who_passed_check_aclkey() {
    // Settings accept no key at all: the endpoint's check is what counts.
    let server = common::serve(App::new(Settings::default()).at("/guarded", guarded)).await;
    let call = |disable: bool| {
        let request = server
            .client
            .get(server.url("/guarded?name=g"))
            .header("aclkey", "guarded-key");
        if disable {
            request.header("Disable-Cache", "true")
        } else {
            request
        }
    };
    assert_eq!(common::send(call(false)).await.json, ok(json!("g-1")));
    assert_eq!(common::send(call(false)).await.json, ok(json!("g-1")));
    assert_eq!(common::send(call(true)).await.json, ok(json!("g-2")));
    assert_eq!(common::send(call(false)).await.json, ok(json!("g-2")));
    assert_eq!(calls(&GUARDED_CALLS), 2);
}

static SLOW_SKIP_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "slow_skip:{n}", expire = 60)]
async fn slow_skip(n: i64) -> i64 {
    count(&SLOW_SKIP_CALLS);
    tokio::time::sleep(Duration::from_millis(400)).await;
    n * 10
}

#[tokio::test]
async fn ten_concurrent_misses_with_disable_cache_compute_once() {
    let settings = common::settings("aclkey = \"cache-admin\"");
    let server = common::serve(App::new(settings).at("/slow_skip", slow_skip)).await;
    // Honoured (the caller has the key) or not, concurrent misses are one flight.
    for (round, (n, aclkey)) in [(1, "cache-admin"), (2, "not-the-key")].into_iter().enumerate() {
        let requests = (0..10).map(|_| {
            common::send(
                server
                    .client
                    .get(server.url(&format!("/slow_skip?n={n}")))
                    .header("Disable-Cache", "true")
                    .header("aclkey", aclkey),
            )
        });
        for answer in futures_util::future::join_all(requests).await {
            assert_eq!(answer.json, ok(json!(n * 10)));
        }
        assert_eq!(
            calls(&SLOW_SKIP_CALLS),
            round + 1,
            "10 concurrent misses with Disable-Cache (aclkey {aclkey:?}) must run the function once"
        );
    }
}
// ---- issue 12: the memory cache is bounded by bytes (D8) --------------------------------

static BLOB_CALLS: AtomicUsize = AtomicUsize::new(0);

/// 16 KiB of text per `n`.
#[apiview]
#[cache(key = "blob:{n}", expire = 600)]
fn blob(n: u64) -> String {
    count(&BLOB_CALLS);
    format!("{n:016}").repeat(1024)
}

#[tokio::test]
async fn the_memory_cache_holds_at_most_memory_max_bytes_by_default() {
    // 4400 answers of 16 KiB: 68.75 MiB of values, past the default 64 MiB.
    const ANSWERS: u64 = 4400;
    let app = App::new(Settings::default()).at("/blob", blob);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    let base = server.base.clone();
    let client = server.client.clone();
    let writers = (0..4).map(|writer| {
        let (base, client) = (base.clone(), client.clone());
        tokio::spawn(async move {
            for n in (writer..ANSWERS).step_by(4) {
                let answer = common::send(client.get(format!("{base}/blob?n={n}"))).await;
                assert_eq!(answer.json["success"], true, "n = {n}: {}", answer.json);
            }
        })
    });
    for writer in writers {
        writer.await.unwrap();
    }
    let mut kept = 0_u64;
    for n in 0..ANSWERS {
        kept += u64::from(cache.get(&format!("blob:{n}")).await.unwrap().is_some());
    }
    let kept_bytes = kept * 16 * 1024;
    assert!(
        kept_bytes <= 64 * 1024 * 1024,
        "{kept} answers of 16 KiB kept: {kept_bytes} bytes, over 64 MiB"
    );
    assert!(
        kept >= ANSWERS / 4,
        "only {kept} answers kept: the bound is far too eager"
    );
}
