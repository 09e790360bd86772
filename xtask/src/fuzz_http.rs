//! `cargo xtask fuzz-http` (run by scripts/fuzz-http.sh, which installs schemathesis):
//! schemathesis reads an example's own OpenAPI document (the demo's, or with
//! `FUZZ_HTTP_EXAMPLE=snippets` the snippets application's, on a fresh SQLite file) and
//! sends it generated requests, valid and invalid, checking every answer with the
//! generic checks and apiview's own (scripts/fuzz_http_hooks.py). Reports go to
//! target/fuzz-http/ (target/fuzz-http-snippets/).

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::http::{self, Request};
use crate::process::{self, command, free_port, Server};

/// Where scripts/fuzz-http.sh installs schemathesis.
const SCHEMATHESIS: &str = "target/venv-fuzz/bin/st";
const HOOKS: &str = "scripts/fuzz_http_hooks.py";

/// The environment knobs (see scripts/fuzz-http.sh).
pub struct Config {
    max_time: u64,
    max_examples: u64,
    openapi: String,
    workers: u64,
    seed: Option<String>,
    sys_error_paths: String,
    /// `demo` or `snippets`.
    example: String,
}

impl Config {
    pub fn from_env() -> Result<Config> {
        let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let number = |name: &str, default: u64| -> Result<u64> {
            var(name).map_or(Ok(default), |value| {
                value
                    .parse()
                    .with_context(|| format!("{name} must be a whole number, not `{value}`"))
            })
        };
        let openapi = var("FUZZ_HTTP_OPENAPI").unwrap_or_else(|| "3.1".into());
        let example = var("FUZZ_HTTP_EXAMPLE").unwrap_or_else(|| "demo".into());
        if example != "demo" && example != "snippets" {
            bail!("FUZZ_HTTP_EXAMPLE must be demo or snippets, not '{example}'");
        }
        // The demo's /boom panics on purpose; the snippets have no such endpoint.
        let default_sys_error_paths = if example == "demo" { "/boom" } else { "" };
        if openapi != "3.0" && openapi != "3.1" {
            bail!("FUZZ_HTTP_OPENAPI must be 3.0 or 3.1, not '{openapi}'");
        }
        Ok(Config {
            max_time: number("FUZZ_HTTP_MAX_TIME", 150)?,
            max_examples: number("FUZZ_HTTP_MAX_EXAMPLES", 100)?,
            openapi,
            workers: number("FUZZ_HTTP_WORKERS", 1)?,
            seed: var("FUZZ_HTTP_SEED"),
            sys_error_paths: var("FUZZ_HTTP_SYS_ERROR_PATHS")
                .unwrap_or_else(|| default_sys_error_paths.into()),
            example,
        })
    }
}

pub fn fuzz_http(config: &Config) -> Result<()> {
    if !Path::new(SCHEMATHESIS).is_file() {
        bail!("no {SCHEMATHESIS}: run scripts/fuzz-http.sh, which installs schemathesis");
    }
    let example = config.example.as_str();
    let name = if example == "demo" {
        "the demo".to_owned()
    } else {
        format!("the {example} example")
    };
    println!("== building {name}");
    let binary = process::build(&["--quiet", "--example", example], example)?;
    let work = process::scratch_dir(&format!("fuzz-http-{example}"))?;
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let mut server = command(&binary);
    server
        .env("APIVIEW_SWAGGER__OPENAPI_VERSION", &config.openapi)
        .env("RUST_LOG", "warn")
        .args(["--addr", &format!("127.0.0.1:{port}")]);
    if example == "snippets" {
        let database = std::path::absolute(work.join("snippets.db"))?;
        let _ = std::fs::remove_file(&database);
        server
            .env("DATABASE_URL", format!("sqlite://{}", database.display()))
            .current_dir(&work);
    }
    let log = work.join(format!("{example}.log"));
    let mut server = Server::start(&name, port, server, &log)?;

    // No crash cache (schemathesis keeps one in ./.schemathesis/ by default): every run
    // is fresh, and replayed by its seed.
    let st_config = work.join("schemathesis.toml");
    std::fs::write(&st_config, "[cache]\nenabled = false\n")?;
    let reports = if example == "demo" {
        Path::new("target/fuzz-http").to_owned()
    } else {
        Path::new("target").join(format!("fuzz-http-{example}"))
    };
    let reports = reports.as_path();
    if reports.exists() {
        std::fs::remove_dir_all(reports)?;
    }
    std::fs::create_dir_all(reports)?;
    let document = format!("{base}/apiview/openapi.json");
    println!(
        "== schemathesis against {name}'s OpenAPI {} document ({document})",
        config.openapi
    );
    println!(
        "   at most {}s, {} test cases per operation and phase, {} worker(s)",
        config.max_time, config.max_examples, config.workers
    );
    let output = File::create(reports.join("schemathesis.txt"))?;
    let mut st = command("timeout");
    st.arg((config.max_time + 300).to_string())
        .arg(SCHEMATHESIS)
        .arg("--config-file")
        .arg(&st_config)
        .args(["run", &document, "--url", &base])
        .args([
            "--checks",
            "not_a_server_error,response_schema_conformance,content_type_conformance,apiview_envelope",
        ])
        .args(["--max-time", &config.max_time.to_string()])
        .args(["--max-examples", &config.max_examples.to_string()])
        .args(["--workers", &config.workers.to_string()])
        .args([
            "--request-timeout",
            "30",
            "--generation-database",
            "none",
            "--no-color",
        ])
        .args(["--report", "json,ndjson", "--report-dir"])
        .arg(reports)
        .arg("--report-json-path")
        .arg(reports.join("report.json"))
        .arg("--report-ndjson-path")
        .arg(reports.join("events.ndjson"));
    if let Some(seed) = &config.seed {
        st.args(["--seed", seed]);
    }
    if example == "snippets" {
        // Logged in, so that the writes get past LoginRequired to their validation,
        // highlighting, permission and database.
        let token = snippets_token(port)?;
        st.args(["--header", &format!("Authorization: Bearer {token}")]);
    }
    st.env("SCHEMATHESIS_HOOKS", HOOKS)
        .env("FUZZ_HTTP_SYS_ERROR_PATHS", &config.sys_error_paths)
        .stdout(output.try_clone()?)
        .stderr(output);
    let mut failed = !st.status().context("running schemathesis")?.success();
    if !server.alive() {
        println!("fuzz-http: {name} died during the run:\n{}", server.log_tail(50));
        failed = true;
    }
    if failed {
        let text = std::fs::read_to_string(reports.join("schemathesis.txt")).unwrap_or_default();
        println!("{}", process::tail(&text, 80));
        println!("--- {name}'s log (last 30 lines):\n{}", server.log_tail(30));
    }
    server.stop();
    let clean = summary(reports, &config.openapi)?;
    if failed || !clean {
        bail!("schemathesis found failures (reports in {})", reports.display());
    }
    Ok(())
}

