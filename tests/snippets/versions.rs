//! The two versions, asked with `Accept: application/json; version=..`: v2 adds the
//! highlighted page to a snippet, in the detail and in the list, cached or not.

use reqwest::Method;

use crate::common;
use crate::site::*;

on_both_databases!(v2_adds_the_highlighted_page_and_v1_is_the_default);

async fn v2_adds_the_highlighted_page_and_v1_is_the_default(backend: Backend) {
    let site = Site::start(backend).await;
    let ann = site.register("ann").await;
    let created = site.create(&ann, &[("title", "t"), ("code", "x = 1")]).await;
    assert!(created.get("highlighted").is_none(), "v1 by default: {created}");
    let path = snippet_path(&created);
    let page = site
        .server
        .client
        .get(created["highlight"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    let v1 = common::send(
        site.anonymous(Method::GET, &path)
            .header("accept", "application/json; version=v1"),
    )
    .await;
    assert_eq!(*result(&v1), created);
    let v2 = site.get_v2(&path).await;
    let v2 = result(&v2);
    assert_eq!(v2["highlighted"], page);
    // Only that field differs.
    let mut without = v2.clone();
    without.as_object_mut().unwrap().remove("highlighted");
    assert_eq!(without, created);

    // The list: v1 fills the cache, v2 is served from it with its field all the same.
    let list_v1 = site.get("/snippets/").await;
    assert!(result(&list_v1)["results"][0].get("highlighted").is_none());
    let list_v2 = site.get_v2("/snippets/").await;
    assert_eq!(result(&list_v2)["results"][0]["highlighted"], page);
    let list_v1_again = site.get("/snippets/").await;
    assert_eq!(result(&list_v1_again), result(&list_v1));

    // A create answered in v2 carries the page of what it stored.
    let request = site
        .as_user(&ann, Method::POST, "/snippets/")
        .header("accept", V2)
        .form(&[("title", "second"), ("code", "y = 2")]);
    let answer = common::send(request).await;
    let highlighted = result(&answer)["highlighted"].as_str().unwrap();
    assert!(highlighted.contains("<title>second</title>"), "{highlighted}");

    let unknown = common::send(
        site.anonymous(Method::GET, &path)
            .header("accept", "application/json; version=v3"),
    )
    .await;
    assert_eq!(code(&unknown), BAD_PARAMETER);
    assert!(
        message(&unknown).starts_with("Bad parameter: version."),
        "{}",
        unknown.json
    );
}
