//! The demo's cached endpoints (examples/demo): `note_set` invalidates `note_get`,
//! `cached_add` is served from the cache.

use super::*;

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
