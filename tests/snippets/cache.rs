//! The snippet list's cache never serves a deleted snippet: not right after the delete,
//! and not to any list asked after the delete was answered while others race it.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::Value;

use crate::common;
use crate::models::NewSnippet;
use crate::site::*;

on_both_databases!(
    the_list_is_cached_until_a_write,
    lists_racing_a_delete_never_show_it_once_the_delete_answered,
);

async fn the_list_is_cached_until_a_write(backend: Backend) {
    let site = Site::start(backend).await;
    let ann = site.register("ann").await;
    let kept = site.create(&ann, &[("code", "kept")]).await;
    let gone = site.create(&ann, &[("code", "gone")]).await;
    let (kept, gone) = (kept["id"].as_i64().unwrap(), gone["id"].as_i64().unwrap());
    let owner_path = format!("/snippets/?owner={}", ann.id);
    for path in ["/snippets/", owner_path.as_str()] {
        assert_eq!(ids_of(result(&site.get(path).await)), [kept, gone]);
    }

    // A row written around the App does not show: the pages come from the cache.
    let db = site.db().await;
    let new = NewSnippet {
        title: "around".into(),
        code: "around the app".into(),
        linenos: false,
        language: "python".into(),
        style: "InspiredGitHub".into(),
    };
    let around = db.create_snippet(ann.id, &new, "<p>around</p>").await.unwrap().id;
    for path in ["/snippets/", owner_path.as_str()] {
        let cached = site.get(path).await;
        assert_eq!(ids_of(result(&cached)), [kept, gone], "{path} is cached");
        assert_eq!(result(&cached)["count"], 2);
    }

    // A delete through the App: the very next lists are read again.
    let deleted = site
        .send_form(Some(&ann), Method::DELETE, &format!("/snippets/{gone}/"), &[])
        .await;
    assert_eq!(deleted.json, common::ok(Value::Null));
    for path in ["/snippets/", owner_path.as_str()] {
        let fresh = site.get(path).await;
        assert_eq!(ids_of(result(&fresh)), [kept, around], "{path}");
        assert_eq!(result(&fresh)["count"], 2);
    }
    // So are they after a change and after a create.
    let patched = site
        .send_form(
            Some(&ann),
            Method::PATCH,
            &format!("/snippets/{kept}/"),
            &[("title", "renamed")],
        )
        .await;
    assert_eq!(result(&patched)["title"], "renamed");
    let list = site.get("/snippets/").await;
    assert_eq!(result(&list)["results"][0]["title"], "renamed");
    let created = site.create(&ann, &[("code", "new")]).await;
    let list = site.get("/snippets/").await;
    assert_eq!(
        ids_of(result(&list)),
        [kept, around, created["id"].as_i64().unwrap()]
    );
    // Again, a delete around the App is not seen until the next write through it.
    db.delete_snippet(around).await.unwrap();
    let list = site.get("/snippets/").await;
    assert_eq!(result(&list)["count"], 3, "still cached");
}

async fn lists_racing_a_delete_never_show_it_once_the_delete_answered(backend: Backend) {
    const ROUNDS: usize = 6;
    const LISTERS: usize = 4;
    const CHECKS_AFTER: usize = 4;
    let site = Site::start(backend).await;
    let ann = site.register("ann").await;
    for i in 0..5 {
        site.create(&ann, &[("code", &format!("x = {i}"))]).await;
    }
    let lists = [
        "/snippets/".to_owned(),
        format!("/snippets/?owner={}", ann.id),
        "/snippets/?page_size=100".to_owned(),
        "/snippets/?page=1&page_size=50".to_owned(),
    ];
    let checked = AtomicUsize::new(0);
    for round in 0..ROUNDS {
        let victim = site.create(&ann, &[("code", "doomed")]).await["id"]
            .as_i64()
            .unwrap();
        for path in &lists {
            assert!(ids_of(result(&site.get(path).await)).contains(&victim), "{path}");
        }
        let answered = AtomicBool::new(false);
        let lister = |n: usize| {
            let (answered, checked, path) = (&answered, &checked, &lists[n % lists.len()]);
            let site = &site;
            async move {
                let mut after = 0;
                while after < CHECKS_AFTER {
                    // Sent after the delete's answer arrived: must not show it.
                    let sent_after = answered.load(Ordering::SeqCst);
                    let answer = site.get(path).await;
                    let ids = ids_of(result(&answer));
                    if sent_after {
                        assert!(
                            !ids.contains(&victim),
                            "round {round}: {path} shows {victim} after its delete was answered"
                        );
                        after += 1;
                        checked.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        };
        let delete = async {
            let answer = site
                .send_form(Some(&ann), Method::DELETE, &format!("/snippets/{victim}/"), &[])
                .await;
            assert_eq!(answer.json, common::ok(Value::Null));
            answered.store(true, Ordering::SeqCst);
        };
        let listers = join_all((0..LISTERS).map(lister));
        futures_util::future::join(listers, delete).await;
    }
    assert_eq!(checked.load(Ordering::SeqCst), ROUNDS * LISTERS * CHECKS_AFTER);
    assert_eq!(result(&site.get("/snippets/").await)["count"], 5);
}
