//! `cache.invalidation_channel`: a note written through one instance is read fresh
//! from the others once the invalidation arrives, whether they cache it in plain
//! memory (`memory://`) or in a near cache in front of the cluster. The demo's note
//! store is one per process, so the three instances share it as they would share a
//! database.

use std::time::{Duration, Instant};

use apiview::cache::Cache;
use futures_util::future::join_all;
use serde_json::Value;

use super::{figure, get, instances, median_and_max, shared_cluster, subscribed, unique, Instance};

const ROUNDS: usize = 15;

async fn set_note(instance: &Instance, name: &str, text: &str) {
    let answer = instance
        .server
        .client
        .post(instance.server.url("/note_set"))
        .json(&serde_json::json!({"name": name, "text": text}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["success"], true, "{body}");
}

async fn read_note(instance: &Instance, name: &str) -> Value {
    get(&instance.server, &format!("/note_get?name={name}"))
        .await
        .unwrap()
}

/// What the readers saw after writes: how long each reader took to read the new text
/// after the write answered, the reads of the old text in that time, and the reads of
/// the old text after a reader had read the new one (which must be none).
struct Staleness {
    delays: Vec<Duration>,
    stale_before_delivery: usize,
    stale_after_delivery: usize,
}

/// Writes the note `ROUNDS` times, each through another instance, while the other two
/// keep reading it.
async fn write_and_watch(instances: &[Instance], name: &str) -> Staleness {
    let mut result = Staleness {
        delays: Vec::new(),
        stale_before_delivery: 0,
        stale_after_delivery: 0,
    };
    set_note(&instances[0], name, "v0").await;
    for instance in instances {
        assert_eq!(read_note(instance, name).await, "v0");
    }
    for round in 1..=ROUNDS {
        let text = format!("v{round}");
        let writer = round % instances.len();
        set_note(&instances[writer], name, &text).await;
        let written = Instant::now();
        let readers = instances
            .iter()
            .enumerate()
            .filter(|(at, _)| *at != writer)
            .map(|(_, reader)| watch(reader, name, &text, written));
        for (delay, stale_before, stale_after) in join_all(readers).await {
            result.delays.push(delay);
            result.stale_before_delivery += stale_before;
            result.stale_after_delivery += stale_after;
        }
    }
    result
}

/// Reads until the new text arrives (at most 5 s), then 20 more times: the delay, the
/// stale reads before it and after it.
async fn watch(reader: &Instance, name: &str, text: &str, written: Instant) -> (Duration, usize, usize) {
    let mut stale_before = 0;
    let delay = loop {
        let read = read_note(reader, name).await;
        if read == text {
            break written.elapsed();
        }
        stale_before += 1;
        assert!(
            written.elapsed() < Duration::from_secs(5),
            "{name}: still {read} 5 s after the write"
        );
    };
    let mut stale_after = 0;
    for _ in 0..20 {
        if read_note(reader, name).await != text {
            stale_after += 1;
        }
    }
    (delay, stale_before, stale_after)
}

fn report(what: &str, staleness: &Staleness) {
    let (median, max) = median_and_max(staleness.delays.clone());
    figure(&format!(
        "stale reads, {what}: {} writes, {} readers each: delay until the new value median {median:.1} ms, \
         max {max:.1} ms; stale reads before delivery {}, after delivery {}",
        ROUNDS,
        staleness.delays.len() / ROUNDS,
        staleness.stale_before_delivery,
        staleness.stale_after_delivery
    ));
}

#[tokio::test]
async fn memory_caches_of_every_instance_drop_what_one_invalidates() {
    let channel = unique("apiview:invalidate");
    let instances = instances(
        3,
        &format!(
            "[cache]\nbackends.default = \"memory://\"\nbackends.bus = \"{}\"\n\
             invalidation_channel = \"{channel}\"\ninvalidation_backend = \"bus\"\n",
            shared_cluster().url()
        ),
    )
    .await;
    subscribed(&instances, "default").await;
    let staleness = write_and_watch(&instances, &unique("memo")).await;
    report("memory:// with invalidation_channel", &staleness);
    assert_eq!(staleness.stale_after_delivery, 0);
}

#[tokio::test]
async fn near_caches_stay_coherent() {
    let channel = unique("apiview:invalidate");
    let instances = instances(
        3,
        &format!(
            "[cache]\nbackends.default = \"{}\"\nnear.default = 30\ninvalidation_channel = \"{channel}\"\n",
            shared_cluster().url()
        ),
    )
    .await;
    subscribed(&instances, "default").await;
    let name = unique("near");
    let staleness = write_and_watch(&instances, &name).await;
    report("near cache (30 s) in front of the cluster", &staleness);
    assert_eq!(staleness.stale_after_delivery, 0);
    // A read keeps a near copy, which answers without Redis (a late announcement of
    // another instance's write may drop it once: read again).
    let near: &Cache = instances[1].cache("default");
    crate::common::eventually("a near copy", Duration::from_secs(5), || async {
        read_note(&instances[1], &name).await;
        near.backend().get_now(&format!("note:{name}")).is_some()
    })
    .await;
}

/// Without a channel, the instances' memory caches are their own: the control that
/// shows what the channel fixes.
#[tokio::test]
async fn without_a_channel_other_instances_keep_serving_the_old_value() {
    let instances = instances(2, "[cache]\nbackends.default = \"memory://\"\n").await;
    let name = unique("alone");
    set_note(&instances[0], &name, "v0").await;
    assert_eq!(read_note(&instances[1], &name).await, "v0");
    set_note(&instances[0], &name, "v1").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(read_note(&instances[1], &name).await, "v0");
}

/// How a test takes the channel's Redis away.
#[derive(Clone, Copy, PartialEq)]
enum Outage {
    /// Killed: the connection closes.
    Stopped,
    /// SIGSTOPped: the connection stays open and nothing answers, which only the
    /// listener's PING notices (it did not, before the PING was added).
    Hung,
}

/// An instance whose subscription ends cannot know what it misses: it empties its
/// memory caches, so that a note written during the outage is read fresh; once Redis
/// is back it subscribes again and invalidations flow as before.
async fn through_an_outage(outage: Outage) {
    let mut redis = crate::common::redis::RedisServer::start().await;
    let channel = unique("apiview:invalidate");
    let instances = instances(
        2,
        &format!(
            "[cache]\nbackends.default = \"memory://\"\nbackends.bus = \"{}\"\n\
             invalidation_channel = \"{channel}\"\noperation_timeout_ms = 250\n",
            redis.url()
        ),
    )
    .await;
    subscribed(&instances, "default").await;
    let name = unique("outage");
    set_note(&instances[0], &name, "v0").await;
    assert_eq!(read_note(&instances[1], &name).await, "v0");
    match outage {
        Outage::Stopped => redis.stop(),
        Outage::Hung => redis.pause(),
    }
    // Written while nobody can be told: the write's own invalidation fails (CacheError).
    let _ = instances[0]
        .server
        .client
        .post(instances[0].server.url("/note_set"))
        .json(&serde_json::json!({"name": name, "text": "v1"}))
        .send()
        .await
        .unwrap();
    crate::common::eventually(
        "the other instance reads the note written during the outage",
        Duration::from_secs(5),
        || async { read_note(&instances[1], &name).await == "v1" },
    )
    .await;
    match outage {
        Outage::Stopped => redis.start_again().await,
        Outage::Hung => redis.resume(),
    }
    crate::common::eventually("subscribed again", Duration::from_secs(10), || async {
        instances[1].cache("default").invalidation_subscriptions() >= 2
    })
    .await;
    set_note(&instances[0], &name, "v2").await;
    crate::common::eventually(
        "the invalidation after the outage arrives",
        Duration::from_secs(5),
        || async { read_note(&instances[1], &name).await == "v2" },
    )
    .await;
}

#[tokio::test]
async fn a_listener_whose_redis_stopped_forgets_and_subscribes_again() {
    through_an_outage(Outage::Stopped).await;
}

#[tokio::test]
async fn a_hung_redis_ends_the_subscription_as_a_closed_one_does() {
    through_an_outage(Outage::Hung).await;
}

/// Invalidations carried by a Sentinel-watched Redis go on after a failover: the
/// listeners subscribe again to the master the Sentinels name now.
#[tokio::test]
async fn invalidations_follow_a_sentinel_failover() {
    let mut sentinels = crate::common::redis_cluster::RedisSentinelSet::start().await;
    let channel = unique("apiview:invalidate");
    let instances = instances(
        2,
        &format!(
            "[cache]\nbackends.default = \"memory://\"\nbackends.bus = \"{}\"\n\
             invalidation_channel = \"{channel}\"\noperation_timeout_ms = 250\n",
            sentinels.url()
        ),
    )
    .await;
    subscribed(&instances, "default").await;
    sentinels.kill_master().await;
    sentinels.wait_for_failover(Duration::from_secs(20)).await;
    crate::common::eventually(
        "subscribed to the new master",
        Duration::from_secs(10),
        || async {
            instances
                .iter()
                .all(|instance| instance.cache("default").invalidation_subscriptions() >= 2)
        },
    )
    .await;
    let name = unique("failed-over");
    set_note(&instances[0], &name, "v0").await;
    assert_eq!(read_note(&instances[1], &name).await, "v0");
    set_note(&instances[0], &name, "v1").await;
    crate::common::eventually(
        "the invalidation through the new master arrives",
        Duration::from_secs(5),
        || async { read_note(&instances[1], &name).await == "v1" },
    )
    .await;
}

/// A value written by code (`Cache::set`) replaces the other instances' copies: they
/// drop theirs. A `#[cache]` result, which each instance computes for itself, is not
/// announced (the instances would keep dropping each other's fresh copies).
#[tokio::test]
async fn a_value_set_by_code_replaces_the_other_instances_copies() {
    let channel = unique("apiview:invalidate");
    let instances = instances(
        2,
        &format!(
            "[cache]\nbackends.default = \"memory://\"\nbackends.bus = \"{}\"\ninvalidation_channel = \"{channel}\"\n",
            shared_cluster().url()
        ),
    )
    .await;
    subscribed(&instances, "default").await;
    let (first, second) = (instances[0].cache("default"), instances[1].cache("default"));
    let key = unique("price");
    let minute = Duration::from_secs(60);
    second.set(&key, &3, minute).await.unwrap();
    first.set(&key, &4, minute).await.unwrap();
    crate::common::eventually("the older copy dropped", Duration::from_secs(5), || async {
        second.get(&key).await.unwrap().is_none()
    })
    .await;
    // The second's announcement may reach the first after its own write and drop it:
    // a miss, never the older value.
    let kept = first.get(&key).await.unwrap();
    assert!(kept.is_none() || kept == Some(serde_json::json!(4)), "{kept:?}");
    // A `#[cache]` result stays where it was computed, and the other instance's stays:
    // neither store is announced (nothing else is written meanwhile).
    let path = "/slow_square?n=424242";
    let computed = [
        get(&instances[0].server, path).await.unwrap(),
        get(&instances[1].server, path).await.unwrap(),
    ];
    assert_eq!(super::distinct(&computed), 2, "each instance computes its own");
    tokio::time::sleep(Duration::from_millis(100)).await;
    for instance in &instances {
        let kept = instance.cache("default").backend().get_now("square:424242");
        assert!(matches!(kept, Some(Ok(Some(_)))), "{kept:?}");
    }
}

/// The price a slow read sees, read at the start of its computation.
static PRICE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

#[apiview::apiview]
#[apiview::allow_get]
#[apiview::cache(key = "price", expire = 60)]
async fn slow_price() -> u64 {
    let price = PRICE.load(std::sync::atomic::Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    price
}

/// What one instance invalidates while another computes the same key keeps that
/// computation from being stored there: it may be older than the invalidation.
#[tokio::test]
async fn another_instances_invalidation_keeps_a_computation_in_flight_from_being_stored() {
    let channel = unique("apiview:invalidate");
    let instances = super::instances_of(
        2,
        &format!(
            "[cache]\nbackends.default = \"memory://\"\nbackends.bus = \"{}\"\ninvalidation_channel = \"{channel}\"\n",
            shared_cluster().url()
        ),
        |settings| apiview::App::new(settings).at("/price", slow_price),
    )
    .await;
    subscribed(&instances, "default").await;
    let reading = get(&instances[1].server, "/price");
    let writing = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        PRICE.store(2, std::sync::atomic::Ordering::SeqCst);
        instances[0]
            .cache("default")
            .invalidate("price", &[])
            .await
            .unwrap()
    };
    let (read, _) = tokio::join!(reading, writing);
    assert_eq!(read.unwrap(), 1, "the read began before the write");
    assert_eq!(
        get(&instances[1].server, "/price").await.unwrap(),
        2,
        "the old price was stored"
    );
}
