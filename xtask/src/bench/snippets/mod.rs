//! `cargo xtask bench-snippets`: the snippets example's list and retrieve
//! (`GET /snippets/?page=N&page_size=10`, `GET /snippets/:id/`) under wrk, next to the
//! same two reads written by hand on plain poem (examples/snippets_baseline: the same
//! storage.rs, so the same SQL through the same pool), on SQLite and on PostgreSQL.
//!
//! For each database: a fresh one (a file in the scratch directory; a private
//! PostgreSQL server, see `postgres.rs`), 2 users and 200 snippets created through the
//! example's HTTP API (`seed.rs`), then four servers on free loopback ports: the example
//! as shipped (its list cached in the `memory://` cache), the example with
//! `SNIPPETS_LIST_CACHE=off` (every page read from the database, the same work as the
//! baseline), the baseline, and a second baseline as the control (its ratio to the
//! first is 1 but for the machine's noise). A self-check compares their answers byte
//! for byte (ports aside), then each run is warmed up and measured in interleaved
//! rounds, the order reversed every other round. wrk pages through the list (pages 1
//! to 20 of 10, in turn) and through the snippets (every id in turn), so neither side
//! answers one hot row.
//!
//! Each run reports requests/s, p50 and p99, the server's CPU time per answer, the
//! database's (PostgreSQL's processes; SQLite runs inside the server), and "other CPU":
//! what processes outside the benchmark took meanwhile. The ratios are toolkit ÷
//! baseline requests/s per round; their median is the figure, and 1 − ratio is the
//! toolkit's share of the time an answer takes. The report is printed and written to
//! target/bench/snippets.txt.

mod report;
mod seed;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use super::wrk::{Figures, Load};
use super::{number, system, var};
use crate::http::{Connection, Request};
use crate::postgres::Postgres;
use crate::process::{self, command, free_port, Server};

/// The environment knobs: the names of `cargo xtask bench`, shorter defaults.
pub struct Config {
    /// BENCH_DURATION (3s): each measured run.
    pub duration: String,
    /// BENCH_THREADS (1): wrk's threads.
    pub threads: u32,
    /// BENCH_CONNECTIONS (16): wrk's connections; each server's pool has 8.
    pub connections: u32,
    /// BENCH_ROUNDS (5).
    pub rounds: u32,
    /// BENCH_WARMUP (2s per run).
    pub warmup: String,
    /// BENCH_SNIPPETS_DATABASES (`sqlite,postgres`): which, in that order.
    pub databases: Vec<Kind>,
    /// BENCH_ALLOW_MISMATCH=1: go on when the baseline's answers differ from the example's.
    pub allow_mismatch: bool,
}

impl Config {
    pub fn from_env() -> Result<Config> {
        let databases = var("BENCH_SNIPPETS_DATABASES", "sqlite,postgres")
            .split(',')
            .map(|name| match name.trim() {
                "sqlite" => Ok(Kind::Sqlite),
                "postgres" => Ok(Kind::Postgres),
                other => bail!("BENCH_SNIPPETS_DATABASES: `{other}` is neither sqlite nor postgres"),
            })
            .collect::<Result<Vec<_>>>()?;
        let config = Config {
            duration: var("BENCH_DURATION", "3s"),
            threads: number("BENCH_THREADS", "1")?,
            connections: number("BENCH_CONNECTIONS", "16")?,
            rounds: number("BENCH_ROUNDS", "5")?,
            warmup: var("BENCH_WARMUP", "2s"),
            databases,
            allow_mismatch: var("BENCH_ALLOW_MISMATCH", "0") == "1",
        };
        if config.rounds == 0 {
            bail!("BENCH_ROUNDS must be at least 1");
        }
        Ok(config)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Sqlite => "SQLite",
            Kind::Postgres => "PostgreSQL",
        }
    }
}

/// The servers of one database's runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    /// The example as shipped: its list pages cached in the `memory://` cache.
    Toolkit,
    /// The example with `SNIPPETS_LIST_CACHE=off`.
    Uncached,
    Baseline,
    /// The control: a second, identical baseline.
    Baseline2,
}

/// What wrk asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// `GET /snippets/?page=N&page_size=10`, N from 1 to 20 in turn.
    List,
    /// `GET /snippets/ID/`, every snippet in turn.
    Retrieve,
}

