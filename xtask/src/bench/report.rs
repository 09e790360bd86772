//! The benchmark's report: the table of runs, the ratios of the pairs, and the
//! figures the targets of DESIGN §10 are read from.

use std::fmt::Write as _;
use std::process::Command;

use anyhow::{Context, Result};

use super::wrk::fmt_us;
use super::{system, Best, Config, Results, RUNS};
use crate::process;

/// The median of the values.
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// The report's text.
pub fn render(config: &Config, results: &Results, redis_version: &str) -> Result<String> {
    let best = |name: &str| -> Result<&Best> {
        results
            .best
            .get(name)
            .with_context(|| format!("no figures for {name}"))
    };
    let rss_mb = |name: &str| results.rss_kb.get(name).copied().unwrap_or(0) as f64 / 1024.0;
    let mut out = String::new();

    let date = process::output(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]))?;
    let commit = process::output(Command::new("git").args(["rev-parse", "--short", "HEAD"]))
        .map_or_else(|_| "?".to_owned(), |sha| sha.trim().to_owned());
    let local_changes = Command::new("git")
        .args(["diff", "--quiet"])
        .status()
        .is_ok_and(|status| !status.success());
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
    writeln!(
        out,
        "apiview benchmark, {}, commit {commit}{}",
        date.trim(),
        if local_changes {
            " (with local changes)"
        } else {
            ""
        }
    )?;
    writeln!(out, "machine: {}", system::machine())?;
    writeln!(
        out,
        "load: {wrk_version} -t{} -c{} -d{} --latency on loopback, best of {} round(s), interleaved",
        config.threads, config.connections, config.duration, config.rounds
    )?;
    writeln!(
        out,
        "servers: demo (simple packer, RUST_LOG=warn), tools/src/bin/baseline.rs, redis-demo (the demo caching in redis-server {redis_version} on loopback), safe-demo (examples/safe --serve: safe packer, 2048-bit RSA keys, client `demo`; /plain_ping simple-packed on the same server)"
    )?;
    writeln!(
        out,
        "mixed run: /plain_ping measured as above while a second wrk -t1 -c{} drives POST /decode_echo with the encrypted body (started 1s before)",
        config.mixed_connections
    )?;
    writeln!(out)?;

    writeln!(
        out,
        "{:<36} {:>9} {:>8} {:>8} {:>9} {:>10}",
        "run", "req/s", "p50", "p99", "peak RSS", "other CPU"
    )?;
    let mut max_other = 0;
    for run in RUNS {
        let b = best(run.name)?;
        writeln!(
            out,
            "{:<36} {:>9.0} {:>8} {:>8} {:>7.1}MB {:>9}%",
            run.name,
            b.figures.requests_per_second,
            fmt_us(b.figures.p50_us),
            fmt_us(b.figures.p99_us),
            rss_mb(run.name),
            b.other_cpu
        )?;
        max_other = max_other.max(b.other_cpu);
    }
    writeln!(out, "(other CPU: what processes outside the benchmark, steal time included, took during the run, in % of one core)")?;
    writeln!(out)?;

    writeln!(
        out,
        "{:<32} {:>6} {:>6} {:>6}  {:<20} targets",
        "ratios", "best", "median", "p99", "req/s per round"
    )?;
    let mut ratio = |label: &str, a: &str, b: &str, note: &str| -> Result<()> {
        // Per round: the ratio of the runs made back to back, to two decimals; the
        // median of those is the steadier figure on a noisy machine.
        let mut per_round = Vec::new();
        let mut shown = String::new();
        for round in 1..=config.rounds {
            let (x, y) = (results.round_rps[&(round, a)], results.round_rps[&(round, b)]);
            let rounded = format!("{:.2}", x / y);
            shown.push_str(&rounded);
            shown.push(' ');
            per_round.push(rounded.parse::<f64>().unwrap_or(f64::NAN));
        }
        let (best_a, best_b) = (best(a)?, best(b)?);
        writeln!(
            out,
            "{label:<32} {:>6.3} {:>6.3} {:>6.2}  {shown:<20} {note}",
            best_a.figures.requests_per_second / best_b.figures.requests_per_second,
            median(&mut per_round),
            best_a.figures.p99_us / best_b.figures.p99_us
        )?;
        Ok(())
    };
    let on_target = "req/s >= 0.95 (§10), p99 <= 1.2";
    ratio("ping  demo / baseline", "demo /ping", "baseline /ping", on_target)?;
    ratio("add   demo / baseline", "demo /add", "baseline /add", on_target)?;
    ratio(
        "echo  demo / baseline",
        "demo POST /echo",
        "baseline POST /echo",
        on_target,
    )?;
    ratio(
        "control: baseline-2 / baseline",
        "baseline-2 POST /echo (control)",
        "baseline POST /echo",
        "1 but for noise: the spread to expect",
    )?;
    ratio(
        "body 64kB / body 1kB",
        "demo POST /body 64kB",
        "demo POST /body 1kB",
        "growth with body size",
    )?;
    ratio(
        "body 1MB / body 1kB",
        "demo POST /body 1MB",
        "demo POST /body 1kB",
        "growth with body size",
    )?;
    ratio(
        "memory-cache hit / demo /ping",
        "demo /cached_add (memory hit)",
        "demo /ping",
        "req/s >= 0.95",
    )?;
    ratio(
        "redis hit / redis-demo /ping",
        "redis-demo /cached_add (redis hit)",
        "redis-demo /ping",
        "one round trip",
    )?;
    ratio(
        "safe /ping / plain_ping",
        "safe-demo /ping (safe packer)",
        "safe-demo /plain_ping",
        "req/s >= 0.5 (same server)",
    )?;
    ratio(
        "encrypted /echo / plain_ping",
        "safe-demo POST /decode_echo (encrypted)",
        "safe-demo /plain_ping",
        "the decrypt-request cost",
    )?;
    ratio(
        "plain_ping mixed / alone",
        "safe-demo /plain_ping + /decode_echo load",
        "safe-demo /plain_ping",
        "p99 <= 2.0",
    )?;

    let redis_hit = best("redis-demo /cached_add (redis hit)")?;
    writeln!(
        out,
        "redis hit: p50 {:+.0}us over /ping, {} Redis hits per request",
        redis_hit.figures.p50_us - best("redis-demo /ping")?.figures.p50_us,
        redis_hit
            .redis_per_request
            .map_or_else(String::new, |hits| format!("{hits:.2}"))
    )?;
    let peak = [
        "demo /ping",
        "demo /cached_add (memory hit)",
        "demo /add",
        "demo POST /echo",
    ]
    .iter()
    .map(|name| rss_mb(name))
    .fold(0.0, f64::max);
    writeln!(out, "demo peak RSS under load: {peak:.1} MB (target: < 50 MB)")?;
    writeln!(
        out,
        "demo peak RSS with {} concurrent 1 MB bodies answered back: {:.1} MB",
        config.connections,
        rss_mb("demo POST /body 1MB")
    )?;
    let encrypted = best("safe-demo POST /decode_echo (encrypted)")?;
    writeln!(
        out,
        "decrypt-request cost: POST /decode_echo with an encrypted body {:.0} req/s, p50 {}, p99 {}; server CPU {:.0}us per request (/ping safe-packed {:.0}us, /plain_ping {:.0}us)",
        encrypted.figures.requests_per_second,
        fmt_us(encrypted.figures.p50_us),
        fmt_us(encrypted.figures.p99_us),
        encrypted.cpu_us,
        best("safe-demo /ping (safe packer)")?.cpu_us,
        best("safe-demo /plain_ping")?.cpu_us
    )?;
    let mixed = best("safe-demo /plain_ping + /decode_echo load")?;
    let alone = best("safe-demo /plain_ping")?;
    let background = mixed.background.clone().unwrap_or_default();
    writeln!(
        out,
        "mixed: /plain_ping p99 {} next to encrypted POST /decode_echo (-c{}: {:.0} req/s, p50 {}, p99 {}), {} alone: {:.2}x (target: <= 2x)",
        fmt_us(mixed.figures.p99_us),
        config.mixed_connections,
        background.requests_per_second,
        fmt_us(background.p50_us),
        fmt_us(background.p99_us),
        fmt_us(alone.figures.p99_us),
        mixed.figures.p99_us / alone.figures.p99_us
    )?;
    for run in RUNS {
        let errors = &best(run.name)?.figures.errors;
        if !errors.is_empty() {
            writeln!(out, "errors in {}: {errors}", run.name)?;
        }
    }
    if max_other > 10 {
        writeln!(
            out,
            "WARNING: other processes took up to {max_other}% of a core during the reported runs: the figures are noisy"
        )?;
    }
    if results.mismatches > 0 {
        writeln!(
            out,
            "WARNING: {} self-check request(s) answered differently by the demo and the baseline",
            results.mismatches
        )?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&mut [0.9, 1.1, 0.8]), 0.9);
        assert_eq!(median(&mut [1.0, 0.8, 0.9, 1.2]), 0.95);
        assert_eq!(median(&mut [0.96]), 0.96);
    }
}
