//! Invalidation: `Cache::invalidate`, `delete` and `delete_pattern` remove entries.

use super::*;

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

/// The price a slow read sees: read at the start of its computation.
static PRICE: AtomicUsize = AtomicUsize::new(1);

/// Reads the price, then takes a while: a write and its invalidation can come in
/// between.
#[apiview]
#[cache(key = "price", expire = 60)]
async fn slow_price() -> usize {
    let price = PRICE.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    price
}

/// A result computed before an invalidation and finished after it is answered but not
/// stored: it was computed from what the invalidation replaced. It used to be stored,
/// and the old price was served for the rest of the minute.
#[tokio::test]
async fn a_result_computed_across_an_invalidation_is_not_stored() {
    let app = App::new(Settings::default()).at("/price", slow_price);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    let reading = get(&server, "/price");
    let writing = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        PRICE.store(2, Ordering::SeqCst);
        cache.invalidate("price", &[]).await.unwrap()
    };
    let (read, _) = tokio::join!(reading, writing);
    assert_eq!(read, ok(json!(1)), "the read began before the write");
    assert_eq!(
        get(&server, "/price").await,
        ok(json!(2)),
        "the old price was stored"
    );
}

static SLOW_TEA_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "tea:{cup}", expire = 60)]
async fn slow_tea(cup: u32) -> u32 {
    count(&SLOW_TEA_CALLS);
    tokio::time::sleep(Duration::from_millis(300)).await;
    cup
}

/// An invalidation of another key does not keep a result out of the cache (unless
/// the two keys share one of the 64 stripes the counts are kept in, which the test
/// avoids by trying other keys).
#[tokio::test]
async fn an_invalidation_of_another_key_does_not_keep_a_result_out() {
    let app = App::new(Settings::default()).at("/tea", slow_tea);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    let reading = get(&server, "/tea?cup=1");
    let writing = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        cache.delete("coffee:1").await.unwrap()
    };
    let (read, _) = tokio::join!(reading, writing);
    assert_eq!(read, ok(json!(1)));
    let before = calls(&SLOW_TEA_CALLS);
    assert_eq!(get(&server, "/tea?cup=1").await, ok(json!(1)));
    // Either stored (no new call), or the two keys share a stripe: then it is the one
    // case the stripes allow, and a pattern-free second try with another key settles it.
    if calls(&SLOW_TEA_CALLS) != before {
        let reading = get(&server, "/tea?cup=2");
        let writing = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            cache.delete("coffee:2").await.unwrap()
        };
        tokio::join!(reading, writing);
        let before = calls(&SLOW_TEA_CALLS);
        get(&server, "/tea?cup=2").await;
        assert_eq!(
            calls(&SLOW_TEA_CALLS),
            before,
            "a result was kept out by another key's invalidation"
        );
    }
}
