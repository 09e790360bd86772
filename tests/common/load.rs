//! Concurrent load for the fault and security tests: clients sending requests in a
//! loop, every answer checked against what it must be, counts kept per label.
//!
//! Included with `#[path = "common/load.rs"] mod load;` by the test files that use it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// One request and the exact JSON answer it must get (with status 200).
pub struct Shot {
    pub label: &'static str,
    pub request: reqwest::RequestBuilder,
    pub expect: Value,
}

/// Counts of one label.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Requests sent.
    pub sent: u64,
    /// Answered 200 with exactly the expected JSON.
    pub ok: u64,
    /// Anything else: no answer, another status, another body.
    pub failed: u64,
    /// Of the failed, answers with a 5xx status.
    pub server_errors: u64,
    /// Slowest answer, in milliseconds.
    pub max_ms: u64,
}

/// Counts per label at one moment.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub tallies: BTreeMap<&'static str, Tally>,
    pub failures: Vec<String>,
    pub elapsed: Duration,
    pub clients: usize,
    /// Whether it is a part of a run ([`Snapshot::since`]): the slowest answer is
    /// then the whole run's so far.
    pub part: bool,
}

impl Snapshot {
    pub fn get(&self, label: &str) -> Tally {
        self.tallies.get(label).copied().unwrap_or_default()
    }

    pub fn total(&self) -> Tally {
        self.tallies.values().fold(Tally::default(), |sum, t| Tally {
            sent: sum.sent + t.sent,
            ok: sum.ok + t.ok,
            failed: sum.failed + t.failed,
            server_errors: sum.server_errors + t.server_errors,
            max_ms: sum.max_ms.max(t.max_ms),
        })
    }

    /// What happened since `earlier` (max latency: the whole run's).
    pub fn since(&self, earlier: &Snapshot) -> Snapshot {
        let tallies = self
            .tallies
            .iter()
            .map(|(label, now)| {
                let before = earlier.get(label);
                let tally = Tally {
                    sent: now.sent - before.sent,
                    ok: now.ok - before.ok,
                    failed: now.failed - before.failed,
                    server_errors: now.server_errors - before.server_errors,
                    max_ms: now.max_ms,
                };
                (*label, tally)
            })
            .collect();
        Snapshot {
            tallies,
            failures: self.failures[earlier.failures.len().min(self.failures.len())..].to_vec(),
            elapsed: self.elapsed.saturating_sub(earlier.elapsed),
            clients: self.clients,
            part: true,
        }
    }

    /// Prints the figures, one line per label, prefixed `figures <name>:`, for
    /// RELIABILITY.md (run with `--nocapture`).
    pub fn print(&self, name: &str) {
        let total = self.total();
        println!(
            "figures {name}: {} clients, {:.1} s, {} requests, {} failed, {} 5xx",
            self.clients,
            self.elapsed.as_secs_f64(),
            total.sent,
            total.failed,
            total.server_errors
        );
        let slowest = if self.part { "slowest so far" } else { "slowest" };
        for (label, t) in &self.tallies {
            println!(
                "figures {name}:   {label}: sent {}, as expected {}, failed {}, 5xx {}, {slowest} {} ms",
                t.sent, t.ok, t.failed, t.server_errors, t.max_ms
            );
        }
    }

    /// Panics, showing the first failures, unless no request failed.
    pub fn assert_no_failure(&self, name: &str) {
        let total = self.total();
        assert!(
            total.failed == 0,
            "{name}: {} of {} requests failed ({} with a 5xx); first ones:\n{}",
            total.failed,
            total.sent,
            total.server_errors,
            self.failures.join("\n")
        );
    }
}

struct Stats {
    tallies: Mutex<BTreeMap<&'static str, Tally>>,
    failures: Mutex<Vec<String>>,
    sent: AtomicU64,
}

/// Clients running in the background until [`Load::stop`].
pub struct Load {
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    stats: Arc<Stats>,
    started: Instant,
    clients: usize,
}

/// At most this many failure messages are kept.
const FAILURES_KEPT: usize = 20;

