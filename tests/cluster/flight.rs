//! `cache.single_flight = "cluster"`: one computation per key across instances,
//! the lease of a crashed holder, renewal while a computation runs, and the fencing
//! token that keeps a holder whose lease ran out from writing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use apiview::cache::{CacheBackend, FlightTurn, RedisBackend};
use apiview::prelude::*;
use futures_util::future::join_all;
use redis::AsyncCommands;
use serde_json::Value;

use super::{distinct, figure, get, instances, instances_of, shared_cluster, Instance};

fn settings(single_flight: &str, lease_ms: u64) -> String {
    format!(
        "[cache]\nbackends.default = \"{}\"\nsingle_flight = \"{single_flight}\"\n\
         single_flight_lease_ms = {lease_ms}\noperation_timeout_ms = 500\n",
        shared_cluster().url()
    )
}

/// `per_key` concurrent requests for each of `keys` values of n, spread over the
/// instances in turn, all sent at once: the answers, by key.
async fn storm(instances: &[Instance], base: i64, keys: i64, per_key: usize) -> Vec<Vec<Value>> {
    let requests = (0..keys).flat_map(|k| (0..per_key).map(move |at| (k, at)));
    let answers = join_all(requests.map(|(k, at)| async move {
        let instance = &instances[at % instances.len()];
        let answer = get(&instance.server, &format!("/slow_square?n={}", base + k)).await;
        (
            k,
            answer.unwrap_or_else(|problem| panic!("/slow_square?n={}: {problem}", base + k)),
        )
    }))
    .await;
    let mut by_key = vec![Vec::new(); keys as usize];
    for (k, answer) in answers {
        by_key[k as usize].push(answer);
    }
    by_key
}

#[tokio::test]
async fn a_miss_storm_across_three_instances_computes_each_key_once() {
    let instances = instances(3, &settings("cluster", 5_000)).await;
    let (keys, per_key) = (20, 30);
    let started = Instant::now();
    let by_key = storm(&instances, 100_000, keys, per_key).await;
    let took = started.elapsed();
    let computations: Vec<usize> = by_key.iter().map(|answers| distinct(answers)).collect();
    figure(&format!(
        "miss storm, single_flight = cluster: {keys} keys × {per_key} concurrent requests over 3 instances: \
         computations per key {computations:?} (in {took:.2?})"
    ));
    assert!(computations.iter().all(|count| *count == 1), "{computations:?}");
    // Nothing of the flights is left behind: keys computed once cost no lock or fence
    // (a fence once outlived its flight by an hour, so that Redis grew with the misses
    // clients asked for).
    for k in 0..keys {
        let key = format!("square:{}", 100_000 + k);
        assert_eq!(flight_keys_left(&key).await, [false, false], "{key}");
    }
}

/// Whether the lock and the fence of the flight on `key` are in the shared cluster.
async fn flight_keys_left(key: &str) -> [bool; 2] {
    let connection = shared_cluster().connection().await;
    let exists = |name: String| {
        let mut connection = connection.clone();
        async move { connection.exists::<_, bool>(name).await.unwrap() }
    };
    [
        exists(format!("apiview:flight:{{{key}}}")).await,
        exists(format!("apiview:fence:{{{key}}}")).await,
    ]
}

/// The control: with single flight per instance, each instance computes.
#[tokio::test]
async fn a_miss_storm_with_local_single_flight_computes_once_per_instance() {
    let instances = instances(3, &settings("local", 5_000)).await;
    let (keys, per_key) = (20, 30);
    let by_key = storm(&instances, 200_000, keys, per_key).await;
    let computations: Vec<usize> = by_key.iter().map(|answers| distinct(answers)).collect();
    figure(&format!(
        "miss storm, single_flight = local (control): computations per key {computations:?}"
    ));
    assert!(
        computations.iter().all(|count| (1..=3).contains(count)),
        "{computations:?}"
    );
    assert!(computations.iter().any(|count| *count > 1), "{computations:?}");
}

