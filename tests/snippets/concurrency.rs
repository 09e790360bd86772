//! Writes at once: creates lose and duplicate nothing, and of registrations of one
//! name exactly one wins.

use std::collections::BTreeSet;

use futures_util::future::join_all;

use crate::site::*;

on_both_databases!(
    concurrent_creates_lose_and_duplicate_nothing,
    one_of_concurrent_registrations_of_a_name_wins,
);

async fn concurrent_creates_lose_and_duplicate_nothing(backend: Backend) {
    const EACH: usize = 20;
    let site = Site::start(backend).await;
    let ann = site.register("ann").await;
    let bob = site.register("bob").await;
    // Interleaved, all sent at once.
    let creates = (0..2 * EACH).map(|i| {
        let user = if i % 2 == 0 { &ann } else { &bob };
        let title = format!("{}-{i}", user.name);
        let site = &site;
        async move {
            site.create(user, &[("title", &title), ("code", "print(1)")])
                .await
        }
    });
    let created = join_all(creates).await;

    let ids: BTreeSet<i64> = created.iter().map(|s| s["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 2 * EACH, "distinct ids");
    for (i, snippet) in created.iter().enumerate() {
        let owner = if i % 2 == 0 { "ann" } else { "bob" };
        assert_eq!(snippet["owner"], owner);
        assert_eq!(
            snippet["title"],
            format!("{owner}-{i}"),
            "each answer is its own row"
        );
    }

    let first = site.get("/snippets/").await;
    assert_eq!(result(&first)["count"], 2 * EACH);
    // Each row exactly once, in id order, whatever the page size.
    let in_order: Vec<i64> = ids.iter().copied().collect();
    assert_eq!(site.walk("/snippets/?page_size=7").await, in_order);
    assert_eq!(site.walk("/snippets/?page_size=100").await, in_order);
    for user in [&ann, &bob] {
        let theirs = site
            .walk(&format!("/snippets/?owner={}&page_size=6", user.id))
            .await;
        assert_eq!(theirs.len(), EACH, "{}", user.name);
    }
    // The rows themselves, read around the App.
    let (rows, count) = site.db().await.snippets(None, 0, 1000).await.unwrap();
    assert_eq!(count as usize, 2 * EACH);
    assert_eq!(rows.iter().map(|s| s.id).collect::<Vec<_>>(), in_order);
}

async fn one_of_concurrent_registrations_of_a_name_wins(backend: Backend) {
    const CALLS: usize = 6;
    let site = Site::start(backend).await;
    let addresses: Vec<String> = (0..CALLS).map(|_| site.new_address()).collect();
    let registrations = addresses.iter().enumerate().map(|(i, address)| {
        let password = format!("password-{i}");
        let site = &site;
        async move {
            (
                password.clone(),
                site.try_register(address, "carol", &password).await,
            )
        }
    });
    let answers = join_all(registrations).await;
    let winners: Vec<&String> = answers
        .iter()
        .filter(|(_, answer)| answer.json["success"] == true)
        .map(|(password, _)| password)
        .collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    for (_, answer) in answers
        .iter()
        .filter(|(_, answer)| answer.json["success"] != true)
    {
        assert_eq!(message(answer), "Bad parameter: username. it is taken.");
    }
    // The winner's password is the one stored.
    let login = site.try_login(&addresses[0], "carol", winners[0]).await;
    assert_eq!(login.json["success"], true);
    assert_eq!(result(&site.get("/users/").await)["count"], 1);
}
