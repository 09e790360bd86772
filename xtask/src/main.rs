//! apiview's tools, run as `cargo xtask COMMAND` from anywhere in the repository.
//! The scripts under scripts/ install what a command needs (wrk, valgrind, Python
//! tools) and call it; `scripts/test.sh` stays the one test command.

mod bench;
mod browser;
mod checks;
mod fuzz_http;
mod http;
mod postgres;
mod process;
mod profile;
mod redis;
mod settings;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "apiview's benchmark, profiler and binary checks"
)]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// The benchmark under wrk: the demo next to the plain-poem baseline, the caches,
    /// the safe packer (scripts/bench.sh installs wrk and redis-server, then runs this).
    ///
    /// Environment: BENCH_DURATION (5s), BENCH_THREADS (2), BENCH_CONNECTIONS (32),
    /// BENCH_ROUNDS (7), BENCH_WARMUP (2s), BENCH_MIXED_CONNECTIONS (4),
    /// BENCH_ALLOW_MISMATCH=1. The report goes to target/bench/latest.txt.
    Bench,
    /// The snippets example's list and retrieve next to the same reads on plain poem
    /// (examples/snippets_baseline), on SQLite and on a private PostgreSQL server.
    ///
    /// Environment: BENCH_DURATION (3s), BENCH_THREADS (1), BENCH_CONNECTIONS (16),
    /// BENCH_ROUNDS (5), BENCH_WARMUP (2s), BENCH_SNIPPETS_DATABASES (sqlite,postgres),
    /// BENCH_ALLOW_MISMATCH=1, PG_BIN (where initdb and postgres are). The report goes to
    /// target/bench/snippets.txt.
    BenchSnippets,
    /// Instructions per request under callgrind (PROFILE_REQUESTS, 2000; PROFILE_TOP, 25).
    Profile {
        /// The server.
        #[arg(value_enum)]
        server: profile::Profiled,
        /// The path, with its query string.
        path: String,
        /// A JSON body: the requests are POSTs.
        body: Option<String>,
    },
    /// The demo binary once per packer: its answers and its log.
    CheckDemo,
    /// The redis_cache example against a private redis-server.
    CheckRedisCache,
    /// The demo as three processes on a private Redis Cluster: a miss storm and a
    /// master killed under load.
    CheckCluster,
    /// The demo's OpenAPI documents, 3.1 and 3.0, written into DIR and checked.
    CheckOpenapi {
        /// Where demo-3.1.json and demo-3.0.json go.
        dir: PathBuf,
    },
    /// The Swagger UI at the address the demo logs, in headless Chromium.
    CheckSwaggerUi,
    /// The snippets example's Swagger UI used in headless Chromium: register, log in,
    /// authorize, create a snippet, list it.
    CheckSnippetsUi,
    /// schemathesis against the demo (scripts/fuzz-http.sh installs it, then runs this).
    FuzzHttp,
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    if let Task::CheckOpenapi { dir } = &mut cli.command {
        *dir = std::path::absolute(&*dir).unwrap_or_else(|_| dir.clone());
    }
    // The paths the tasks use (apiview.toml, target/, examples/) are the repository's.
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    if let Err(err) = std::env::set_current_dir(root) {
        eprintln!("xtask: cannot enter the repository at {root}: {err}");
        return ExitCode::FAILURE;
    }
    let result = match cli.command {
        Task::Bench => bench::Config::from_env().and_then(|config| bench::bench(&config)),
        Task::BenchSnippets => {
            bench::snippets::Config::from_env().and_then(|config| bench::snippets::bench_snippets(&config))
        }
        Task::Profile { server, path, body } => profile::Config::from_env()
            .and_then(|config| profile::profile(server, &path, body.as_deref(), &config)),
        Task::CheckDemo => checks::demo(),
        Task::CheckRedisCache => checks::redis_cache(),
        Task::CheckCluster => checks::cluster(),
        Task::CheckOpenapi { dir } => checks::openapi(&dir),
        Task::CheckSwaggerUi => checks::swagger_ui(),
        Task::CheckSnippetsUi => checks::snippets_ui(),
        Task::FuzzHttp => fuzz_http::Config::from_env().and_then(|config| fuzz_http::fuzz_http(&config)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: {err:#}");
            ExitCode::FAILURE
        }
    }
}
