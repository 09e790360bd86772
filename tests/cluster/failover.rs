//! A master killed under load: the cluster promotes its replica, Sentinel fails the
//! master over, and through both, requests through three instances keep being answered
//! (a cache that fails is a computed answer: `ignore_errors`), and caching resumes.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;

use super::{computation, figure, get, instances, Instance};
use crate::common::redis_cluster::{RedisCluster, RedisSentinelSet};

/// Keys of the load: `/slow_square?n=0..KEYS`, on every master.
const KEYS: i64 = 30;

/// What a stream of requests saw.
#[derive(Default)]
struct Load {
    answered: AtomicUsize,
    failed: AtomicUsize,
    /// Answered in the two seconds after caching resumed.
    after_resumption: AtomicUsize,
    problems: std::sync::Mutex<Vec<String>>,
}

/// Six workers sending requests round the instances and the keys until `stop`.
async fn load(instances: &[Instance], stop: &AtomicBool, seen: &Load) {
    let workers = (0..6).map(|worker| async move {
        let mut at = 0;
        while !stop.load(Ordering::SeqCst) {
            let instance = &instances[(worker + at) % instances.len()];
            // Each worker on its own keys: they warm up side by side.
            let n = (worker as i64 * 5 + at as i64) % KEYS;
            match get(&instance.server, &format!("/slow_square?n={n}")).await {
                Ok(_) => seen.answered.fetch_add(1, Ordering::SeqCst),
                Err(problem) => {
                    seen.problems.lock().unwrap().push(problem);
                    seen.failed.fetch_add(1, Ordering::SeqCst)
                }
            };
            at += 1;
        }
    });
    join_all(workers).await;
}

