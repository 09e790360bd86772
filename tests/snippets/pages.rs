//! The lists a page at a time: `next` links walked to the end and `previous` back,
//! sizes, pages past the end, and `owner=`.

use serde_json::Value;

use crate::common;
use crate::site::*;

on_both_databases!(
    pages_link_from_the_first_to_the_last,
    owner_keeps_one_users_snippets,
    users_come_in_pages_too,
);

/// `ann` and `bob` with 23 snippets between them, alternating, oldest first: their ids.
async fn twenty_three(site: &Site) -> (User, User, Vec<i64>) {
    let ann = site.register("ann").await;
    let bob = site.register("bob").await;
    let mut ids = Vec::new();
    for i in 0..23 {
        let owner = if i % 3 == 0 { &bob } else { &ann };
        let title = format!("s{i}");
        let snippet = site.create(owner, &[("title", &title), ("code", "x = 1")]).await;
        ids.push(snippet["id"].as_i64().unwrap());
    }
    (ann, bob, ids)
}

async fn pages_link_from_the_first_to_the_last(backend: Backend) {
    let site = Site::start(backend).await;
    let (_, _, ids) = twenty_three(&site).await;

    // Ten a page by default: 10, 10, 3.
    assert_eq!(site.walk("/snippets/").await, ids);
    let first = site.get("/snippets/").await;
    let first = result(&first);
    assert_eq!(ids_of(first), ids[..10]);
    let base = site.base();
    assert_eq!(first["next"], format!("{base}/snippets/?page=2"));

    for size in [1, 4, 7, 23, 100] {
        let walked = site.walk(&format!("/snippets/?page_size={size}")).await;
        assert_eq!(walked, ids, "page_size={size}");
    }
    // The last page of 5 a page: 3 items, no next, previous the fourth.
    let last = site.get("/snippets/?page_size=5&page=5").await;
    let last = result(&last);
    assert_eq!(ids_of(last), ids[20..]);
    assert_eq!(last["next"], Value::Null);
    assert_eq!(last["previous"], format!("{base}/snippets/?page=4&page_size=5"));
    // Past the end: nothing, and previous is the last page.
    let past = site.get("/snippets/?page_size=5&page=9").await;
    let past = result(&past);
    assert_eq!((ids_of(past).len(), &past["count"]), (0, &serde_json::json!(23)));
    assert_eq!(past["previous"], format!("{base}/snippets/?page=5&page_size=5"));
    // Too large a size is the largest.
    let clamped = site.get("/snippets/?page_size=1000").await;
    assert_eq!(ids_of(result(&clamped)), ids);

    for bad in ["page=0", "page=-1", "page=x", "page_size=0", "page_size=x"] {
        let answer = site.get(&format!("/snippets/?{bad}")).await;
        assert_eq!(code(&answer), BAD_PARAMETER, "{bad}");
    }
}

async fn owner_keeps_one_users_snippets(backend: Backend) {
    let site = Site::start(backend).await;
    let (ann, bob, ids) = twenty_three(&site).await;
    let bobs: Vec<i64> = ids.iter().step_by(3).copied().collect();
    let anns: Vec<i64> = ids.iter().copied().filter(|id| !bobs.contains(id)).collect();
    assert_eq!((anns.len(), bobs.len()), (15, 8));

    assert_eq!(
        site.walk(&format!("/snippets/?owner={}&page_size=4", ann.id))
            .await,
        anns
    );
    assert_eq!(
        site.walk(&format!("/snippets/?owner={}&page_size=4", bob.id))
            .await,
        bobs
    );
    // The links keep the filter.
    let first = site
        .get(&format!("/snippets/?owner={}&page_size=4", bob.id))
        .await;
    let next = result(&first)["next"].as_str().unwrap();
    assert!(next.contains(&format!("owner={}", bob.id)), "{next}");
    let answer = common::send(site.server.client.get(next)).await;
    assert!(result(&answer)["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|snippet| snippet["owner"] == "bob"));

    // The user's `snippets` link is that list.
    let user = site.get(&format!("/users/{}/", ann.id)).await;
    let link = result(&user)["snippets"].as_str().unwrap();
    let answer = common::send(site.server.client.get(link)).await;
    assert_eq!(result(&answer)["count"], 15);

    let nobody = site.get(&format!("/snippets/?owner={}", bob.id + 100)).await;
    assert_eq!(
        (ids_of(result(&nobody)).len(), &result(&nobody)["count"]),
        (0, &serde_json::json!(0))
    );
    let not_a_number = site.get("/snippets/?owner=ann").await;
    assert_eq!(code(&not_a_number), BAD_PARAMETER_TYPE);
}

async fn users_come_in_pages_too(backend: Backend) {
    let site = Site::start(backend).await;
    let mut ids = Vec::new();
    for name in ["u1", "u2", "u3", "u4", "u5"] {
        ids.push(site.register(name).await.id);
    }
    let mut walked = Vec::new();
    let mut next = Some(site.server.url("/users/?page_size=2"));
    while let Some(url) = next {
        let answer = common::send(site.server.client.get(url)).await;
        let page = result(&answer);
        assert_eq!(page["count"], 5);
        walked.extend(ids_of(page));
        next = page["next"].as_str().map(str::to_owned);
    }
    assert_eq!(walked, ids);
    let past = site.get("/users/?page=4&page_size=2").await;
    assert_eq!(ids_of(result(&past)).len(), 0);
}
