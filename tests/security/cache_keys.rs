//! Cache keys crafted to reach another endpoint's entry never do.

use super::*;

// ---- cache keys that try to reach another endpoint's entry ----------------------------------

static BALANCE_CALLS: AtomicUsize = AtomicUsize::new(0);
static TOKEN_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "acct:{user}", expire = 60)]
fn balance(user: String) -> String {
    BALANCE_CALLS.fetch_add(1, Ordering::SeqCst);
    format!("balance of {user}")
}

/// The entry worth stealing: unescaped, `balance("alice:token")` would read it.
#[apiview]
#[cache(key = "acct:{user}:token", expire = 60)]
fn token(user: String) -> String {
    TOKEN_CALLS.fetch_add(1, Ordering::SeqCst);
    format!("TOKEN-of-{user}")
}

/// `/balance` for `user`, sent in a JSON body, where any character can travel.
async fn balance_of(server: &TestServer, user: &str) -> Value {
    let request = server
        .client
        .post(server.url("/balance"))
        .json(&json!({"user": user}));
    common::send(request).await.json
}

#[tokio::test]
async fn crafted_values_never_reach_another_endpoints_cache_entry() {
    let app = App::new(common::settings(""))
        .at("/balance", balance)
        .at("/token", token);
    let templates: Vec<_> = app.cache_entries().iter().map(|entry| entry.template).collect();
    assert_eq!(templates, ["acct:{user}", "acct:{user}:token"]);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    let stolen = ok(json!("TOKEN-of-alice"));
    assert_eq!(server.get_json("/token?user=alice").await, stolen);

    let long = format!("alice:token:{}", "x".repeat(10_000));
    let crafted: Vec<String> = [
        "alice:token",
        "alice%3Atoken",
        "alice%253Atoken",
        "alice:*",
        "*",
        "alice:tok?n",
        "alice:[t]oken",
        "{user}:token",
        "alice}:token{",
        "alice\n:token",
        "alice\r\n:token",
        "alice:token\r\nSET acct:alice:token pwned",
        "alice:token\u{0}",
        "alice\u{ff1a}token",
        "",
    ]
    .into_iter()
    .map(str::to_owned)
    .chain([
        long.clone(),
        format!("{long}y"),
        // The digest that stands for the long value in its key, sent as a value.
        apiview::cache::key_part(&long).unwrap(),
    ])
    .collect();
    for round in 1..=2 {
        for user in &crafted {
            assert_eq!(
                balance_of(&server, user).await,
                ok(json!(format!("balance of {user}"))),
                "round {round}: {user:?}"
            );
        }
        // Each value computed once: its own entry, shared with no other value.
        assert_eq!(calls(&BALANCE_CALLS), crafted.len(), "round {round}");
    }
    // The stolen-entry candidate is untouched, and still what /token answers.
    assert_eq!(
        cache.get("acct:alice:token").await.unwrap(),
        Some(json!("TOKEN-of-alice"))
    );
    assert_eq!(server.get_json("/token?user=alice").await, stolen);
    assert_eq!(calls(&TOKEN_CALLS), 1);

    // A glob character as a value invalidates its own entry only.
    let removed = cache.invalidate("acct:{user}", &[("user", &"*")]).await.unwrap();
    assert_eq!(removed, 1);
    let removed = cache
        .invalidate("acct:{user}", &[("user", &"alice:*")])
        .await
        .unwrap();
    assert_eq!(removed, 1);
    for user in &crafted {
        assert_eq!(
            balance_of(&server, user).await,
            ok(json!(format!("balance of {user}")))
        );
    }
    assert_eq!(
        calls(&BALANCE_CALLS),
        crafted.len() + 2,
        "only `*` and `alice:*` recomputed"
    );
    assert_eq!(server.get_json("/token?user=alice").await, stolen);
    assert_eq!(calls(&TOKEN_CALLS), 1);
    println!(
        "figures security::cache_keys: {} crafted values, {} requests, 0 reached another entry",
        crafted.len(),
        3 * crafted.len() + 3
    );
}
