//! `cargo xtask bench`: the apiview demo next to a hand-written poem baseline
//! (tools/src/bin/baseline.rs, byte for byte the same answers), plus the cache
//! endpoints on the embedded memory backend and on a private redis-server, plus the
//! safe packer on examples/safe (`--serve`, 2048-bit throw-away keys): safe-packed
//! /ping next to the same server's simple-packed /plain_ping, POST /decode_echo with
//! a body encrypted for the server (the decrypt-request cost: one RSA-OAEP decryption
//! per request, on the blocking pool), and /plain_ping measured while a second wrk
//! drives that encrypted POST /decode_echo next to it ("mixed": do the RSA
//! decryptions stall the async workers?). /decode_echo is `#[decode_encrypted_data]`
//! without the safe packer: wrk sends one prepared body over and over, which a safe
//! endpoint would refuse after the first copy (its requests are signed, carry a fresh
//! nonce each and are accepted once, DESIGN §19), so measuring one would measure
//! refusals. A control runs POST /echo on a second, identical baseline: its ratio to
//! the first would be 1.00 on a quiet machine, and its spread across rounds is this
//! run's noise.
//!
//! Before the runs, a self-check sends the same requests to the demo and the baseline
//! and compares the bodies, content-types and x-request-id formats. Each run reports
//! requests/s, p50 and p99 (wrk --latency), the server's peak RSS during the run
//! (VmHWM, reset before each run) and "other CPU": what processes outside the
//! benchmark took meanwhile (a build next door, steal time), which says how far to
//! trust the figures. Ratios are given for the best run of each side and per round.
//! The report is printed and written to target/bench/latest.txt.

mod report;
mod selfcheck;
mod servers;
pub mod snippets;
mod system;
mod wrk;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::{process, redis};
use servers::{Servers, Target};
use wrk::{Figures, Load};

/// The environment knobs (names and defaults as scripts/bench.sh always had them).
pub struct Config {
    /// BENCH_DURATION (5s): each measured run, in wrk's units.
    pub duration: String,
    /// BENCH_THREADS (2).
    pub threads: u32,
    /// BENCH_CONNECTIONS (32).
    pub connections: u32,
    /// BENCH_ROUNDS (7): each figure is the best round, each ratio also the median of
    /// the rounds: this machine's speed drifts by 10 % from one run to the next, so
    /// many short pairs run back to back say more than a few long ones.
    pub rounds: u32,
    /// BENCH_WARMUP (2s per endpoint).
    pub warmup: String,
    /// BENCH_MIXED_CONNECTIONS (4): connections of the background wrk -t1 of the mixed run.
    pub mixed_connections: u32,
    /// BENCH_ALLOW_MISMATCH=1: go on when the baseline's bytes differ from the demo's.
    pub allow_mismatch: bool,
}

/// An environment knob: its value, or `default` when unset or empty.
fn var(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// A whole-number environment knob.
fn number(name: &str, default: &str) -> Result<u32> {
    let value = var(name, default);
    value
        .parse()
        .with_context(|| format!("{name} must be a whole number, not `{value}`"))
}

impl Config {
    pub fn from_env() -> Result<Config> {
        let config = Config {
            duration: var("BENCH_DURATION", "5s"),
            threads: number("BENCH_THREADS", "2")?,
            connections: number("BENCH_CONNECTIONS", "32")?,
            rounds: number("BENCH_ROUNDS", "7")?,
            warmup: var("BENCH_WARMUP", "2s"),
            mixed_connections: number("BENCH_MIXED_CONNECTIONS", "4")?,
            allow_mismatch: var("BENCH_ALLOW_MISMATCH", "0") == "1",
        };
        if config.rounds == 0 {
            bail!("BENCH_ROUNDS must be at least 1");
        }
        Ok(config)
    }
}

/// What wrk sends: GET, or the POST of one of the Lua scripts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Script {
    Get,
    Echo,
    Body(usize),
    SafeEcho,
}

