//! Redis keys: escaped values never share a key.

use super::*;

static PAIR_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "x:{a}:{b}", expire = 60)]
fn pair(a: String, b: String) -> String {
    count(&PAIR_CALLS);
    format!("pair {a}|{b}")
}

static ONE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "x:{a}", expire = 60)]
fn one(a: String) -> String {
    count(&ONE_CALLS);
    format!("one {a}")
}

#[tokio::test]
async fn escaped_values_never_share_a_redis_key() {
    let redis = RedisServer::start().await;
    let mut con = redis.connection().await;
    let app = App::new(redis_settings(&redis, ""))
        .at("/pair", pair)
        .at("/one", one);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    let long = "x".repeat(10 * 1024);
    let pairs: Vec<(String, String)> = [
        ("1:2", "3"),
        ("1", "2:3"),
        ("1", "2"),
        ("*", "*"),
        ("1", "*"),
        ("?", "?"),
        ("[", "]"),
        ("[a-z]", "b"),
        ("a\nb", "c"),
        ("a\r\nSET x y", "z"),
        ("%3A", "x"),
        (":", "x"),
        ("é", "日本"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .chain([
        (long.clone(), "1".to_owned()),
        (format!("{long}y"), "1".to_owned()),
        ("1".to_owned(), long.clone()),
    ])
    .collect();

    for round in 1..=2 {
        for (a, b) in &pairs {
            let answer = post_json(&server, "/pair", json!({"a": a, "b": b})).await;
            assert_eq!(
                answer,
                ok(json!(format!("pair {a}|{b}"))),
                "round {round}: {a:?}, {b:?}"
            );
        }
        assert_eq!(calls(&PAIR_CALLS), pairs.len(), "round {round}");
    }
    for a in ["1:2", "1:2:3", "*", "1:*"] {
        assert_eq!(
            post_json(&server, "/one", json!({"a": a})).await,
            ok(json!(format!("one {a}")))
        );
    }
    assert_eq!(calls(&ONE_CALLS), 4);

    // One key per distinct call, each short, printable and free of glob characters.
    let keys = redis_keys(&mut con).await;
    assert_eq!(keys.len(), pairs.len() + 4, "{keys:#?}");
    for key in &keys {
        assert!(key.len() <= 160, "a {}-byte key: {key}", key.len());
        assert!(
            key.bytes().all(|byte| byte.is_ascii_graphic()) && !key.contains(['*', '?', '[', ']']),
            "{key:?}"
        );
    }

    // Glob characters as values delete only their own entry.
    assert_eq!(
        cache
            .invalidate("x:{a}:{b}", &[("a", &"*"), ("b", &"*")])
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        cache
            .invalidate("x:{a}:{b}", &[("a", &"["), ("b", &"]")])
            .await
            .unwrap(),
        1
    );
    assert_eq!(redis_keys(&mut con).await.len(), pairs.len() + 2);
}