/// How long after `killed` a key is served from the cache again: two requests in a
/// row answered by one computation.
async fn resumed_caching(instance: &Instance, n: i64, killed: Instant) -> Duration {
    let path = format!("/slow_square?n={n}");
    loop {
        let first = get(&instance.server, &path)
            .await
            .map(|answer| computation(&answer));
        let second = get(&instance.server, &path)
            .await
            .map(|answer| computation(&answer));
        if let (Ok(first), Ok(second)) = (first, second) {
            if first == second {
                return killed.elapsed();
            }
        }
        assert!(
            killed.elapsed() < Duration::from_secs(30),
            "caching did not resume within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What fails over: a cluster's master of a key, or the Sentinels' master.
enum Failing<'a> {
    Cluster(&'a mut RedisCluster, String),
    Sentinel(&'a mut RedisSentinelSet),
}

impl Failing<'_> {
    /// Kills the master; when.
    async fn kill(&mut self) -> Instant {
        match self {
            Failing::Cluster(cluster, key) => cluster.kill_master_of(key).await.at,
            Failing::Sentinel(sentinels) => {
                sentinels.kill_master().await;
                Instant::now()
            }
        }
    }

    /// Waits until another node is master; how long from the call.
    async fn failed_over(&self) -> Duration {
        let within = Duration::from_secs(20);
        match self {
            Failing::Cluster(cluster, key) => cluster.wait_for_promotion(key, within).await,
            Failing::Sentinel(sentinels) => sentinels.wait_for_failover(within).await,
        }
    }
}

/// Runs the load for two seconds, kills the master, and runs on until the failover is
/// over and key `n` is cached again, and two seconds more: the load's answers and
/// failures, the failover's duration and the time to resume caching, both from the
/// kill.
async fn through_a_failover(
    instances: &[Instance],
    n: i64,
    mut failing: Failing<'_>,
) -> (Arc<Load>, Duration, Duration) {
    let stop = AtomicBool::new(false);
    let seen = Arc::new(Load::default());
    let running = load(instances, &stop, &seen);
    let failing_over = async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let killed = failing.kill().await;
        // The failover is timed from right after the kill, the resumption from the kill.
        let (failover, resumed) =
            tokio::join!(failing.failed_over(), resumed_caching(&instances[1], n, killed));
        let at_resumption = seen.answered.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(2)).await;
        seen.after_resumption.store(
            seen.answered.load(Ordering::SeqCst) - at_resumption,
            Ordering::SeqCst,
        );
        stop.store(true, Ordering::SeqCst);
        (failover, resumed)
    };
    let ((), (failover, resumed)) = tokio::join!(running, failing_over);
    (seen, failover, resumed)
}

fn settings(url: &str) -> String {
    format!(
        "[cache]\nbackends.default = \"{url}\"\nsingle_flight = \"cluster\"\noperation_timeout_ms = 250\n"
    )
}

fn assert_answered(what: &str, seen: &Load, failover: Duration, resumed: Duration) {
    let (answered, failed) = (
        seen.answered.load(Ordering::SeqCst),
        seen.failed.load(Ordering::SeqCst),
    );
    figure(&format!(
        "{what}: {answered} requests answered, {failed} failed, through 3 instances; \
         failover took {failover:.2?}; caching resumed {resumed:.2?} after the kill"
    ));
    assert_eq!(failed, 0, "{:?}", seen.problems.lock().unwrap());
    // A single-flight lock taken on the old master, replicated and then orphaned by
    // the failover, once held every request for its key until its lease ran out: the
    // load stalled.
    let after = seen.after_resumption.load(Ordering::SeqCst);
    assert!(
        after > 100,
        "{after} requests answered in the 2 s after caching resumed"
    );
}

#[tokio::test]
async fn no_request_fails_while_a_cluster_master_fails_over() {
    let mut cluster = RedisCluster::start(3, 1).await;
    let instances = instances(3, &settings(&cluster.url())).await;
    let n = 3;
    let failing = Failing::Cluster(&mut cluster, format!("square:{n}"));
    let (seen, failover, resumed) = through_a_failover(&instances, n, failing).await;
    assert_answered("Redis Cluster, a master killed", &seen, failover, resumed);
}

#[tokio::test]
async fn no_request_fails_while_sentinel_fails_the_master_over() {
    let mut sentinels = RedisSentinelSet::start().await;
    let instances = instances(3, &settings(&sentinels.url())).await;
    let failing = Failing::Sentinel(&mut sentinels);
    let (seen, failover, resumed) = through_a_failover(&instances, 5, failing).await;
    assert_answered("Sentinel, the master killed", &seen, failover, resumed);
}

static ORPHAN_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Slower than a failover takes to begin.
#[apiview::apiview]
#[apiview::allow_get]
#[apiview::cache(key = "orphan:{n}", expire = 60)]
async fn slow_orphan(n: i64) -> i64 {
    ORPHAN_CALLS.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    n
}

/// A single-flight lock taken on a master that dies during the computation lives on,
/// replicated, on the promoted replica: released as soon as the cluster answers again,
/// not when its lease runs out (which held every request for its key up until then).
#[tokio::test]
async fn a_lock_orphaned_by_a_failover_is_released_once_redis_answers() {
    let mut cluster = RedisCluster::start(3, 1).await;
    let toml = format!(
        "[cache]\nbackends.default = \"{}\"\nsingle_flight = \"cluster\"\nsingle_flight_lease_ms = 20000\n\
         operation_timeout_ms = 250\n",
        cluster.url()
    );
    let instance = &super::instances_of(1, &toml, |settings| {
        apiview::App::new(settings).at("/orphan", slow_orphan)
    })
    .await[0];
    let key = "orphan:1";
    let lock = format!("apiview:flight:{{{key}}}");
    let computing = get(&instance.server, "/orphan?n=1");
    let failing_over = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut connection = cluster.connection().await;
        let held: bool = redis::AsyncCommands::exists(&mut connection, &lock)
            .await
            .unwrap();
        assert!(held, "the computation holds the lock");
        cluster.kill_master_of(key).await;
        cluster.wait_for_promotion(key, Duration::from_secs(20)).await
    };
    let (answer, _) = tokio::join!(computing, failing_over);
    assert_eq!(answer.unwrap(), serde_json::json!(1));
    let connection = cluster.connection().await;
    crate::common::eventually("the orphaned lock released", Duration::from_secs(3), || {
        let mut connection = connection.clone();
        let lock = lock.clone();
        async move {
            !redis::AsyncCommands::exists::<_, bool>(&mut connection, &lock)
                .await
                .unwrap_or(true)
        }
    })
    .await;
}
