//! Writes at once: creates lose and duplicate nothing, of registrations of one name
//! exactly one wins, PATCHes of different fields all land, and writes racing a delete of their snippet find it gone (never a
//! database error).

use std::collections::BTreeSet;

use futures_util::future::join_all;
use reqwest::Method;

use crate::site::*;

on_both_databases!(
    concurrent_creates_lose_and_duplicate_nothing,
    one_of_concurrent_registrations_of_a_name_wins,
    concurrent_writes_to_the_same_snippets_answer_or_find_them_gone,
    patches_of_different_fields_sent_at_once_all_land,
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

async fn concurrent_writes_to_the_same_snippets_answer_or_find_them_gone(backend: Backend) {
    let site = Site::start(backend).await;
    let ann = site.register("ann").await;
    let mut ids = Vec::new();
    for i in 0..10 {
        let snippet = site.create(&ann, &[("code", &format!("x = {i}"))]).await;
        ids.push(snippet["id"].as_i64().unwrap());
    }
    // PATCH, PUT, DELETE and list, all at once; each DELETE hits an even-numbered one.
    let calls = (0..60).map(|i| {
        let (site, ann) = (&site, &ann);
        let path = format!("/snippets/{}/", ids[i % 10]);
        async move {
            let answer = match i % 4 {
                0 => {
                    site.send_form(Some(ann), Method::PATCH, &path, &[("title", "t")])
                        .await
                }
                1 => {
                    site.send_form(Some(ann), Method::PUT, &path, &[("code", "y")])
                        .await
                }
                2 => site.send_form(Some(ann), Method::DELETE, &path, &[]).await,
                _ => site.get("/snippets/").await,
            };
            (i % 4, answer)
        }
    });
    let answers = join_all(calls).await;
    let mut deletes = 0;
    for (kind, answer) in &answers {
        if answer.json["success"] == true {
            deletes += usize::from(*kind == 2);
        } else {
            assert_eq!(
                code(answer),
                NOT_FOUND,
                "only a snippet already gone: {:?}",
                answer.json
            );
        }
    }
    assert_eq!(deletes, 5, "each deleted once");
    let odd: Vec<i64> = ids.iter().skip(1).step_by(2).copied().collect();
    assert_eq!(site.walk("/snippets/?page_size=3").await, odd);
}

/// Regression: a PATCH wrote back every field it had read, so of two PATCHes of
/// different fields sent at once, the second to write undid the first.
async fn patches_of_different_fields_sent_at_once_all_land(backend: Backend) {
    let site = Site::start(backend).await;
    let ann = site.register("ann").await;
    let snippet = site.create(&ann, &[("code", "x = 1")]).await;
    let path = snippet_path(&snippet);
    for round in 0..6 {
        let title = format!("round {round}");
        let linenos = if round % 2 == 0 { "true" } else { "false" };
        let language = ["rust", "c", "go"][round % 3];
        let style = ["base16-ocean.dark", "InspiredGitHub"][round % 2];
        let code = format!("x = {round}");
        let patches: [[(&str, &str); 1]; 5] = [
            [("title", &title)],
            [("linenos", linenos)],
            [("language", language)],
            [("style", style)],
            [("code", &code)],
        ];
        let answers = join_all(
            patches
                .iter()
                .map(|field| site.send_form(Some(&ann), Method::PATCH, &path, field)),
        )
        .await;
        for answer in &answers {
            assert_eq!(answer.json["success"], true, "{:?}", answer.json);
        }
        let stored = site.get(&path).await;
        let stored = result(&stored);
        assert_eq!(
            (
                stored["title"].as_str(),
                stored["linenos"].as_bool(),
                stored["language"].as_str(),
                stored["style"].as_str(),
                stored["code"].as_str(),
            ),
            (
                Some(title.as_str()),
                Some(linenos == "true"),
                Some(language),
                Some(style),
                Some(code.as_str()),
            ),
            "round {round}: a PATCH was lost"
        );
    }
}
