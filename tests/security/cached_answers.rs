//! A cached answer is never served to a caller who fails `check_aclkey`.

use super::*;

// ---- a cached answer is never served to a caller who fails check_aclkey ---------------------

static SECRET_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[check_aclkey(aclkey = "right-key")]
#[cache(key = "secret:{id}", expire = 60)]
fn secret(id: i64) -> String {
    SECRET_CALLS.fetch_add(1, Ordering::SeqCst);
    format!("secret {id}")
}

static VAULT_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Settings' `aclkey` is empty: nobody gets in.
#[apiview]
#[check_aclkey]
#[cache(key = "vault:{id}", expire = 60)]
fn vault(id: i64) -> String {
    VAULT_CALLS.fetch_add(1, Ordering::SeqCst);
    format!("vault {id}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cached_answer_is_never_served_to_a_caller_failing_check_aclkey() {
    let app = App::new(common::settings("aclkey = \"\""))
        .at("/secret", secret)
        .at("/vault", vault);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    let auth_failed = err(common::APP_AUTH_FAILED, "App auth failed.");
    // Authorized callers fill the cache.
    for id in 1..=4 {
        let answer = common::send(
            server
                .client
                .get(server.url(&format!("/secret?id={id}")))
                .header("aclkey", "right-key"),
        )
        .await;
        assert_eq!(answer.json, ok(json!(format!("secret {id}"))));
    }
    assert_eq!(calls(&SECRET_CALLS), 4);

    // Wrong keys, wherever they travel, with the cached parameters.
    let long_key = "right-key".repeat(2_000);
    let wrong = [
        "wrong",
        "",
        "right-ke",
        "right-keyx",
        "RIGHT-KEY",
        " right-key",
        "right-key ",
        "right-key\u{0}",
        "*",
        long_key.as_str(),
    ];
    for key in wrong {
        // An empty key is a wrong key (as in django-apiview, DESIGN §2.3).
        let refused = &auth_failed;
        let key_shown = &key[..key.len().min(24)];
        let by_body = common::send(
            server
                .client
                .post(server.url("/secret"))
                .json(&json!({"id": 1, "aclkey": key})),
        )
        .await;
        assert_eq!(&by_body.json, refused, "key {key_shown:?} in the body");
        let by_query = common::send(
            server
                .client
                .get(server.url("/secret?id=2"))
                .query(&[("aclkey", key)]),
        )
        .await;
        assert_eq!(&by_query.json, refused, "key {key_shown:?} in the query");
        // In a header, surrounding spaces are not part of the value (RFC 9110 5.5):
        // " right-key" is the right key there.
        if key.bytes().all(|b| b.is_ascii_graphic() || b == b' ') && key.trim() == key && key.len() < 1000 {
            let by_header = common::send(
                server
                    .client
                    .get(server.url("/secret?id=3"))
                    .header("aclkey", key)
                    .header("Disable-Cache", "true"),
            )
            .await;
            assert_eq!(&by_header.json, refused, "key {key_shown:?} in a header");
        }
    }
    let missing = err(common::MISSING_PARAMETER, "Missing parameter: aclkey.");
    assert_eq!(server.get_json("/secret?id=4").await, missing);

    // Authorized and refused callers at once, on the cached parameters.
    let base = server.base.clone();
    let refused = auth_failed.clone();
    let figures = load::run_for(16, Duration::from_millis(1500), move |client, c, n| {
        let id = 1 + (n % 4) as i64;
        if c % 2 == 0 {
            Shot {
                label: "authorized",
                request: client
                    .get(format!("{base}/secret?id={id}"))
                    .header("aclkey", "right-key"),
                expect: ok(json!(format!("secret {id}"))),
            }
        } else {
            Shot {
                label: "wrong key",
                request: client
                    .get(format!("{base}/secret?id={id}"))
                    .header("aclkey", format!("wrong-{n}")),
                expect: refused.clone(),
            }
        }
    })
    .await;
    figures.print("security::aclkey_and_cache");
    figures.assert_no_failure("a wrong key never gets a cached answer");
    assert!(
        figures.get("wrong key").ok >= 50,
        "{:?}",
        figures.get("wrong key")
    );
    assert_eq!(calls(&SECRET_CALLS), 4, "every authorized call was a hit");

    // An entry planted in the cache is not served when the configured key is empty.
    cache.set("vault:1", &"planted", MINUTE).await.unwrap();
    for key in ["", " ", "planted"] {
        let answer = common::send(
            server
                .client
                .get(server.url("/vault?id=1"))
                .query(&[("aclkey", key)]),
        )
        .await;
        assert_eq!(answer.json["success"], false, "key {key:?}: {}", answer.json);
        assert!(
            [common::APP_AUTH_FAILED, common::MISSING_PARAMETER].contains(&code_of(&answer.json)),
            "{}",
            answer.json
        );
    }
    assert_eq!(calls(&VAULT_CALLS), 0);
}
