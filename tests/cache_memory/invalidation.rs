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