impl Load {
    /// Starts `clients` clients; client `c` sends `pick(client, c, n)` as its `n`th
    /// request. Each client has a connection of its own (keep-alive).
    pub fn start<F>(clients: usize, pick: F) -> Load
    where
        F: Fn(&reqwest::Client, usize, u64) -> Shot + Send + Sync + 'static,
    {
        let pick = Arc::new(pick);
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(Stats {
            tallies: Mutex::new(BTreeMap::new()),
            failures: Mutex::new(Vec::new()),
            sent: AtomicU64::new(0),
        });
        let tasks = (0..clients)
            .map(|c| {
                let (pick, stop, stats) = (pick.clone(), stop.clone(), stats.clone());
                tokio::spawn(async move {
                    let client = reqwest::Client::builder()
                        .timeout(Duration::from_secs(30))
                        .build()
                        .unwrap();
                    let mut n = 0;
                    while !stop.load(Ordering::SeqCst) {
                        let shot = pick(&client, c, n);
                        n += 1;
                        stats.sent.fetch_add(1, Ordering::SeqCst);
                        let start = Instant::now();
                        let outcome = check(shot.request, &shot.expect).await;
                        let ms = start.elapsed().as_millis() as u64;
                        let mut tallies = stats.tallies.lock().unwrap();
                        let tally = tallies.entry(shot.label).or_default();
                        tally.sent += 1;
                        tally.max_ms = tally.max_ms.max(ms);
                        match outcome {
                            Ok(()) => tally.ok += 1,
                            Err((status, message)) => {
                                tally.failed += 1;
                                if status >= 500 {
                                    tally.server_errors += 1;
                                }
                                drop(tallies);
                                let mut failures = stats.failures.lock().unwrap();
                                if failures.len() < FAILURES_KEPT {
                                    failures.push(format!("{}: {message}", shot.label));
                                }
                            }
                        }
                    }
                })
            })
            .collect();
        Load {
            stop,
            tasks,
            stats,
            started: Instant::now(),
            clients,
        }
    }

    /// The counts so far.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            tallies: self.stats.tallies.lock().unwrap().clone(),
            failures: self.stats.failures.lock().unwrap().clone(),
            elapsed: self.started.elapsed(),
            clients: self.clients,
            part: false,
        }
    }

    /// Requests sent so far, all labels.
    pub fn sent(&self) -> u64 {
        self.stats.sent.load(Ordering::SeqCst)
    }

    /// Waits until `more` further requests have been sent (at most `within`).
    pub async fn wait_for_more(&self, more: u64, within: Duration) {
        let target = self.sent() + more;
        let deadline = Instant::now() + within;
        while self.sent() < target {
            assert!(
                Instant::now() < deadline,
                "the load sent {} of {more} requests within {within:?}",
                more - (target - self.sent())
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the clients (each finishes its request in flight) and returns the counts.
    pub async fn stop(mut self) -> Snapshot {
        self.stop.store(true, Ordering::SeqCst);
        for task in std::mem::take(&mut self.tasks) {
            task.await.expect("a load client panicked");
        }
        self.snapshot()
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Runs the clients for `duration`.
pub async fn run_for<F>(clients: usize, duration: Duration, pick: F) -> Snapshot
where
    F: Fn(&reqwest::Client, usize, u64) -> Shot + Send + Sync + 'static,
{
    let load = Load::start(clients, pick);
    tokio::time::sleep(duration).await;
    load.stop().await
}

/// Runs the clients until about `requests` requests have been sent.
pub async fn run_count<F>(clients: usize, requests: u64, within: Duration, pick: F) -> Snapshot
where
    F: Fn(&reqwest::Client, usize, u64) -> Shot + Send + Sync + 'static,
{
    let load = Load::start(clients, pick);
    load.wait_for_more(requests.saturating_sub(load.sent()), within)
        .await;
    load.stop().await
}

async fn check(request: reqwest::RequestBuilder, expect: &Value) -> Result<(), (u16, String)> {
    let response = request
        .send()
        .await
        .map_err(|err| (0, format!("no answer: {err}")))?;
    let status = response.status().as_u16();
    let bytes = response
        .bytes()
        .await
        .map_err(|err| (status, format!("status {status}, unreadable body: {err}")))?;
    let body: Value = serde_json::from_slice(&bytes).map_err(|_| {
        (
            status,
            format!("status {status}, not JSON: {:?}", String::from_utf8_lossy(&bytes)),
        )
    })?;
    if status != 200 || &body != expect {
        return Err((status, format!("status {status}, {body} instead of {expect}")));
    }
    Ok(())
}

/// The process's resident set size in bytes (VmRSS of /proc/self/status).
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status (Linux)");
    let kb: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line in /proc/self/status");
    kb * 1024
}