/// A lock whose holder crashed (taken here and never released) holds the others up
/// until its lease runs out; then one of them computes, under the next fence number.
#[tokio::test]
async fn a_crashed_holders_lease_runs_out() {
    let cluster = shared_cluster();
    let instances = instances(2, &settings("cluster", 5_000)).await;
    let n = 300_001;
    let key = format!("square:{n}");
    let crashed = RedisBackend::new(&cluster.url(), Duration::from_millis(500)).unwrap();
    let lease = Duration::from_millis(1_500);
    let FlightTurn::Lead(_) = crashed.flight(&key, lease).await.unwrap() else {
        panic!("the lock was free");
    };
    let started = Instant::now();
    let path = format!("/slow_square?n={n}");
    let answers = join_all(instances.iter().map(|instance| get(&instance.server, &path))).await;
    let waited = started.elapsed();
    let answers: Vec<Value> = answers.into_iter().map(Result::unwrap).collect();
    assert_eq!(super::distinct(&answers), 1, "{answers:?}");
    // The flight that took over landed: neither its lock nor its fence is left.
    assert_eq!(flight_keys_left(&key).await, [false, false]);
    figure(&format!(
        "crashed holder: lease {lease:?}; the other instances answered after {waited:.2?} with one computation"
    ));
    assert!(
        waited >= lease / 2,
        "answered after {waited:?}: the lock was not waited for"
    );
}

/// A holder whose lease ran out (paused) lands nothing: the later holder's value
/// stands, and the late one's release leaves the later lock alone.
#[tokio::test]
async fn a_late_holder_is_fenced_off() {
    let cluster = shared_cluster();
    let backend = RedisBackend::new(&cluster.url(), Duration::from_millis(500)).unwrap();
    let key = super::unique("fenced");
    let lease = Duration::from_millis(1_000);
    let FlightTurn::Lead(late) = backend.flight(&key, lease).await.unwrap() else {
        panic!("the lock was free");
    };
    assert_eq!(backend.flight(&key, lease).await.unwrap(), FlightTurn::Wait);
    tokio::time::sleep(lease * 3 / 2).await;
    let FlightTurn::Lead(current) = backend.flight(&key, Duration::from_secs(5)).await.unwrap() else {
        panic!("the expired lock was not free");
    };
    assert!(current.number() > late.number(), "{current:?} after {late:?}");
    let minute = Duration::from_secs(60);
    assert!(!backend
        .land_flight(&key, &late, Some(("\"late\"".into(), minute)))
        .await
        .unwrap());
    assert!(!backend.land_flight(&key, &late, None).await.unwrap());
    assert_eq!(
        backend.flight(&key, lease).await.unwrap(),
        FlightTurn::Wait,
        "still held"
    );
    assert!(backend
        .land_flight(&key, &current, Some(("\"current\"".into(), minute)))
        .await
        .unwrap());
    assert_eq!(
        backend.get(&key).await.unwrap().as_deref(),
        Some(&b"\"current\""[..])
    );
    assert_eq!(
        backend.flight(&key, lease).await.unwrap(),
        FlightTurn::Stored("\"current\"".into())
    );
}

static SLOW_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Takes longer than its lease: only renewal keeps the others waiting.
#[apiview]
#[allow_get]
#[cache(key = "slower:{n}", expire = 60)]
async fn slower(n: i64) -> i64 {
    SLOW_CALLS.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    n
}

#[tokio::test]
async fn a_lease_is_renewed_while_the_computation_runs() {
    let instances = instances_of(3, &settings("cluster", 900), |settings| {
        App::new(settings).at("/slower", slower)
    })
    .await;
    let n = 7;
    let path = format!("/slower?n={n}");
    let answers = join_all((0..9).map(|at| get(&instances[at % 3].server, &path))).await;
    for answer in answers {
        assert_eq!(answer.unwrap(), Value::from(n));
    }
    assert_eq!(SLOW_CALLS.load(Ordering::SeqCst), 1, "computed more than once");
}

/// What taking the lock costs a miss: the median time of one miss (a 100 ms
/// computation) with single flight per instance and across instances, one request at
/// a time. A figure, not an assertion.
#[tokio::test]
async fn what_the_lock_costs_a_miss() {
    let mut medians = Vec::new();
    for (mode, base) in [("local", 400_000), ("cluster", 500_000)] {
        let instance = &instances(1, &settings(mode, 5_000)).await[0];
        let mut times = Vec::new();
        for k in 0..30 {
            let started = Instant::now();
            get(&instance.server, &format!("/slow_square?n={}", base + k))
                .await
                .unwrap();
            times.push(started.elapsed());
        }
        medians.push((mode, super::median_and_max(times).0));
    }
    figure(&format!(
        "one miss (100 ms computation), median: single_flight = local {:.1} ms, cluster {:.1} ms",
        medians[0].1, medians[1].1
    ));
}
