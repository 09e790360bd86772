//! The snippets benchmark's report: per database, the runs' medians and the ratios of
//! the pairs.

use std::fmt::Write as _;
use std::process::Command;

use anyhow::{Context, Result};

use super::super::report::median;
use super::super::system;
use super::super::wrk::fmt_us;
use super::{commit, seed, Config, Kind, Results, Sample, RATIOS, RUNS};
use crate::process;

/// The report's text.
pub fn render(config: &Config, all: &[Results]) -> Result<String> {
    let mut out = String::new();
    let date = process::output(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]))?;
    let wrk_version = Command::new("wrk")
        .arg("-v")
        .output()
        .map(|out| {
            let text =
                String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
            let first = text.lines().next().unwrap_or("").to_owned();
            first.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
        })
        .unwrap_or_default();
    let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    writeln!(
        out,
        "apiview snippets benchmark, {}, commit {}",
        date.trim(),
        commit()
    )?;
    writeln!(
        out,
        "machine: {}; /proc/loadavg at the end: {}",
        system::machine(),
        loadavg.trim()
    )?;
    writeln!(
        out,
        "load: {wrk_version} -t{} -c{} -d{} --latency on loopback, {} round(s) interleaved (reversed every other round), {} of warm-up per run",
        config.threads, config.connections, config.duration, config.rounds, config.warmup
    )?;
    writeln!(
        out,
        "servers: examples/snippets (App::serve, simple packer, RUST_LOG=warn): `cached` as shipped, `uncached` with SNIPPETS_LIST_CACHE=off; examples/snippets_baseline (plain poem, the example's storage.rs); each pool 8 connections"
    )?;
    writeln!(
        out,
        "data: 2 users, {} snippets made through the example's API; list: pages 1 to {} of 10 in turn; retrieve: every snippet in turn",
        seed::SNIPPETS,
        seed::SNIPPETS.div_ceil(10)
    )?;
    for results in all {
        render_database(&mut out, results)?;
    }
    Ok(out)
}

fn render_database(out: &mut String, results: &Results) -> Result<()> {
    let samples = |name: &str| -> Result<&Vec<Sample>> {
        results
            .samples
            .get(name)
            .with_context(|| format!("no figures for {name}"))
    };
    let median_of = |name: &str, value: fn(&Sample) -> f64| -> Result<f64> {
        let mut values: Vec<f64> = samples(name)?.iter().map(value).collect();
        Ok(median(&mut values))
    };
    let postgres = results.kind == Kind::Postgres;
    writeln!(out, "\n== {}: {}", results.kind.name(), results.database)?;
    writeln!(
        out,
        "{:<30} {:>8} {:>17} {:>8} {:>8} {:>10} {:>10} {:>6}",
        "run (medians of the rounds)", "req/s", "min..max", "p50", "p99", "server", "postgres", "other"
    )?;
    let mut max_other = 0;
    for run in RUNS {
        let rounds = samples(run.name)?;
        let rps: Vec<f64> = rounds.iter().map(|s| s.figures.requests_per_second).collect();
        let (min, max) = rps
            .iter()
            .fold((f64::INFINITY, 0.0_f64), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        let other = rounds.iter().map(|s| s.other_cpu).max().unwrap_or(0);
        max_other = max_other.max(other);
        writeln!(
            out,
            "{:<30} {:>8.0} {:>17} {:>8} {:>8} {:>8.0}us {:>10} {:>5}%",
            run.name,
            median_of(run.name, |s| s.figures.requests_per_second)?,
            format!("{min:.0}..{max:.0}"),
            fmt_us(median_of(run.name, |s| s.figures.p50_us)?),
            fmt_us(median_of(run.name, |s| s.figures.p99_us)?),
            median_of(run.name, |s| s.server_us)?,
            if postgres {
                format!("{:.0}us", median_of(run.name, |s| s.database_us)?)
            } else {
                "-".to_owned()
            },
            other
        )?;
    }
    writeln!(
        out,
        "(server, postgres: CPU time per answer of the server process and of PostgreSQL's; other: the most that processes outside the benchmark took in a round, in % of one core)"
    )?;
    writeln!(
        out,
        "\n{:<32} {:>6}  {:<30} toolkit's share of the time (1 - ratio)",
        "toolkit / baseline req/s", "median", "per round"
    )?;
    for (label, toolkit, baseline) in RATIOS {
        let (a, b) = (samples(toolkit)?, samples(baseline)?);
        let mut per_round: Vec<f64> = a
            .iter()
            .zip(b)
            .map(|(a, b)| a.figures.requests_per_second / b.figures.requests_per_second)
            .collect();
        let shown: Vec<String> = per_round.iter().map(|ratio| format!("{ratio:.2}")).collect();
        let ratio = median(&mut per_round);
        let share = if label.starts_with("control") {
            "(1.00 but for noise: the spread to expect)".to_owned()
        } else if ratio > 1.0 {
            format!("none: {:.0} % faster than the baseline", (ratio - 1.0) * 100.0)
        } else {
            format!("{:.0} %", (1.0 - ratio) * 100.0)
        };
        writeln!(out, "{label:<32} {ratio:>6.2}  {:<30} {share}", shown.join(" "))?;
    }
    for (label, toolkit, baseline) in &RATIOS[1..3] {
        let server = |name| median_of(name, |s| s.server_us);
        let database = |name| median_of(name, |s| s.database_us);
        let (t, b) = (server(toolkit)?, server(baseline)?);
        let total = t + database(toolkit)?;
        writeln!(
            out,
            "server CPU per answer, {label}: toolkit {t:.0}us, baseline {b:.0}us: {:+.0}us, {:.0} % of the toolkit's server{} CPU per answer",
            t - b,
            (t - b) / total * 100.0,
            if postgres { " + PostgreSQL" } else { "" }
        )?;
    }
    if max_other > 10 {
        writeln!(
            out,
            "WARNING: other processes took up to {max_other}% of a core during a round: the figures are noisy"
        )?;
    }
    Ok(())
}