/// One measured run: a name, a server, a path and what wrk sends, and for the mixed
/// run a background load (another path and script) on the same server.
struct Run {
    name: &'static str,
    target: Target,
    path: &'static str,
    script: Script,
    background: Option<(&'static str, Script)>,
}

const fn run(name: &'static str, target: Target, path: &'static str, script: Script) -> Run {
    Run {
        name,
        target,
        path,
        script,
        background: None,
    }
}

/// Interleaved so that each pair runs back to back; every other round runs the list
/// backwards, so neither side of a pair always goes first.
const RUNS: &[Run] = &[
    run("baseline /ping", Target::Baseline, "/ping", Script::Get),
    run("demo /ping", Target::Demo, "/ping", Script::Get),
    run(
        "demo /cached_add (memory hit)",
        Target::Demo,
        "/cached_add?a=1&b=2",
        Script::Get,
    ),
    run("baseline /add", Target::Baseline, "/add?a=1&b=2", Script::Get),
    run("demo /add", Target::Demo, "/add?a=1&b=2", Script::Get),
    run("baseline POST /echo", Target::Baseline, "/echo", Script::Echo),
    run("demo POST /echo", Target::Demo, "/echo", Script::Echo),
    run(
        "baseline-2 POST /echo (control)",
        Target::Baseline2,
        "/echo",
        Script::Echo,
    ),
    run(
        "demo POST /body 1kB",
        Target::BodyDemo,
        "/body",
        Script::Body(1024),
    ),
    run(
        "demo POST /body 64kB",
        Target::BodyDemo,
        "/body",
        Script::Body(65536),
    ),
    run(
        "demo POST /body 1MB",
        Target::BodyDemo,
        "/body",
        Script::Body(1048576),
    ),
    run("redis-demo /ping", Target::RedisDemo, "/ping", Script::Get),
    run(
        "redis-demo /cached_add (redis hit)",
        Target::RedisDemo,
        "/cached_add?a=1&b=2",
        Script::Get,
    ),
    run(
        "safe-demo /plain_ping",
        Target::SafeDemo,
        "/plain_ping",
        Script::Get,
    ),
    run(
        "safe-demo /ping (safe packer)",
        Target::SafeDemo,
        "/ping?clientId=demo",
        Script::Get,
    ),
    run(
        "safe-demo POST /decode_echo (encrypted)",
        Target::SafeDemo,
        "/decode_echo",
        Script::SafeEcho,
    ),
    Run {
        background: Some(("/decode_echo", Script::SafeEcho)),
        ..run(
            "safe-demo /plain_ping + /decode_echo load",
            Target::SafeDemo,
            "/plain_ping",
            Script::Get,
        )
    },
];

/// The best round of a run (highest requests/s) and what was measured with it.
#[derive(Debug, Clone, Default)]
struct Best {
    figures: Figures,
    /// Processes outside the benchmark, in % of one core.
    other_cpu: i64,
    /// The server's CPU time per answer, in microseconds.
    cpu_us: f64,
    /// Redis hits per request (the redis demo only).
    redis_per_request: Option<f64>,
    background: Option<Figures>,
}

/// Everything the report is made of.
struct Results {
    best: BTreeMap<&'static str, Best>,
    /// Peak RSS in kB, the highest of the rounds.
    rss_kb: BTreeMap<&'static str, u64>,
    /// Requests/s per round, by round (from 1) and run name.
    round_rps: BTreeMap<(u32, &'static str), f64>,
    mismatches: usize,
}

/// Builds, starts, checks, measures and reports.
pub fn bench(config: &Config) -> Result<()> {
    process::clear_apiview_env();
    process::need("wrk", "wrk")?;
    process::need("redis-server", "redis-server")?;
    let work = process::scratch_dir("bench")?;
    let mut servers = Servers::start(&work)?;
    let mismatches = selfcheck::run(
        servers.port(Target::Demo),
        servers.port(Target::Baseline),
        config.allow_mismatch,
    )?;
    warm_up(config, &servers, &work)?;

    let mut results = Results {
        best: BTreeMap::new(),
        rss_kb: BTreeMap::new(),
        round_rps: BTreeMap::new(),
        mismatches,
    };
    println!(
        "== {} round(s) of wrk -t{} -c{} -d{}",
        config.rounds, config.threads, config.connections, config.duration
    );
    for round in 1..=config.rounds {
        let order: Vec<&Run> = if round % 2 == 0 {
            RUNS.iter().rev().collect()
        } else {
            RUNS.iter().collect()
        };
        for run in order {
            let (best, rss_kb) = measure(config, &mut servers, run, round, &work)?;
            results
                .round_rps
                .insert((round, run.name), best.figures.requests_per_second);
            let better = results
                .best
                .get(run.name)
                .is_none_or(|earlier| best.figures.requests_per_second > earlier.figures.requests_per_second);
            if better {
                results.best.insert(run.name, best);
            }
            let peak = results.rss_kb.entry(run.name).or_insert(0);
            *peak = (*peak).max(rss_kb);
        }
    }

    let text = report::render(config, &results, &redis_version()?)?;
    let dir = process::target_dir().join("bench");
    std::fs::create_dir_all(&dir)?;
    let latest = dir.join("latest.txt");
    let partial = dir.join("latest.txt.partial");
    std::fs::write(&partial, &text)?;
    std::fs::rename(&partial, &latest)?;
    println!("\n{text}\n(written to {})", latest.display());
    Ok(())
}

/// The wrk command of a run on its server.
fn load<'a>(
    config: &'a Config,
    servers: &'a Servers,
    target: Target,
    path: &str,
    script: Script,
) -> Load<'a> {
    Load {
        threads: config.threads,
        connections: config.connections,
        duration: &config.duration,
        script: servers.scripts.path(script),
        url: format!("http://127.0.0.1:{}{path}", servers.port(target)),
    }
}

