//! Several instances on one Redis (DESIGN §18, issue 17): the `redis+cluster://` and
//! `redis+sentinel://` backends against real clusters of `redis-server` processes
//! (tests/common/redis_cluster.rs), and the demo App served three times in this
//! process, each instance with its own connections, flights and memory, sharing only
//! what Redis shares (and the demo's note store, which plays the database).
//!
//! The figures RELIABILITY.md reports (failed requests during a failover, time to
//! resume caching, computations per key under a miss storm, stale reads after an
//! invalidation) are printed and written to `target/tmp/cluster-figures.txt`.
//!
//! One cluster is shared by the tests that kill nothing; the failover tests start
//! their own.

#[path = "../common/mod.rs"]
mod common;

#[path = "../../examples/demo/endpoints.rs"]
mod endpoints;

mod backend;
mod failover;
mod flight;
mod invalidation;
mod shared_state;

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::OnceLock;
use std::time::Duration;

use apiview::cache::Cache;
use apiview::prelude::*;
use common::redis_cluster::RedisCluster;
use common::TestServer;
use serde_json::Value;

/// The cluster of the tests that kill nothing: 3 masters, 1 replica each.
fn shared_cluster() -> &'static RedisCluster {
    static CLUSTER: OnceLock<RedisCluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        // Started on a runtime of its own: the processes outlive any one test's.
        std::thread::spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(RedisCluster::start(3, 1))
        })
        .join()
        .expect("the cluster started")
    })
}

/// A name no other test (or earlier run) uses: keys and channels of one test.
fn unique(what: &str) -> String {
    format!("{what}-{:08x}", rand::random::<u32>())
}

/// One instance: the demo App served on its own port, and its cache handles.
struct Instance {
    server: TestServer,
    caches: HashMap<String, Cache>,
}

impl Instance {
    fn cache(&self, name: &str) -> &Cache {
        &self.caches[name]
    }
}

/// `count` instances of an App, each built from `toml` on its own by `build`.
async fn instances_of(count: usize, toml: &str, build: fn(Settings) -> App) -> Vec<Instance> {
    let mut served = Vec::new();
    for _ in 0..count {
        let settings = common::settings(toml);
        let names: Vec<String> = settings.cache.backends.keys().cloned().collect();
        let app = build(settings);
        let caches = names
            .into_iter()
            .filter_map(|name| Some((name.clone(), app.cache(&name)?)))
            .collect();
        served.push(Instance {
            server: common::serve(app).await,
            caches,
        });
    }
    served
}

/// `count` instances of the demo App.
async fn instances(count: usize, toml: &str) -> Vec<Instance> {
    instances_of(count, toml, endpoints::app).await
}

/// Waits until every instance listens for invalidations of cache `name`.
async fn subscribed(instances: &[Instance], name: &str) {
    common::eventually(
        "every instance subscribed to the invalidation channel",
        Duration::from_secs(10),
        || async {
            instances
                .iter()
                .all(|instance| instance.cache(name).invalidation_subscriptions() >= 1)
        },
    )
    .await;
}

/// GET `path` on `server`: the packed answer, or why there is none.
async fn get(server: &TestServer, path: &str) -> Result<Value, String> {
    let response = server
        .client
        .get(server.url(path))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|err| format!("no answer: {err}"))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .map_err(|err| format!("status {status}, not JSON: {err}"))?;
    if status != 200 || body["success"] != true {
        return Err(format!("status {status}: {body}"));
    }
    Ok(body["result"].clone())
}

/// The computation id of a `/slow_square` answer.
fn computation(answer: &Value) -> String {
    answer["computation"]
        .as_str()
        .unwrap_or_else(|| panic!("no computation id in {answer}"))
        .to_owned()
}

/// Distinct computation ids among answers.
fn distinct(answers: &[Value]) -> usize {
    answers.iter().map(computation).collect::<HashSet<_>>().len()
}

/// Prints a figure for RELIABILITY.md and keeps it in `target/tmp/cluster-figures.txt`.
fn figure(line: &str) {
    eprintln!("FIGURE {line}");
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cluster-figures.txt");
    if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = writeln!(file, "{line}");
    }
}

/// The median and the largest of some durations, in milliseconds.
fn median_and_max(mut values: Vec<Duration>) -> (f64, f64) {
    values.sort();
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    let median = values.get(values.len() / 2).map_or(0.0, ms);
    let max = values.last().map_or(0.0, ms);
    (median, max)
}