struct Run {
    name: &'static str,
    target: Target,
    read: Read,
}

const fn run(name: &'static str, target: Target, read: Read) -> Run {
    Run { name, target, read }
}

/// In this order (reversed every other round), so that each toolkit run has its
/// baseline run next to it.
const RUNS: &[Run] = &[
    run("toolkit list (cached)", Target::Toolkit, Read::List),
    run("baseline list", Target::Baseline, Read::List),
    run("toolkit list (uncached)", Target::Uncached, Read::List),
    run("toolkit retrieve", Target::Toolkit, Read::Retrieve),
    run("baseline retrieve", Target::Baseline, Read::Retrieve),
    run("baseline-2 retrieve (control)", Target::Baseline2, Read::Retrieve),
];

/// The ratios reported: label, toolkit run, baseline run.
const RATIOS: &[(&str, &str, &str)] = &[
    (
        "list, as shipped (cached)",
        "toolkit list (cached)",
        "baseline list",
    ),
    (
        "list, cache off (same work)",
        "toolkit list (uncached)",
        "baseline list",
    ),
    ("retrieve", "toolkit retrieve", "baseline retrieve"),
    (
        "control: baseline-2 / baseline",
        "baseline-2 retrieve (control)",
        "baseline retrieve",
    ),
];

/// One measured run of one round.
#[derive(Debug, Clone)]
struct Sample {
    figures: Figures,
    /// The server's CPU time per answer, in microseconds.
    server_us: f64,
    /// PostgreSQL's CPU time per answer (0 for SQLite, which runs in the server).
    database_us: f64,
    /// Processes outside the benchmark, in % of one core.
    other_cpu: i64,
}

/// The figures of one database.
struct Results {
    kind: Kind,
    /// `sqlite:…` or `PostgreSQL 15.x`.
    database: String,
    /// By run name, one per round.
    samples: BTreeMap<&'static str, Vec<Sample>>,
}

/// Builds, then measures each database in turn, and reports.
pub fn bench_snippets(config: &Config) -> Result<()> {
    process::clear_apiview_env();
    // The servers read their database from DATABASE_URL, set here for each.
    std::env::remove_var("DATABASE_URL");
    std::env::remove_var("SNIPPETS_LIST_CACHE");
    process::need("wrk", "wrk")?;
    println!("== building examples/snippets and examples/snippets_baseline (release)");
    let [toolkit_bin, baseline_bin] = process::build_all(
        &[
            "--release",
            "--example",
            "snippets",
            "--example",
            "snippets_baseline",
        ],
        ["snippets", "snippets_baseline"],
    )?;
    let work = process::scratch_dir("bench-snippets")?;
    let settings = work.join("snippets.toml");
    // The example's defaults, with a fixed JWT secret (without one it warns and makes one).
    let jwt = format!("[auth.jwt]\nsecret = \"{}\"\n", "0123456789abcdef".repeat(4));
    std::fs::write(&settings, &jwt)?;
    let seed_settings = work.join("seed.toml");
    std::fs::write(&seed_settings, format!("{jwt}{}", seed::SETTINGS))?;
    let bins = Bins {
        toolkit: toolkit_bin,
        baseline: baseline_bin,
        settings,
        seed_settings,
    };

    let mut all = Vec::new();
    for &kind in &config.databases {
        println!("\n== {}", kind.name());
        let dir = work.join(kind.name().to_lowercase());
        std::fs::create_dir_all(&dir)?;
        let results = match kind {
            Kind::Sqlite => {
                let file = std::path::absolute(dir.join("snippets.db"))?;
                let url = format!("sqlite://{}", file.display());
                measure_database(config, &bins, &dir, kind, &url, None, url.clone())?
            }
            Kind::Postgres => {
                let postgres = Postgres::start("bench-snippets")?;
                postgres.create_database("snippets")?;
                let url = postgres.url("snippets");
                let version = postgres.version();
                measure_database(config, &bins, &dir, kind, &url, Some(&postgres), version)?
            }
        };
        all.push(results);
    }

    let text = report::render(config, &all)?;
    let dir = process::target_dir().join("bench");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("snippets.txt");
    std::fs::write(&path, &text)?;
    println!("\n{text}\n(written to {})", path.display());
    Ok(())
}

