//! `cargo xtask check-cluster`: the demo binary run three times, as three processes,
//! against a real Redis Cluster (3 masters and a replica each, formed by
//! `redis-cli --cluster create`), configured from the environment as a deployment
//! would be. What tests/cluster measures in one process, seen from outside: a miss
//! storm through the three computes each key once, and a master killed under load
//! fails no request.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use serde_json::Value;

use crate::http::{self, Request};
use crate::process::{self, command, free_port, Server};
use crate::redis;

/// How long the cluster may take to form, or to promote a replica.
const WITHIN: Duration = Duration::from_secs(30);

pub fn cluster() -> Result<()> {
    let demo = process::build(&["--example", "demo"], "demo")?;
    let work = process::scratch_dir("check-cluster")?;
    let mut nodes = (0..6)
        .map(|at| start_node(&work, at))
        .collect::<Result<Vec<_>>>()?;
    form(&nodes)?;
    let url = format!(
        "redis+cluster://{}/",
        nodes[..3]
            .iter()
            .map(|node| format!("127.0.0.1:{}", node.port))
            .collect::<Vec<_>>()
            .join(",")
    );
    let demos = (0..3)
        .map(|at| start_demo(&demo, &work, &url, at))
        .collect::<Result<Vec<_>>>()?;
    let ports: Vec<u16> = demos.iter().map(|demo| demo.port).collect();
    let computations = storm(&ports).context("the miss storm")?;
    println!(
        "check-cluster: 3 demo processes on a 3-master Redis Cluster: 10 keys × 30 concurrent misses, \
         computations per key {computations:?}"
    );
    let (answered, failed, promoted) = failover(&ports, &mut nodes)
        .with_context(|| format!("the failover; the first demo's log:\n{}", demos[0].log_tail(20)))?;
    println!(
        "check-cluster: a master killed under load: {answered} requests answered, {failed} failed; \
         promotion took {promoted:.2?}"
    );
    Ok(())
}

fn start_node(work: &Path, at: usize) -> Result<Server> {
    let (port, bus) = (free_port()?, free_port()?);
    let dir = work.join(format!("node-{at}"));
    std::fs::create_dir_all(&dir)?;
    let mut node = command("redis-server");
    node.args(["--port", &port.to_string(), "--cluster-port", &bus.to_string()])
        .args([
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--logfile",
            "",
        ])
        .args(["--cluster-enabled", "yes", "--cluster-node-timeout", "1000"])
        // A replica promoted however long it was cut off, and synced at once.
        .args([
            "--cluster-replica-validity-factor",
            "0",
            "--repl-diskless-sync-delay",
            "0",
        ])
        .arg("--dir")
        .arg(&dir);
    Server::start(&format!("redis-server {at}"), port, node, &dir.join("redis.log"))
}

/// Joins the nodes: the first three masters, a replica each; waits until every node
/// says the cluster is ok and every replica is in sync.
fn form(nodes: &[Server]) -> Result<()> {
    let mut create = command("redis-cli");
    create.args(["--cluster", "create"]);
    for node in nodes {
        create.arg(format!("127.0.0.1:{}", node.port));
    }
    create.args(["--cluster-replicas", "1", "--cluster-yes"]);
    process::output(&mut create).context("redis-cli --cluster create")?;
    wait("the cluster to form", || {
        Ok(nodes
            .iter()
            .all(|node| info(node.port, "cluster", "cluster_state") == Some("ok".into()))
            && nodes.iter().all(|node| {
                info(node.port, "replication", "role") == Some("master".into())
                    || info(node.port, "replication", "master_link_status") == Some("up".into())
            }))
    })
    .map(drop)
}

/// A field of `INFO section` (or of `CLUSTER INFO` for "cluster").
fn info(port: u16, section: &str, field: &str) -> Option<String> {
    let reply = match section {
        "cluster" => redis::call(port, &["CLUSTER", "INFO"]),
        section => redis::call(port, &["INFO", section]),
    }
    .ok()?;
    reply
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .map(|value| value.trim().to_owned())
}

