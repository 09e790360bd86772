//! Backends: `App::cache_entries`, named backends as separate caches, a name missing
//! from settings, and what the memory backend holds (JSON only, at most
//! `memory_max_bytes`).

use super::*;

static OTHER_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "other:{n}", expire = 30, name = "other")]
fn on_other(n: i64) -> i64 {
    count(&OTHER_CALLS);
    n
}

#[apiview]
fn uncached(n: i64) -> i64 {
    n
}

#[tokio::test]
async fn cache_entries_lists_every_cached_endpoint() {
    let settings = common::settings(
        "[cache]\ndefault_expire = 77\nbackends = { default = \"memory://\", other = \"memory://other\" }",
    );
    let app = App::new(settings)
        .at("/add", add)
        .at("/uncached", uncached)
        .at("/default_expire", default_expire)
        .at("/items", items)
        .at("/on_other", on_other);
    let entry = |path: &str, endpoint, template, backend, url: &str, expire, batch| CacheEntry {
        path: path.to_owned(),
        endpoint,
        template,
        backend,
        url: url.to_owned(),
        expire,
        batch,
    };
    assert_eq!(
        app.cache_entries(),
        vec![
            entry("/add", "add", "add:{a}:{b}", "default", "memory://", 60, false),
            entry(
                "/default_expire",
                "default_expire",
                "default_expire:{n}",
                "default",
                "memory://",
                77,
                false
            ),
            entry(
                "/items",
                "items",
                "item:{shop}:{id}",
                "default",
                "memory://",
                60,
                true
            ),
            entry(
                "/on_other",
                "on_other",
                "other:{n}",
                "other",
                "memory://other",
                30,
                false
            ),
        ]
    );
}

#[tokio::test]
async fn named_backends_are_separate_caches() {
    let settings = common::settings("[cache]\nbackends = { default = \"memory://\", other = \"memory://\" }");
    let app = App::new(settings).at("/on_other", on_other);
    let (default, other) = (app.cache("default").unwrap(), app.cache("other").unwrap());
    assert!(app.cache("nowhere").is_none());
    let server = common::serve(app).await;
    assert_eq!(get(&server, "/on_other?n=4").await, ok(json!(4)));
    assert_eq!(get(&server, "/on_other?n=4").await, ok(json!(4)));
    assert_eq!(calls(&OTHER_CALLS), 1);
    assert_eq!(other.get("other:4").await.unwrap(), Some(json!(4)));
    assert_eq!(default.get("other:4").await.unwrap(), None);
}

#[apiview]
#[cache(key = "elsewhere:{n}", name = "nowhere")]
fn elsewhere(n: i64) -> i64 {
    n
}

#[test]
fn a_backend_name_missing_from_settings_fails_at_start_up() {
    let err = App::new(Settings::default())
        .at("/elsewhere", elsewhere)
        .try_into_endpoint()
        .err()
        .expect("an App whose endpoint caches in an unconfigured backend");
    let message = err.to_string();
    assert!(
        message.contains("nowhere") && message.contains("elsewhere"),
        "{message}"
    );
}

// ---- values in the cache that are not JSON ------------------------------------------------
// The memory backend refuses them when they are written, so that no hit needs checking;
// a Redis value written by someone else is checked on every hit (tests/cache_redis/not_json.rs).

static TOLERANT_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "garbage:{n}", expire = 60)]
fn tolerant(n: i64) -> i64 {
    count(&TOLERANT_CALLS);
    n
}

#[tokio::test]
async fn the_memory_backend_refuses_a_value_that_is_not_json() {
    let app = App::new(Settings::default()).at("/tolerant", tolerant);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    let garbage: [&[u8]; 5] = [b"not json", b"{\"a\":", b"\xff\xfe\x00", b"", b"1 2"];
    for (n, value) in garbage.iter().enumerate() {
        let key = format!("garbage:{n}");
        let refused = cache
            .backend()
            .set(&key, value.to_vec().into(), MINUTE)
            .await
            .expect_err("the memory backend stored a value that is not JSON");
        assert!(refused.to_string().contains(&key), "{refused}");
        assert_eq!(cache.get(&key).await.unwrap(), None);
        // So the endpoint computes, and caches its own result.
        assert_eq!(get(&server, &format!("/tolerant?n={n}")).await, ok(json!(n)));
        assert_eq!(calls(&TOLERANT_CALLS), n + 1);
        assert_eq!(cache.get(&key).await.unwrap(), Some(json!(n)));
    }
    assert_eq!(get(&server, "/tolerant?n=0").await, ok(json!(0)));
    assert_eq!(calls(&TOLERANT_CALLS), garbage.len());
}

static BLOB_CALLS: AtomicUsize = AtomicUsize::new(0);

/// 16 KiB of text per `n`.
#[apiview]
#[cache(key = "blob:{n}", expire = 600)]
fn blob(n: u64) -> String {
    count(&BLOB_CALLS);
    format!("{n:016}").repeat(1024)
}

#[tokio::test]
async fn the_memory_cache_holds_at_most_memory_max_bytes_by_default() {
    // 4400 answers of 16 KiB: 68.75 MiB of values, past the default 64 MiB.
    const ANSWERS: u64 = 4400;
    let app = App::new(Settings::default()).at("/blob", blob);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    let base = server.base.clone();
    let client = server.client.clone();
    let writers = (0..4).map(|writer| {
        let (base, client) = (base.clone(), client.clone());
        tokio::spawn(async move {
            for n in (writer..ANSWERS).step_by(4) {
                let answer = common::send(client.get(format!("{base}/blob?n={n}"))).await;
                assert_eq!(answer.json["success"], true, "n = {n}: {}", answer.json);
            }
        })
    });
    for writer in writers {
        writer.await.unwrap();
    }
    let mut kept = 0_u64;
    for n in 0..ANSWERS {
        kept += u64::from(cache.get(&format!("blob:{n}")).await.unwrap().is_some());
    }
    let kept_bytes = kept * 16 * 1024;
    assert!(
        kept_bytes <= 64 * 1024 * 1024,
        "{kept} answers of 16 KiB kept: {kept_bytes} bytes, over 64 MiB"
    );
    assert!(
        kept >= ANSWERS / 4,
        "only {kept} answers kept: the bound is far too eager"
    );
}