/// The two programs and the settings files.
struct Bins {
    toolkit: PathBuf,
    baseline: PathBuf,
    /// The example's settings in the runs.
    settings: PathBuf,
    /// The same, for the seeding server.
    seed_settings: PathBuf,
}

impl Bins {
    fn toolkit(
        &self,
        name: &str,
        url: &str,
        settings: &Path,
        list_cache: bool,
        dir: &Path,
    ) -> Result<Server> {
        let port = free_port()?;
        let mut server = command(&self.toolkit);
        server
            .env("DATABASE_URL", url)
            .env("APIVIEW_SETTINGS", settings)
            .env("SNIPPETS_LIST_CACHE", if list_cache { "on" } else { "off" })
            // As the demo in `cargo xtask bench`: no request log.
            .env("RUST_LOG", "warn")
            .args(["--addr", &format!("127.0.0.1:{port}")]);
        Server::start(name, port, server, &dir.join(format!("{name}.log")))
    }

    fn baseline(&self, name: &str, url: &str, dir: &Path) -> Result<Server> {
        let port = free_port()?;
        let mut server = command(&self.baseline);
        server
            .env("DATABASE_URL", url)
            .args(["--addr", &format!("127.0.0.1:{port}")]);
        Server::start(name, port, server, &dir.join(format!("{name}.log")))
    }
}

/// Seeds the database at `url`, starts the four servers on it, checks and measures them.
fn measure_database(
    config: &Config,
    bins: &Bins,
    dir: &Path,
    kind: Kind,
    url: &str,
    postgres: Option<&Postgres>,
    database: String,
) -> Result<Results> {
    let seeded = {
        let mut seeder = bins.toolkit("seeder", url, &bins.seed_settings, true, dir)?;
        let started = Instant::now();
        let seeded = seed::seed(seeder.port).with_context(|| format!("seeding: {}", seeder.log_tail(20)))?;
        println!(
            "seeded {} snippets (ids {}..={}) through the example's API in {:.1}s",
            seed::SNIPPETS,
            seeded.ids.start(),
            seeded.ids.end(),
            started.elapsed().as_secs_f64()
        );
        seeder.stop();
        seeded
    };
    let mut servers = BTreeMap::new();
    servers.insert(
        Target::Toolkit,
        bins.toolkit("toolkit", url, &bins.settings, true, dir)?,
    );
    servers.insert(
        Target::Uncached,
        bins.toolkit("toolkit_uncached", url, &bins.settings, false, dir)?,
    );
    servers.insert(Target::Baseline, bins.baseline("baseline", url, dir)?);
    servers.insert(Target::Baseline2, bins.baseline("baseline_2", url, dir)?);

    let mismatches = self_check(&servers, &seeded)?;
    if mismatches > 0 && !config.allow_mismatch {
        bail!("{mismatches} answer(s) of the baseline differ from the example's (BENCH_ALLOW_MISMATCH=1 to go on)");
    }
    let scripts = Scripts::write(dir, &seeded)?;

    println!("== warm-up: {} of load per run", config.warmup);
    for run in RUNS {
        let load = Load {
            threads: config.threads,
            connections: config.connections,
            duration: &config.warmup,
            script: Some(scripts.path(run.read)),
            url: format!("http://127.0.0.1:{}/", servers[&run.target].port),
        };
        load.run(&dir.join("warmup.txt"))?;
        check_logs(&mut servers, run.name)?;
    }

    println!(
        "== {} round(s) of wrk -t{} -c{} -d{}",
        config.rounds, config.threads, config.connections, config.duration
    );
    let mut samples: BTreeMap<&'static str, Vec<Sample>> = BTreeMap::new();
    for round in 1..=config.rounds {
        let order: Vec<&Run> = if round % 2 == 0 {
            RUNS.iter().rev().collect()
        } else {
            RUNS.iter().collect()
        };
        for run in order {
            let sample = measure(config, &servers, postgres, &scripts, run, dir)?;
            check_logs(&mut servers, run.name)?;
            println!(
                "  round {round}  {:<30} {:>7.0} req/s  p50 {:<7} p99 {:<8} server {:>4.0}us{}  other CPU {}%",
                run.name,
                sample.figures.requests_per_second,
                super::wrk::fmt_us(sample.figures.p50_us),
                super::wrk::fmt_us(sample.figures.p99_us),
                sample.server_us,
                if postgres.is_some() {
                    format!("  postgres {:>4.0}us", sample.database_us)
                } else {
                    String::new()
                },
                sample.other_cpu
            );
            samples.entry(run.name).or_default().push(sample);
        }
    }
    Ok(Results {
        kind,
        database,
        samples,
    })
}

