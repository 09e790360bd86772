//! The example's own rates, per client address: 30 creates a minute, 10 registrations
//! a minute, 60 writes (PUT, PATCH, DELETE together) a minute. The rates are the example's (no setting changes them); each test's App
//! starts with empty counters.

use futures_util::future::join_all;
use reqwest::Method;

use crate::common;
use crate::site::*;

on_both_databases!(
    the_31st_create_of_a_minute_is_too_many,
    the_11th_registration_of_a_minute_is_too_many,
    the_61st_write_of_a_minute_is_too_many,
);

async fn the_31st_create_of_a_minute_is_too_many(backend: Backend) {
    let site = Site::start(backend).await;
    let ann = site.register("ann").await;
    let bob = site.register("bob").await;
    // 31 at once: sent together, they all arrive well within the 2 seconds after which
    // the rate would admit one more.
    let creates = (0..31).map(|i| {
        let code = format!("x = {i}");
        let request = site
            .as_user(&ann, Method::POST, "/snippets/")
            .form(&[("code", code)]);
        common::send(request)
    });
    let answers = join_all(creates).await;
    let created = answers
        .iter()
        .filter(|answer| answer.json["success"] == true)
        .count();
    let refused: Vec<_> = answers
        .iter()
        .filter(|answer| answer.json["success"] != true)
        .collect();
    assert_eq!((created, refused.len()), (30, 1), "{answers:?}");
    let refused = refused[0];
    assert_eq!(code(refused), TOO_MANY_REQUESTS);
    // 30 a minute: one more every 2 seconds.
    let retry_after: u64 = refused.header("retry-after").parse().expect("a Retry-After");
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    assert_eq!(
        message(refused),
        format!("Too many requests. Retry after {retry_after} seconds.")
    );

    // The counter is the address's, not the user's: ann from elsewhere creates, and so
    // does bob.
    let elsewhere = User {
        address: site.new_address(),
        ..ann.clone()
    };
    site.create(&elsewhere, &[("code", "from elsewhere")]).await;
    site.create(&bob, &[("code", "bob's")]).await;
    // Reading is not throttled.
    for _ in 0..40 {
        assert_eq!(site.get("/snippets/?page_size=1").await.json["success"], true);
    }
    let list = site.get("/snippets/").await;
    assert_eq!(result(&list)["count"], 32, "the refused create stored nothing");

    // The throttle runs before authentication, and counts what it then refuses: of 31
    // anonymous creates from one address, 30 are LoginRequired and one is throttled.
    let address = site.new_address();
    let anonymous = (0..31).map(|_| {
        let request = site
            .from(&address, Method::POST, "/snippets/")
            .form(&[("code", "x")]);
        common::send(request)
    });
    let mut codes: Vec<i64> = join_all(anonymous).await.iter().map(code).collect();
    codes.sort_unstable();
    let mut expected = vec![LOGIN_REQUIRED; 30];
    expected.push(TOO_MANY_REQUESTS);
    expected.sort_unstable();
    assert_eq!(codes, expected);
}

async fn the_11th_registration_of_a_minute_is_too_many(backend: Backend) {
    let site = Site::start(backend).await;
    let address = site.new_address();
    for i in 0..10 {
        let answer = site.try_register(&address, &format!("user{i}"), PASSWORD).await;
        assert_eq!(answer.json["success"], true, "{i}: {:?}", answer.json);
    }
    let refused = site.try_register(&address, "user10", PASSWORD).await;
    assert_eq!(code(&refused), TOO_MANY_REQUESTS);
    assert!(!refused.header("retry-after").is_empty());
    // Logging in is counted apart.
    assert_eq!(
        site.try_login(&address, "user3", PASSWORD).await.json["success"],
        true
    );
    // Another address registers.
    let other = site.new_address();
    assert_eq!(
        site.try_register(&other, "user10", PASSWORD).await.json["success"],
        true
    );
    assert_eq!(result(&site.get("/users/").await)["count"], 11);
}

async fn the_61st_write_of_a_minute_is_too_many(backend: Backend) {
    let site = Site::start(backend).await;
    let ann = site.register("ann").await;
    let created = site.create(&ann, &[("code", "x = 0")]).await;
    let path = format!("/snippets/{}/", created["id"]);
    // PUT, PATCH and DELETE share one counter: 60 of them, sent together, pass, and
    // the 61st, of any of the three (a DELETE here), is refused.
    let writes = (0..60).map(|i| {
        let request = match i % 2 {
            0 => site
                .as_user(&ann, Method::PUT, &path)
                .form(&[("code", format!("x = {i}"))]),
            _ => site
                .as_user(&ann, Method::PATCH, &path)
                .form(&[("title", format!("t{i}"))]),
        };
        common::send(request)
    });
    let answers = join_all(writes).await;
    // Each got past the throttle: written, or, for a PATCH that found the snippet
    // changed by the PUTs five times running, told to send its change again.
    let codes: Vec<i64> = answers
        .iter()
        .filter(|answer| answer.json["success"] != true)
        .map(code)
        .collect();
    assert!(codes.iter().all(|&code| code == EDIT_CONFLICT), "{codes:?}");
    let refused = common::send(site.as_user(&ann, Method::DELETE, &path)).await;
    assert_eq!(code(&refused), TOO_MANY_REQUESTS, "{:?}", refused.json);
    // Refused before anything ran: the snippet is still there.
    assert_eq!(site.get(&path).await.json["success"], true);
}