/// Checks each run's answer, then loads its endpoint for BENCH_WARMUP; the redis demo
/// must have cached in Redis by then.
fn warm_up(config: &Config, servers: &Servers, work: &Path) -> Result<()> {
    println!("== warm-up: {} of load per endpoint", config.warmup);
    for run in RUNS {
        let port = servers.port(run.target);
        check_answer(run.name, port, run.path, run.script, &servers.safe_echo_body)?;
        if let Some((path, script)) = run.background {
            let name = format!("{} (background)", run.name);
            check_answer(&name, port, path, script, &servers.safe_echo_body)?;
        }
        let warm = Load {
            duration: &config.warmup,
            ..load(config, servers, run.target, run.path, run.script)
        };
        warm.run(&work.join("warmup.txt"))?;
    }
    let keys = redis::integer(servers.redis.port, &["DBSIZE"])?;
    if keys <= 0 {
        bail!("redis holds no keys after the warm-up: the redis demo does not cache in Redis");
    }
    Ok(())
}

/// One measured run of one round: its figures (as a candidate for the best round)
/// and the server's peak RSS in kB. Prints the round's line.
fn measure(
    config: &Config,
    servers: &mut Servers,
    run: &Run,
    round: u32,
    work: &Path,
) -> Result<(Best, u64)> {
    let clock_ticks = system::clock_ticks();
    let (pid, redis_pid, redis_port) = (
        servers.get_mut(run.target).pid(),
        servers.redis.pid(),
        servers.redis.port,
    );
    system::reset_peak_rss(pid);
    let hits_before = match run.target {
        Target::RedisDemo => redis::stat(redis_port, "keyspace_hits")?,
        _ => 0,
    };
    let background = match run.background {
        Some((path, script)) => {
            let duration = format!("{}s", wrk::seconds_of(&config.duration) + 5);
            let load = Load {
                threads: 1,
                connections: config.mixed_connections,
                duration: &duration,
                ..load(config, servers, run.target, path, script)
            };
            Some(load.start(&work.join("background.txt"))?)
        }
        None => None,
    };
    // The benchmark's own CPU time: the server, redis, this tool and the wrk it has
    // reaped, and the background wrk, which is still running.
    let ours = || {
        system::ticks_of(pid)
            + system::ticks_of(redis_pid)
            + system::ticks_of(std::process::id())
            + background.as_ref().map_or(0, |wrk| system::ticks_of(wrk.pid()))
    };
    let (busy0, server0, ours0) = (system::cpu_busy(), system::ticks_of(pid), ours());
    let started = Instant::now();
    let figures = load(config, servers, run.target, run.path, run.script).run(&work.join("run.txt"))?;
    let elapsed = started.elapsed();
    let (busy1, server1, ours1) = (system::cpu_busy(), system::ticks_of(pid), ours());
    let background = match background {
        Some(wrk) => Some(wrk.stop()?),
        None => None,
    };
    let foreign = (busy1 as f64 - busy0 as f64 - (ours1 as f64 - ours0 as f64))
        / (elapsed.as_secs_f64() * clock_ticks)
        * 100.0;
    let other_cpu = foreign.max(0.0).round() as i64;
    let server = servers.get_mut(run.target);
    if !server.alive() {
        bail!(
            "{} exited during {}:\n{}",
            server.name,
            run.name,
            server.log_tail(20)
        );
    }
    let rss_kb = system::peak_rss_kb(pid);
    // The server's CPU time per answer (with a background load, its requests' share too).
    let cpu_us = if figures.total > 0 {
        (server1 - server0) as f64 / clock_ticks * 1e6 / figures.total as f64
    } else {
        0.0
    };
    println!(
        "  round {round}  {:<36} {:>7.0} req/s  p50 {:<7} p99 {:<8} other CPU {other_cpu}%",
        run.name,
        figures.requests_per_second,
        wrk::fmt_us(figures.p50_us),
        wrk::fmt_us(figures.p99_us)
    );
    let mut errors = figures.errors.clone();
    if let (Some(background), Some((path, _))) = (&background, run.background) {
        let label = format!(
            "  + background wrk -c{} {}",
            config.mixed_connections,
            path.split('?').next().unwrap_or(path)
        );
        println!(
            "           {label:<36} {:>7.0} req/s  p50 {:<7} p99 {}",
            background.requests_per_second,
            wrk::fmt_us(background.p50_us),
            wrk::fmt_us(background.p99_us)
        );
        for error in background.errors.split("; ").filter(|e| !e.is_empty()) {
            errors.push_str(&format!("background: {error}; "));
        }
    }
    let redis_per_request = match run.target {
        Target::RedisDemo if figures.total > 0 => {
            let hits = redis::stat(redis_port, "keyspace_hits")? - hits_before;
            Some(hits as f64 / figures.total as f64)
        }
        _ => None,
    };
    let best = Best {
        figures: Figures { errors, ..figures },
        other_cpu,
        cpu_us,
        redis_per_request,
        background,
    };
    Ok((best, rss_kb))
}

/// Before a run is measured: its answer is a success (encrypted, for `clientId=`).
fn check_answer(name: &str, port: u16, path: &str, script: Script, safe_echo_body: &str) -> Result<()> {
    let check = match script {
        Script::Get => format!("GET {path}"),
        Script::SafeEcho => format!("JSON {path} {safe_echo_body}"),
        Script::Echo | Script::Body(_) => format!("JSON {path} {{\"msg\":\"hello, benchmark\"}}"),
    };
    // A safe-packed answer, error or not, is encrypted. (/decode_echo answers plain: its
    // answer to the encrypted body is checked to be a success.)
    let expected = if path.contains("clientId=") {
        "{\"encryptedPassword\":\""
    } else {
        "{\"success\":true,"
    };
    let answer = selfcheck::call(port, &check)?;
    let first = answer.lines().next().unwrap_or("");
    if !first.starts_with(expected) {
        bail!("{name} answers {first}");
    }
    Ok(())
}

/// redis-server's version ("7.0.15").
fn redis_version() -> Result<String> {
    let text = process::output(std::process::Command::new("redis-server").arg("--version"))?;
    let field = text.split_whitespace().nth(2).unwrap_or("");
    Ok(field.replace(['v', '='], ""))
}
