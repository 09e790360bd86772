//! The `redis+cluster://` backend itself: every operation on keys of every master,
//! `delete_pattern` over all masters (and over one, for a hash-tagged pattern), and
//! throttle counters of several slots checked together.

use std::time::Duration;

use apiview::cache::{Admission, CacheBackend, Limit, RedisBackend, ThrottleCounter};
use redis::AsyncCommands;

use super::{shared_cluster, unique};

const MINUTE: Duration = Duration::from_secs(60);

fn backend() -> RedisBackend {
    RedisBackend::new(&shared_cluster().url(), Duration::from_millis(500)).unwrap()
}

/// Keys of `prefix` until each of the cluster's three masters holds at least two.
async fn keys_on_every_master(prefix: &str) -> Vec<String> {
    let cluster = shared_cluster();
    let mut by_owner = std::collections::BTreeMap::<u16, usize>::new();
    let mut keys = Vec::new();
    for n in 0.. {
        let key = format!("{prefix}:{n}");
        let slot = cluster.slot_of(&key).await;
        *by_owner.entry(slot / 5462).or_default() += 1;
        keys.push(key);
        if by_owner.len() == 3 && by_owner.values().all(|count| *count >= 2) {
            break;
        }
    }
    keys
}

#[tokio::test]
async fn reads_writes_and_deletes_reach_every_master() {
    let backend = backend();
    let prefix = unique("rw");
    let keys = keys_on_every_master(&prefix).await;
    for (n, key) in keys.iter().enumerate() {
        backend.set(key, n.to_string().into(), MINUTE).await.unwrap();
    }
    for (n, key) in keys.iter().enumerate() {
        assert_eq!(
            backend.get(key).await.unwrap().as_deref(),
            Some(n.to_string().as_bytes())
        );
    }
    assert!(backend.delete(&keys[0]).await.unwrap());
    assert!(!backend.delete(&keys[0]).await.unwrap());
    assert_eq!(backend.get(&keys[0]).await.unwrap(), None);
    // Keys on all three masters: one SCAN per master finds them all.
    let removed = backend.delete_pattern(&format!("{prefix}:*")).await.unwrap();
    assert_eq!(removed, keys.len() as u64 - 1);
    for key in &keys {
        assert_eq!(
            backend.get(key).await.unwrap(),
            None,
            "{key} survived delete_pattern"
        );
    }
}

#[tokio::test]
async fn a_hash_tagged_pattern_deletes_its_slot_only() {
    let backend = backend();
    let tag = unique("user");
    let mut cluster = shared_cluster().connection().await;
    for n in 0..20 {
        backend
            .set(&format!("{{{tag}}}:order:{n}"), "1".into(), MINUTE)
            .await
            .unwrap();
    }
    // Same prefix without the tag: other slots, not matched.
    backend
        .set(&format!("{tag}:order:1"), "1".into(), MINUTE)
        .await
        .unwrap();
    assert_eq!(
        backend
            .delete_pattern(&format!("{{{tag}}}:order:*"))
            .await
            .unwrap(),
        20
    );
    let left: Option<String> = cluster.get(format!("{tag}:order:1")).await.unwrap();
    assert_eq!(left.as_deref(), Some("1"));
}

#[tokio::test]
async fn add_is_once_across_instances() {
    let (first, second) = (backend(), backend());
    let key = unique("nonce");
    assert!(first.add(&key, "1".into(), MINUTE).await.unwrap());
    assert!(!second.add(&key, "1".into(), MINUTE).await.unwrap());
}

/// Two counters in different slots, the looser one first: when the stricter one
/// refuses, the looser one is given back what it counted, as on one server.
#[tokio::test]
async fn a_refusal_in_one_slot_is_counted_in_no_other() {
    let cluster = shared_cluster();
    let backend = backend();
    let strict = unique("throttle:strict");
    let mut loose = unique("throttle:loose");
    while cluster.slot_of(&loose).await / 5462 == cluster.slot_of(&strict).await / 5462 {
        loose = unique("throttle:loose");
    }
    let both = [
        ThrottleCounter {
            key: &loose,
            limit: Limit::new(5, MINUTE),
        },
        ThrottleCounter {
            key: &strict,
            limit: Limit::new(1, MINUTE),
        },
    ];
    assert_eq!(backend.throttle(&both).await.unwrap(), Admission::Admitted);
    for _ in 0..3 {
        let refused = backend.throttle(&both).await.unwrap();
        assert!(refused.retry_after_seconds().is_some(), "{refused:?}");
    }
    // The loose counter holds the one admitted request: four more pass, then none.
    let loose_only = [both[0]];
    for n in 0..4 {
        assert_eq!(
            backend.throttle(&loose_only).await.unwrap(),
            Admission::Admitted,
            "request {} of 5 on the loose counter",
            n + 2
        );
    }
    assert!(backend
        .throttle(&loose_only)
        .await
        .unwrap()
        .retry_after_seconds()
        .is_some());
}

#[tokio::test]
async fn a_url_of_another_shape_names_the_setting_and_the_choices() {
    let problem =
        Settings::from_toml_str("[cache]\nbackends.shared = 'redis+cluster://h:7000/2'").unwrap_err();
    let text = problem.to_string();
    assert!(text.contains("cache.backends.shared"), "{text}");
    assert!(text.contains("only database 0"), "{text}");
    let problem =
        Settings::from_toml_str("[cache]\nbackends.shared = 'redis+sentinel://h:26379'").unwrap_err();
    assert!(problem.to_string().contains("names no master"), "{problem}");
}

use apiview::Settings;

/// A key template with a hash tag (braces doubled): the entries of one user live in
/// one slot, and invalidating them scans that slot's master only.
#[tokio::test]
async fn a_hash_tag_in_a_key_template_keeps_a_users_entries_together() {
    let app = apiview::App::new(
        Settings::from_toml_str(&format!(
            "[cache]\nbackends.default = \"{}\"",
            shared_cluster().url()
        ))
        .unwrap(),
    );
    let cache = app.cache("default").unwrap();
    let user = unique("u");
    for n in 0..5 {
        cache
            .set(&format!("{{{user}}}:orders:{n}"), &n, MINUTE)
            .await
            .unwrap();
    }
    let cluster = shared_cluster();
    let slot = cluster.slot_of(&format!("{{{user}}}:orders:0")).await;
    assert_eq!(cluster.slot_of(&format!("{{{user}}}:orders:4")).await, slot);
    let removed = cache
        .invalidate("{{{id}}}:orders:*", &[("id", &user)])
        .await
        .unwrap();
    assert_eq!(removed, 5);
}

/// A near cache answers only JSON: what Redis holds is checked once, as it arrives,
/// and garbage (written there by someone else) is neither answered nor kept near.
#[tokio::test]
async fn a_near_cache_checks_what_redis_holds_once() {
    use apiview::cache::{MemoryBackend, NearBackend};
    let near = NearBackend::new(MemoryBackend::new(), backend(), Duration::from_secs(30));
    let key = unique("garbage");
    let mut cluster = shared_cluster().connection().await;
    let () = cluster.set(&key, "not json {").await.unwrap();
    assert!(near.get(&key).await.is_err());
    assert!(near.get_now(&key).is_none(), "garbage kept near");
    let () = cluster.set(&key, "[1]").await.unwrap();
    assert_eq!(near.get(&key).await.unwrap().as_deref(), Some(&b"[1]"[..]));
    assert_eq!(near.get_now(&key).unwrap().unwrap().as_deref(), Some(&b"[1]"[..]));
}
