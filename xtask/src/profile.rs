//! `cargo xtask profile demo|baseline PATH [JSON-BODY]`: instructions per request,
//! counted by valgrind's callgrind: repeatable whatever else the machine is doing,
//! unlike requests/s. Profiles one server over N keep-alive requests to one path,
//! after a warm-up, and prints the instructions per request and the functions that
//! cost most. The callgrind output stays in target/profile/<server>-<path>.out for
//! callgrind_annotate or kcachegrind.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::ValueEnum;

use crate::http::{Connection, Request};
use crate::process::{self, command, free_port};

/// The server to profile.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Profiled {
    /// The apiview demo (examples/demo).
    Demo,
    /// The plain-poem baseline (tools/src/bin/baseline.rs).
    Baseline,
}

/// PROFILE_REQUESTS (2000) and PROFILE_TOP (25).
pub struct Config {
    pub requests: usize,
    pub top: usize,
}

impl Config {
    pub fn from_env() -> Result<Config> {
        let number = |name: &str, default: usize| -> Result<usize> {
            match std::env::var(name) {
                Ok(value) if !value.is_empty() => value
                    .parse()
                    .with_context(|| format!("{name} must be a whole number, not `{value}`")),
                _ => Ok(default),
            }
        };
        Ok(Config {
            requests: number("PROFILE_REQUESTS", 2000)?,
            top: number("PROFILE_TOP", 25)?,
        })
    }
}

/// The pause before each request.
const PACE: Duration = Duration::from_micros(300);

pub fn profile(server: Profiled, path: &str, body: Option<&str>, config: &Config) -> Result<()> {
    process::clear_apiview_env();
    process::need("valgrind", "valgrind")?;
    let (name, binary) = match server {
        Profiled::Demo => (
            "demo",
            process::build(&["--release", "--quiet", "--example", "demo"], "demo")?,
        ),
        Profiled::Baseline => (
            "baseline",
            process::build(
                &["--release", "--quiet", "-p", "apiview-tools", "--bin", "baseline"],
                "baseline",
            )?,
        ),
    };
    let dir = PathBuf::from("target/profile");
    std::fs::create_dir_all(&dir)?;
    let safe_path: String = path
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let out = dir.join(format!("{name}-{safe_path}.out"));
    remove_dumps(&out)?;

    let port = free_port()?;
    let mut valgrind = command("valgrind");
    valgrind
        .args(["--tool=callgrind", "--instr-atstart=no"])
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(&binary)
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "warn");
    let mut server = process::Server::spawn(name, port, valgrind, &with_suffix(&out, ".log"))?;
    let pid = server.pid().to_string();
    // Under valgrind the server takes seconds to start. The first connection that opens
    // is the one profiled: no probe connection before it.
    let started = std::time::Instant::now();
    let mut connection = loop {
        match Connection::open(port) {
            Ok(connection) => break connection,
            Err(_) if server.alive() && started.elapsed() < Duration::from_secs(60) => {
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(err) => bail!("the server did not start ({err:#}):\n{}", server.log_tail(20)),
        }
    };
    let request = match body {
        Some(body) => Request::post(path, "application/json", body.as_bytes()),
        None => Request::get(path),
    };
    let mut send = |count: usize| -> Result<()> {
        for _ in 0..count {
            // Each request finds the server idle, its workers parked, as at the pace of
            // the Python client these counts were first taken with. Back to back, the
            // count flips between two modes 1 % apart, by which worker wakes for what.
            std::thread::sleep(PACE);
            let response = connection.send(&request)?;
            if response.status != 200 {
                bail!("{path} answered status {}", response.status);
            }
        }
        Ok(())
    };
    send(200)?; // warm-up: caches filled, lazy statics built, the connection pooled
    callgrind_control(&["--instr=on", &pid])?;
    callgrind_control(&["-z", &pid])?;
    send(config.requests)?;
    callgrind_control(&["-d", &pid])?;
    server.stop();

    // The dump triggered above is the file with the highest suffix.
    let dump = latest_dump(&out)?;
    let annotate = process::output(Command::new("callgrind_annotate").arg(&dump))?;
    let total: u64 = annotate
        .lines()
        .find(|line| line.contains("PROGRAM TOTALS"))
        .and_then(|line| line.split_whitespace().next())
        .and_then(|count| count.replace(',', "").parse().ok())
        .context("no PROGRAM TOTALS in callgrind_annotate's output")?;
    println!(
        "{name} {path}: {} instructions per request ({} requests; {})",
        total / config.requests as u64,
        config.requests,
        dump.display()
    );
    let functions = process::output(
        Command::new("callgrind_annotate")
            .arg("--inclusive=no")
            .arg(&dump),
    )?;
    let table: Vec<&str> = functions
        .lines()
        .skip_while(|line| !line.contains("file:function"))
        .take(config.top)
        .collect();
    println!("{}", table.join("\n"));
    Ok(())
}

fn callgrind_control(args: &[&str]) -> Result<()> {
    let out = Command::new("callgrind_control")
        .args(args)
        .output()
        .context("running callgrind_control")?;
    if !out.status.success() {
        bail!(
            "callgrind_control {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The numbered dumps of `out` (`out.1`, `out.2`, ...), by number.
fn dumps(out: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let prefix = format!("{}.", out.file_name().unwrap_or_default().to_string_lossy());
    let mut found = Vec::new();
    for entry in std::fs::read_dir(out.parent().unwrap_or(Path::new(".")))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(number) = name.strip_prefix(&prefix).and_then(|n| n.parse().ok()) {
            found.push((number, entry.path()));
        }
    }
    found.sort();
    Ok(found)
}

/// Removes the dumps of an earlier profile of the same server and path, so that the
/// highest suffix is this run's.
fn remove_dumps(out: &Path) -> Result<()> {
    for (_, path) in dumps(out)? {
        std::fs::remove_file(path)?;
    }
    Ok(())
}

fn latest_dump(out: &Path) -> Result<PathBuf> {
    dumps(out)?
        .pop()
        .map(|(_, path)| path)
        .with_context(|| format!("callgrind wrote no dump {}.N", out.display()))
}
