//! The demo's note store (`/note_set`, `/note_get`, `/note_list`) is bounded (issue 12, D8): past its
//! bound it forgets the notes written longest ago, and their cached reads with them.
//!
//! A file of its own: the store is one per process, and the flood here would forget the
//! notes of other tests running beside it.

mod common;

#[path = "../examples/demo/endpoints.rs"]
mod endpoints;

use common::ok;
use serde_json::{json, Value};

#[tokio::test]
async fn the_demo_note_store_forgets_the_oldest_notes_past_its_bound() {
    let server = common::serve(endpoints::app(common::settings(""))).await;
    let get_note = |name: &str| {
        let request = server
            .client
            .get(server.url("/note_get"))
            .query(&[("name", name)]);
        async move { common::send(request).await.json }
    };
    let set_note = |name: String, text: String| {
        let request = server
            .client
            .post(server.url("/note_set"))
            .json(&json!({"name": name, "text": text}));
        async move { common::send(request).await.json }
    };

    assert_eq!(set_note("first".into(), "keep me".into()).await, ok(json!(0)));
    assert_eq!(set_note("second".into(), "and me".into()).await, ok(json!(0)));
    // `/note_list` pages through them by name (DESIGN §15).
    let list = server.get_json("/note_list?page_size=1&q=x").await;
    assert_eq!(
        list,
        ok(json!({
            "count": 2,
            "next": format!("{}/note_list?q=x&page=2&page_size=1", server.base),
            "previous": null,
            "results": [{"name": "first", "text": "keep me"}],
        }))
    );
    let past = server.get_json("/note_list?page=3").await;
    assert_eq!(past["result"]["results"], json!([]));
    assert_eq!(
        past["result"]["previous"],
        format!("{}/note_list?page=1", server.base)
    );
    // Read, so that its answer is cached too.
    assert_eq!(get_note("first").await, ok(json!("keep me")));

    // 64 KiB per note (a long name and 4096 characters of text), 160 notes: 10 MiB.
    for n in 0..160 {
        let name = format!("{n:06}-{}", "n".repeat(60 * 1024));
        assert_eq!(set_note(name, "t".repeat(4096)).await, ok(json!(0)), "note {n}");
    }
    // The oldest note is gone, its cached read too; the newest is there.
    assert_eq!(get_note("first").await, ok(Value::Null));
    let newest = format!("{:06}-{}", 159, "n".repeat(60 * 1024));
    assert_eq!(get_note(&newest).await, ok(json!("t".repeat(4096))));

    // A note written again is as new as any.
    assert_eq!(set_note("first".into(), "back".into()).await, ok(json!(1)));
    assert_eq!(get_note("first").await, ok(json!("back")));
}
