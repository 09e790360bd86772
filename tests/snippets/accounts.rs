//! Registering, logging in, the users' pages, and tokens on the writes.

use reqwest::Method;
use serde_json::json;

use crate::site::*;

on_both_databases!(
    a_registered_user_logs_in_and_is_listed,
    a_taken_username_is_refused,
    a_wrong_password_and_an_unknown_user_are_the_same_login_failure,
    usernames_and_passwords_are_checked,
    writes_need_a_good_token,
    a_token_of_a_user_the_database_lacks_is_a_bad_token,
);

async fn a_registered_user_logs_in_and_is_listed(backend: Backend) {
    let site = Site::start(backend).await;
    let ann = site.register("ann").await;
    let bob = site.register("bob").await;
    assert!(bob.id > ann.id);

    let login = site.try_login(&ann.address, "ann", PASSWORD).await;
    let token = result(&login)["token"].as_str().unwrap().to_owned();
    assert_eq!(claims(&token)["sub"], ann.id.to_string());
    // The login's token writes as the registration's does.
    let ann_again = User { token, ..ann.clone() };
    let snippet = site.create(&ann_again, &[("code", "x = 1")]).await;
    assert_eq!(snippet["owner"], "ann");

    let base = site.base();
    let users = site.get("/users/").await;
    assert_eq!(
        *result(&users),
        json!({
            "count": 2, "next": null, "previous": null,
            "results": [
                {"id": ann.id, "url": format!("{base}/users/{}/", ann.id), "username": "ann",
                 "snippets": format!("{base}/snippets/?owner={}", ann.id)},
                {"id": bob.id, "url": format!("{base}/users/{}/", bob.id), "username": "bob",
                 "snippets": format!("{base}/snippets/?owner={}", bob.id)},
            ]
        })
    );
    let one = site.get(&format!("/users/{}/", bob.id)).await;
    assert_eq!(*result(&one), result(&users)["results"][1]);

    let missing = site.get(&format!("/users/{}/", bob.id + 100)).await;
    assert_eq!(missing.json, crate::common::err(NOT_FOUND, "Not found: user."));
}

async fn a_taken_username_is_refused(backend: Backend) {
    let site = Site::start(backend).await;
    site.register("ann").await;
    let address = site.new_address();
    let again = site.try_register(&address, "ann", "another-password").await;
    assert_eq!(
        again.json,
        crate::common::err(BAD_PARAMETER, "Bad parameter: username. it is taken.")
    );
    // The first registration's password still logs in; the second's does not.
    assert_eq!(
        site.try_login(&address, "ann", PASSWORD).await.json["success"],
        true
    );
    let refused = site.try_login(&address, "ann", "another-password").await;
    assert_eq!(code(&refused), LOGIN_FAILED);
    assert_eq!(result(&site.get("/users/").await)["count"], 1);
}

async fn a_wrong_password_and_an_unknown_user_are_the_same_login_failure(backend: Backend) {
    let site = Site::start(backend).await;
    let ann = site.register("ann").await;
    let wrong_password = site.try_login(&ann.address, "ann", "not-the-password").await;
    let unknown_user = site.try_login(&ann.address, "nobody", PASSWORD).await;
    let expected = crate::common::err(LOGIN_FAILED, "Unable to log in with the provided credentials.");
    assert_eq!(wrong_password.json, expected);
    assert_eq!(unknown_user.json, expected);
    // Names are compared exactly.
    assert_eq!(
        code(&site.try_login(&ann.address, "Ann", PASSWORD).await),
        LOGIN_FAILED
    );
}

async fn usernames_and_passwords_are_checked(backend: Backend) {
    let site = Site::start(backend).await;
    // Django's characters: letters (not only ASCII ones), digits and @ . + - _.
    let odd = site.register("a.b+c-d_e@f9").await;
    let accented = site.register("élodie").await;
    assert_eq!(odd.name, "a.b+c-d_e@f9");
    assert_eq!(accented.name, "élodie");

    let address = site.new_address();
    for name in ["ann smith", "ann/x", "<ann>", "ann;"] {
        let refused = site.try_register(&address, name, PASSWORD).await;
        assert_eq!(
            refused.json,
            crate::common::err(
                BAD_PARAMETER,
                "Bad parameter: username. use letters, digits and @ . + - _ only."
            ),
            "{name:?}"
        );
    }
    let address = site.new_address();
    let empty = site.try_register(&address, "", PASSWORD).await;
    assert_eq!(code(&empty), STRING_TOO_SHORT);
    let long = site.try_register(&address, &"a".repeat(151), PASSWORD).await;
    assert_eq!(code(&long), STRING_TOO_LONG);
    let short_password = site.try_register(&address, "carol", "seven77").await;
    assert_eq!(code(&short_password), STRING_TOO_SHORT);
    let missing = site.try_register(&address, "carol", "").await;
    assert_eq!(code(&missing), STRING_TOO_SHORT);
    // 150 characters and an 8-character password are enough.
    let longest = site.register(&"b".repeat(150)).await;
    assert_eq!(longest.name.len(), 150);
    let address = site.new_address();
    assert_eq!(
        site.try_register(&address, "dave", "eight888").await.json["success"],
        true
    );

    let users = site.get("/users/").await;
    assert_eq!(result(&users)["count"], 4, "only the valid ones registered");
}

async fn writes_need_a_good_token(backend: Backend) {
    let site = Site::start(backend).await;
    let ann = site.register("ann").await;
    let snippet = site.create(&ann, &[("code", "x = 1")]).await;
    let path = snippet_path(&snippet);

    let anonymous = site
        .send_form(None, Method::POST, "/snippets/", &[("code", "y")])
        .await;
    assert_eq!(code(&anonymous), LOGIN_REQUIRED);
    for method in [Method::PUT, Method::PATCH, Method::DELETE] {
        let answer = site
            .send_form(None, method.clone(), &path, &[("code", "y")])
            .await;
        assert_eq!(code(&answer), LOGIN_REQUIRED, "{method}");
    }
    let forged = User {
        token: format!("{}x", ann.token),
        ..ann.clone()
    };
    let answer = site
        .send_form(Some(&forged), Method::POST, "/snippets/", &[("code", "y")])
        .await;
    assert_eq!(code(&answer), BAD_USER_TOKEN);
    let answer = site.send_form(Some(&forged), Method::DELETE, &path, &[]).await;
    assert_eq!(code(&answer), BAD_USER_TOKEN);

    // Nothing was written.
    let list = site.get("/snippets/").await;
    assert_eq!(ids_of(result(&list)), [snippet["id"].as_i64().unwrap()]);
    assert_eq!(result(&site.get(&path).await)["code"], "x = 1");
}

/// Regression: a well-signed token of a user the database does not have (a database
/// reset under a kept secret) failed the snippet's foreign key and answered
/// `DatabaseError`, logged as a database failure.
async fn a_token_of_a_user_the_database_lacks_is_a_bad_token(backend: Backend) {
    let secret = "[auth.jwt]\nsecret = 'one-secret-kept-across-two-databases!'\nissuer = 'apiview-snippets'";
    let before = Site::with_settings(backend, secret).await;
    let ann = before.register("ann").await;
    let after = Site::with_settings(backend, secret).await;
    let answer = after
        .send_form(Some(&ann), Method::POST, "/snippets/", &[("code", "x")])
        .await;
    assert_eq!(code(&answer), BAD_USER_TOKEN, "{:?}", answer.json);
    assert_eq!(result(&after.get("/snippets/").await)["count"], 0);
}
