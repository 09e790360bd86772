//! The Redis Cluster and Sentinel harness (tests/common/redis_cluster.rs) works and is
//! quick enough: each setup starts, serves reads and writes, and fails over to a
//! replica that kept the data, within bounds the cache backends' failover tests can
//! rely on. The figures are printed (`cargo test --test redis_cluster_harness --
//! --nocapture`).

mod common;

use std::time::{Duration, Instant};

use common::redis_cluster::{RedisCluster, RedisSentinelSet};
use redis::AsyncCommands;

/// Keys on the three masters of a three-master cluster: slots 9084, 2127 and 13861 of
/// 5461-10921, 0-5460 and 10922-16383.
const KEYS: [&str; 3] = ["one", "two", "three"];

#[tokio::test]
async fn a_cluster_serves_every_slot_and_promotes_a_replica_that_kept_the_data() {
    let started = Instant::now();
    let mut cluster = RedisCluster::start(3, 1).await;
    eprintln!(
        "cluster of 3 masters x 1 replica ready in {:?}",
        started.elapsed()
    );
    assert_eq!(cluster.master_ports().len(), 3);
    assert_eq!(cluster.node_urls().len(), 6);
    assert!(
        cluster.url().starts_with("redis+cluster://127.0.0.1:"),
        "{}",
        cluster.url()
    );

    let mut slots = Vec::new();
    for key in KEYS {
        slots.push(cluster.slot_of(key).await);
    }
    assert_eq!(slots, [9084, 2127, 13861]);

    let mut connection = cluster.connection().await;
    for key in KEYS {
        let () = connection.set(key, format!("value of {key}")).await.unwrap();
    }
    // Every master's replica has everything written so far.
    let acknowledged: i64 = redis::cmd("WAIT")
        .arg(1)
        .arg(1000)
        .query_async(&mut connection)
        .await
        .unwrap();
    assert_eq!(acknowledged, 1, "a replica did not acknowledge the writes");
    for key in KEYS {
        let value: String = connection.get(key).await.unwrap();
        assert_eq!(value, format!("value of {key}"));
    }

    let killed = cluster.kill_master_of(KEYS[0]).await;
    let promoted = cluster.wait_for_promotion(KEYS[0], Duration::from_secs(10)).await;
    eprintln!(
        "master {} of slot {} killed: a replica promoted after {promoted:?} ({:?} since the kill)",
        killed.port,
        killed.slot,
        killed.at.elapsed()
    );
    for key in KEYS {
        let value: String = connection.get(key).await.unwrap();
        assert_eq!(value, format!("value of {key}"), "after the failover");
    }
    let () = connection
        .set(KEYS[0], "written after the failover")
        .await
        .unwrap();

    let settled = cluster.restart(killed.port).await;
    eprintln!("the killed master back as a replica, cluster settled after {settled:?}");
    let info: String = redis::cmd("INFO")
        .arg("replication")
        .query_async(&mut cluster.node(killed.port).connection().await)
        .await
        .unwrap();
    assert!(info.contains("role:slave"), "the restarted master: {info}");
    let value: String = connection.get(KEYS[0]).await.unwrap();
    assert_eq!(value, "written after the failover");
    assert!(
        started.elapsed() < Duration::from_secs(45),
        "the cluster test took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_sentinel_set_fails_over_to_a_replica_that_accepts_writes() {
    let started = Instant::now();
    let mut set = RedisSentinelSet::start().await;
    eprintln!(
        "sentinel set (master, replica, 3 sentinels) ready in {:?}",
        started.elapsed()
    );
    assert!(
        set.url().starts_with("redis+sentinel://127.0.0.1:"),
        "{}",
        set.url()
    );
    assert!(set.url().ends_with("/apiview/0"), "{}", set.url());

    let mut master = set.master_connection().await;
    let () = master.set("before", "the failover").await.unwrap();
    let acknowledged: i64 = redis::cmd("WAIT")
        .arg(1)
        .arg(1000)
        .query_async(&mut master)
        .await
        .unwrap();
    assert_eq!(acknowledged, 1, "the replica did not acknowledge the write");

    let old = set.kill_master().await;
    let took = set.wait_for_failover(Duration::from_secs(15)).await;
    eprintln!(
        "master {old} killed: the sentinels named {} after {took:?}",
        set.master_port()
    );
    assert_ne!(set.master_port(), old);

    let mut master = set.master_connection().await;
    let value: String = master.get("before").await.unwrap();
    assert_eq!(value, "the failover");
    let () = master.set("after", "the failover").await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(45),
        "the sentinel test took {:?}",
        started.elapsed()
    );
}