/// One measured run: wrk against the run's server, and the CPU time of every process.
fn measure(
    config: &Config,
    servers: &BTreeMap<Target, Server>,
    postgres: Option<&Postgres>,
    scripts: &Scripts,
    run: &Run,
    dir: &Path,
) -> Result<Sample> {
    let clock_ticks = system::clock_ticks();
    let server_pid = servers[&run.target].pid();
    let database_ticks = || {
        postgres.map_or(0, |postgres| {
            postgres.pids().into_iter().map(system::ticks_of).sum::<u64>()
        })
    };
    // The benchmark's own CPU time: every server (the idle ones take next to none),
    // the database, this tool and the wrk it has reaped.
    let ours = || {
        servers
            .values()
            .map(|server| system::ticks_of(server.pid()))
            .sum::<u64>()
            + database_ticks()
            + system::ticks_of(std::process::id())
    };
    let (busy0, server0, database0, ours0) = (
        system::cpu_busy(),
        system::ticks_of(server_pid),
        database_ticks(),
        ours(),
    );
    let started = Instant::now();
    let load = Load {
        threads: config.threads,
        connections: config.connections,
        duration: &config.duration,
        script: Some(scripts.path(run.read)),
        url: format!("http://127.0.0.1:{}/", servers[&run.target].port),
    };
    let figures = load.run(&dir.join("run.txt"))?;
    let elapsed = started.elapsed();
    let (busy1, server1, database1, ours1) = (
        system::cpu_busy(),
        system::ticks_of(server_pid),
        database_ticks(),
        ours(),
    );
    if !figures.errors.is_empty() {
        bail!("{}: wrk reports {}", run.name, figures.errors);
    }
    let per_answer = |ticks: f64| {
        if figures.total > 0 {
            ticks / clock_ticks * 1e6 / figures.total as f64
        } else {
            0.0
        }
    };
    let foreign = (busy1 as f64 - busy0 as f64 - (ours1 as f64 - ours0 as f64))
        / (elapsed.as_secs_f64() * clock_ticks)
        * 100.0;
    Ok(Sample {
        server_us: per_answer(server1 as f64 - server0 as f64),
        // A backend that ended during the run takes its ticks with it: at least 0.
        database_us: per_answer((database1 as f64 - database0 as f64).max(0.0)),
        other_cpu: foreign.max(0.0).round() as i64,
        figures,
    })
}

/// Fails when a server exited or logged a database error: every answer of a failed
/// query is still a 200 (`{"success":false,…}`), which wrk would count as an answer.
fn check_logs(servers: &mut BTreeMap<Target, Server>, run: &str) -> Result<()> {
    for server in servers.values_mut() {
        if !server.alive() {
            bail!("{} exited during {run}:\n{}", server.name, server.log_tail(20));
        }
        if server.log_text().contains("database error") {
            bail!(
                "{} logged a database error during {run}:\n{}",
                server.name,
                server.log_tail(20)
            );
        }
    }
    Ok(())
}

/// The wrk scripts: the list's pages and the snippets' ids, each in turn.
struct Scripts {
    list: PathBuf,
    retrieve: PathBuf,
}

impl Scripts {
    fn write(dir: &Path, seeded: &seed::Seeded) -> Result<Scripts> {
        let pages = seed::SNIPPETS.div_ceil(10);
        let list = dir.join("list.lua");
        std::fs::write(
            &list,
            format!(
                "local page = 0\nrequest = function()\n  page = page % {pages} + 1\n  \
                 return wrk.format(nil, \"/snippets/?page=\" .. page .. \"&page_size=10\")\nend\n"
            ),
        )?;
        let retrieve = dir.join("retrieve.lua");
        let (first, count) = (seeded.ids.start(), seeded.ids.end() - seeded.ids.start() + 1);
        std::fs::write(
            &retrieve,
            format!(
                "local i = 0\nrequest = function()\n  i = i % {count} + 1\n  \
                 return wrk.format(nil, \"/snippets/\" .. ({first} + i - 1) .. \"/\")\nend\n"
            ),
        )?;
        Ok(Scripts { list, retrieve })
    }

