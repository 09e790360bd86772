//! `http_status = "semantic"`: the same answers under HTTP statuses that say what
//! they are.

use reqwest::Method;

use crate::common;
use crate::site::*;

on_both_databases!(semantic_statuses);

async fn semantic_statuses(backend: Backend) {
    let site = Site::with_settings(backend, "http_status = 'semantic'").await;
    let ann = site.register("ann").await;
    let bob = site.register("bob").await;
    let snippet = site.create(&ann, &[("code", "x = 1")]).await;
    let path = snippet_path(&snippet);
    let missing = format!("/snippets/{}/", snippet["id"].as_i64().unwrap() + 1);

    let status_and_code = |answer: common::Answer| {
        let code = answer.json["error"]["code"].as_i64();
        (answer.status, code, answer)
    };
    let cases = [
        (site.get(&missing).await, 404, Some(NOT_FOUND)),
        (
            site.get(&format!("{missing}highlight/")).await,
            404,
            Some(NOT_FOUND),
        ),
        (
            site.get(&format!("/users/{}/", bob.id + 1)).await,
            404,
            Some(NOT_FOUND),
        ),
        (
            site.try_login(&ann.address, "ann", "wrong-password").await,
            400,
            Some(LOGIN_FAILED),
        ),
        (
            site.send_form(Some(&bob), Method::PATCH, &path, &[("title", "x")])
                .await,
            403,
            Some(NO_PERMISSION),
        ),
        (
            site.send_form(Some(&ann), Method::PATCH, &path, &[("language", "nope")])
                .await,
            400,
            Some(BAD_PARAMETER),
        ),
        (
            site.send_form(Some(&ann), Method::PUT, &path, &[]).await,
            400,
            Some(MISSING_PARAMETER),
        ),
        (site.get("/snippets/?page=0").await, 400, Some(BAD_PARAMETER)),
        (
            common::send(site.anonymous(Method::DELETE, "/users/")).await,
            405,
            Some(common::NOT_SUPPORTED_HTTP_METHOD),
        ),
        (site.get(&path).await, 200, None),
    ];
    for (answer, status, expected) in cases {
        let (got_status, got_code, answer) = status_and_code(answer);
        assert_eq!((got_status, got_code), (status, expected), "{:?}", answer.json);
    }

    for answer in [
        site.send_form(None, Method::DELETE, &path, &[]).await,
        site.send_form(
            Some(&User {
                token: "not.a.token".into(),
                ..ann.clone()
            }),
            Method::DELETE,
            &path,
            &[],
        )
        .await,
    ] {
        assert_eq!(answer.status, 401, "{:?}", answer.json);
        assert_eq!(answer.header("www-authenticate"), "Bearer");
        assert!([LOGIN_REQUIRED, BAD_USER_TOKEN].contains(&code(&answer)));
    }

    // Ten logins a minute from one address, wrong ones included.
    let address = site.new_address();
    for _ in 0..10 {
        let answer = site.try_login(&address, "ann", "wrong-password").await;
        assert_eq!((answer.status, code(&answer)), (400, LOGIN_FAILED));
    }
    let throttled = site.try_login(&address, "ann", PASSWORD).await;
    assert_eq!((throttled.status, code(&throttled)), (429, TOO_MANY_REQUESTS));
    assert!(!throttled.header("retry-after").is_empty());
}