/// A bearer token of a user registered for the run.
fn snippets_token(port: u16) -> Result<String> {
    let body = br#"{"username": "fuzzer", "password": "fuzzer-password"}"#;
    let answer = http::send(port, &Request::post("/auth/register", "application/json", body))?.json()?;
    answer["result"]["token"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("registering the fuzzing user answered {answer}"))
}

/// Prints the summary of the reports; whether the run was clean (no failing test case,
/// no error, no 5xx answer).
fn summary(reports: &Path, openapi: &str) -> Result<bool> {
    let text = std::fs::read_to_string(reports.join("report.json")).with_context(|| {
        format!(
            "no schemathesis report; its output is in {}",
            reports.join("schemathesis.txt").display()
        )
    })?;
    let report: Value = serde_json::from_str(&text).context("schemathesis's report.json")?;
    // The seed is a 128-bit integer: as written, not as the f64 serde_json reads it as.
    let seed = text
        .split_once("\"seed\":")
        .map(|(_, rest)| rest.trim_start())
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_digit())
                .collect::<String>()
        })
        .filter(|digits| !digits.is_empty())
        .unwrap_or_else(|| report["seed"].to_string());
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    let mut server_errors = 0;
    let events = std::fs::read_to_string(reports.join("events.ndjson")).unwrap_or_default();
    for line in events.lines() {
        let event: Value = serde_json::from_str(line).context("a line of events.ndjson")?;
        let interactions = &event["ScenarioFinished"]["recorder"]["interactions"];
        for interaction in interactions.as_object().into_iter().flatten().map(|(_, i)| i) {
            let status = match interaction["response"]["status_code"].as_u64() {
                Some(code) => {
                    if code >= 500 {
                        server_errors += 1;
                    }
                    code.to_string()
                }
                None => "no answer".to_owned(),
            };
            *statuses.entry(status).or_default() += 1;
        }
    }
    let (operations, cases) = (&report["operations"], &report["test_cases"]);
    let errors = report["errors"].as_array().map_or(0, Vec::len);
    let with_failures = cases["with_failures"].as_u64().unwrap_or(0);
    let by_status: Vec<String> = statuses
        .iter()
        .map(|(status, n)| format!("{status}: {n}"))
        .collect();
    println!("fuzz-http summary (OpenAPI {openapi} document):");
    println!(
        "  operations tested  {} of {}",
        operations["tested"], operations["total"]
    );
    println!(
        "  requests sent      {}  (by status: {{{}}})",
        statuses.values().sum::<u64>(),
        by_status.join(", ")
    );
    println!("  test cases         {}", cases["generated"]);
    println!(
        "  failures           {with_failures} test cases, {} unique; {errors} errors",
        cases["unique_failures"]
    );
    println!("  5xx answers        {server_errors}");
    println!(
        "  time               {:.0}s, seed {}",
        report["running_time"].as_f64().unwrap_or(0.0),
        seed
    );
    println!(
        "  reports            {}/ (report.json, events.ndjson, schemathesis.txt)",
        reports.display()
    );
    Ok(with_failures == 0 && errors == 0 && server_errors == 0)
}