/// Polls `ready` every 50 ms for [`WITHIN`]; how long it took.
fn wait(what: &str, mut ready: impl FnMut() -> Result<bool>) -> Result<Duration> {
    let started = Instant::now();
    while started.elapsed() < WITHIN {
        if ready()? {
            return Ok(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("waited {WITHIN:?} for {what}")
}

fn start_demo(demo: &Path, work: &Path, url: &str, at: usize) -> Result<Server> {
    let port = free_port()?;
    let mut server = command(demo);
    process::clear_apiview_env();
    server
        .env("APIVIEW_SETTINGS", "apiview.toml")
        .env("APIVIEW_CACHE__BACKENDS__DEFAULT", url)
        .env("APIVIEW_CACHE__SINGLE_FLIGHT", "cluster")
        .env("RUST_LOG", "warn")
        .args(["--addr", &format!("127.0.0.1:{port}")]);
    Server::start(
        &format!("demo {at}"),
        port,
        server,
        &work.join(format!("demo-{at}.log")),
    )
}

/// `/slow_square?n=` answered: its computation id.
fn computation(port: u16, n: i64) -> Result<String> {
    let response = http::send(port, &Request::get(&format!("/slow_square?n={n}")))?;
    let body: Value = response.json()?;
    ensure!(body["success"] == true, "/slow_square?n={n}: {body}");
    body["result"]["computation"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no computation id in {body}"))
}

/// 10 keys, 30 requests each spread over the three demos, all sent at once: how many
/// computations each key saw (distinct ids among its answers); each must be 1.
fn storm(ports: &[u16]) -> Result<Vec<usize>> {
    let keys = 10;
    let per_key = 30;
    let start = Barrier::new(keys * per_key);
    let answers: Vec<Result<(usize, String)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..keys * per_key)
            .map(|at| {
                let start = &start;
                scope.spawn(move || {
                    let key = at % keys;
                    start.wait();
                    computation(ports[at % ports.len()], 900_000 + key as i64).map(|id| (key, id))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap_or_else(|_| bail!("a storm thread panicked")))
            .collect()
    });
    let mut ids = vec![std::collections::BTreeSet::new(); keys];
    for answer in answers {
        let (key, id) = answer?;
        ids[key].insert(id);
    }
    let computations: Vec<usize> = ids.iter().map(|ids| ids.len()).collect();
    ensure!(
        computations.iter().all(|count| *count == 1),
        "computations per key {computations:?}: more than one"
    );
    Ok(computations)
}

/// Six clients through the three demos for two seconds, the master of `square:3`
/// killed (SIGKILL), on until its replica is promoted and two seconds more: the
/// requests answered and failed, and how long the promotion took.
fn failover(ports: &[u16], nodes: &mut [Server]) -> Result<(usize, usize, Duration)> {
    let stop = AtomicBool::new(false);
    let (answered, failed) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let promoted = std::thread::scope(|scope| -> Result<Duration> {
        for worker in 0..6 {
            let (stop, answered, failed) = (&stop, &answered, &failed);
            scope.spawn(move || {
                let mut at = 0usize;
                while !stop.load(Ordering::SeqCst) {
                    let port = ports[(worker + at) % ports.len()];
                    match computation(port, ((worker * 5 + at) % 30) as i64) {
                        Ok(_) => answered.fetch_add(1, Ordering::SeqCst),
                        Err(_) => failed.fetch_add(1, Ordering::SeqCst),
                    };
                    at += 1;
                }
            });
        }
        std::thread::sleep(Duration::from_secs(2));
        let killed = kill_master_of(nodes, "square:3");
        let promoted = killed.and_then(|(killed, slot)| {
            let survivors: Vec<u16> = nodes
                .iter()
                .map(|node| node.port)
                .filter(|port| *port != killed)
                .collect();
            wait("a replica promoted", || {
                Ok(survivors.iter().all(|port| {
                    info(*port, "cluster", "cluster_state") == Some("ok".into())
                        && master_of(*port, slot).is_some_and(|master| master != killed)
                }))
            })
        });
        std::thread::sleep(Duration::from_secs(2));
        stop.store(true, Ordering::SeqCst);
        promoted
    })?;
    let (answered, failed) = (answered.into_inner(), failed.into_inner());
    ensure!(failed == 0, "{failed} requests failed ({answered} answered)");
    ensure!(answered > 0, "no request was answered");
    Ok((answered, failed, promoted))
}

/// SIGKILLs the master that holds `key`'s slot: its port and the slot.
fn kill_master_of(nodes: &mut [Server], key: &str) -> Result<(u16, u16)> {
    let any = nodes[0].port;
    let slot: u16 = redis::integer(any, &["CLUSTER", "KEYSLOT", key])?.try_into()?;
    let owner = master_of(any, slot).with_context(|| format!("node {any} names no master of slot {slot}"))?;
    let node = nodes
        .iter_mut()
        .find(|node| node.port == owner)
        .with_context(|| format!("the master of slot {slot} is on port {owner}, not one of ours"))?;
    // SAFETY: kill(2) on our own child, not reaped yet.
    unsafe { libc::kill(node.pid() as libc::pid_t, libc::SIGKILL) };
    Ok((owner, slot))
}

/// The port of the master that holds `slot`, as the node on `port` sees it (from
/// `CLUSTER NODES`: `id host:port@bus flags master ping pong epoch state slots...`).
fn master_of(port: u16, slot: u16) -> Option<u16> {
    let view = redis::call(port, &["CLUSTER", "NODES"]).ok()?;
    view.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .filter(|fields| fields.get(2).is_some_and(|flags| flags.contains("master") && !flags.contains("fail")))
        .find(|fields| {
            fields.iter().skip(8).any(|range| {
                let (first, last) = range.split_once('-').unwrap_or((range, range));
                matches!((first.parse::<u16>(), last.parse::<u16>()), (Ok(first), Ok(last)) if (first..=last).contains(&slot))
            })
        })
        .and_then(|fields| fields.get(1)?.split(['@', ':']).nth(1)?.parse().ok())
}