    fn path(&self, read: Read) -> &Path {
        match read {
            Read::List => &self.list,
            Read::Retrieve => &self.retrieve,
        }
    }
}

/// Asks every server the same questions and compares each toolkit's answers with the
/// baseline's: bodies byte for byte (with the server's port written `PORT`, as in the
/// `url`s), content-type, x-content-type-options, cache-control and the x-request-id's
/// form. The cached toolkit is asked twice: a miss, then a hit. Returns the count of
/// mismatches, printed.
fn self_check(servers: &BTreeMap<Target, Server>, seeded: &seed::Seeded) -> Result<usize> {
    let (first, last) = (*seeded.ids.start(), *seeded.ids.end());
    let owner = seeded.first_owner;
    let paths = [
        "/snippets/".to_owned(),
        "/snippets/?page=2".to_owned(),
        "/snippets/?page=1&page_size=10".to_owned(),
        "/snippets/?page=3&page_size=10".to_owned(),
        "/snippets/?page=20&page_size=10".to_owned(),
        "/snippets/?page=25&page_size=10".to_owned(),
        "/snippets/?page=2&page_size=1000".to_owned(),
        format!("/snippets/?owner={owner}&page=2&page_size=5"),
        "/snippets/?page=0".to_owned(),
        format!("/snippets/{first}/"),
        format!("/snippets/{last}/"),
        format!("/snippets/{}/", last + 1),
        "/snippets/abc/".to_owned(),
    ];
    let v2 = "application/json; version=v2";
    let mut checks: Vec<(&str, Option<&str>)> = paths.iter().map(|path| (path.as_str(), None)).collect();
    checks.push(("/snippets/?page=2&page_size=3", Some(v2)));
    let detail = format!("/snippets/{first}/");
    checks.push((&detail, Some(v2)));

    let baseline = servers[&Target::Baseline].port;
    let mut mismatches = 0;
    for (path, accept) in &checks {
        let expected = answer(baseline, path, *accept)?;
        if !expected.starts_with("{\"success\":") {
            bail!("the baseline answers GET {path} with {expected}");
        }
        for (target, times) in [
            (Target::Toolkit, 2),
            (Target::Uncached, 1),
            (Target::Baseline2, 1),
        ] {
            for _ in 0..times {
                let got = answer(servers[&target].port, path, *accept)?;
                if got != expected {
                    mismatches += 1;
                    println!(
                        "MISMATCH GET {path}{}\n  {:?}: {got}\n  baseline: {expected}",
                        accept.map_or(String::new(), |accept| format!(" (Accept: {accept})")),
                        target
                    );
                }
            }
        }
    }
    println!(
        "self-check: {} requests to each server, {mismatches} mismatch(es)",
        checks.len()
    );
    Ok(mismatches)
}

/// The answer to `GET path` as the self-check compares it.
fn answer(port: u16, path: &str, accept: Option<&str>) -> Result<String> {
    let mut request = Request::get(path);
    if let Some(accept) = accept {
        request = request.header("Accept", accept);
    }
    let response = Connection::open(port)?.send(&request)?;
    let mut text =
        String::from_utf8_lossy(&response.body).replace(&format!("127.0.0.1:{port}"), "127.0.0.1:PORT");
    text.push_str(&format!("\nstatus {}", response.status));
    for name in ["content-type", "x-content-type-options", "cache-control"] {
        text.push_str(&format!(
            "\n{name}: {}",
            response.header(name).unwrap_or("(none)")
        ));
    }
    let id = response.header("x-request-id").unwrap_or("");
    let hex = id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    text.push_str(&format!("\nx-request-id of 32 hex digits: {hex}"));
    Ok(text)
}

/// `git rev-parse --short HEAD`, and whether the tree has changes.
fn commit() -> String {
    let sha = process::output(Command::new("git").args(["rev-parse", "--short", "HEAD"]))
        .map_or_else(|_| "?".to_owned(), |sha| sha.trim().to_owned());
    let changed = Command::new("git")
        .args(["diff", "--quiet"])
        .status()
        .is_ok_and(|status| !status.success());
    if changed {
        format!("{sha} (with local changes)")
    } else {
        sha
    }
}
