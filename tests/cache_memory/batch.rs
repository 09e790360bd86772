//! `#[cache(batch = true)]`: each list element or map value under its own key.

use super::*;

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
