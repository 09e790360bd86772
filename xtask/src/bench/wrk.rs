//! wrk, the load generator: its command line and what it prints.

use std::fs::File;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::process::{alive, command};

/// The figures of one wrk run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub requests_per_second: f64,
    /// Latency percentiles, in microseconds.
    pub p50_us: f64,
    pub p99_us: f64,
    /// Requests completed.
    pub total: u64,
    /// "Non-2xx or Non-3xx responses: N; Socket errors: ...; ", or empty.
    pub errors: String,
}

impl Figures {
    /// Reads wrk's `--latency` output.
    pub fn parse(output: &str) -> Result<Figures> {
        let mut figures = Figures::default();
        let mut found_rate = false;
        for line in output.lines() {
            let trimmed = line.trim_start();
            let mut fields = trimmed.split_whitespace();
            let first = fields.next().unwrap_or("");
            if let Some(rate) = line.strip_prefix("Requests/sec:") {
                figures.requests_per_second = rate.trim().parse().context("wrk's Requests/sec")?;
                found_rate = true;
            } else if first == "50%" {
                figures.p50_us = latency_us(fields.next().unwrap_or(""));
            } else if first == "99%" {
                figures.p99_us = latency_us(fields.next().unwrap_or(""));
            } else if line.contains("Non-2xx") || line.contains("Socket errors") {
                figures.errors.push_str(trimmed);
                figures.errors.push_str("; ");
            } else if line.contains("requests in") {
                figures.total = first.parse().unwrap_or(0);
            }
        }
        if !found_rate {
            bail!("wrk printed no Requests/sec:\n{output}");
        }
        Ok(figures)
    }
}

/// wrk's "123.45us" / "1.23ms" / "1.02s" / "1.50m" as microseconds.
pub fn latency_us(text: &str) -> f64 {
    let number = leading_number(text);
    if text.ends_with("us") {
        number
    } else if text.ends_with("ms") {
        number * 1000.0
    } else if text.ends_with('m') {
        number * 60_000_000.0
    } else if text.ends_with('s') {
        number * 1_000_000.0
    } else {
        number
    }
}

/// wrk's "10s" / "2m" / "1h" / "10" as whole seconds.
pub fn seconds_of(text: &str) -> u64 {
    let number = leading_number(text);
    let seconds = if text.ends_with('h') {
        number * 3600.0
    } else if text.ends_with('m') {
        number * 60.0
    } else {
        number
    };
    seconds as u64
}

/// The number a text starts with (as awk's `t + 0` reads it), 0 when there is none.
fn leading_number(text: &str) -> f64 {
    let end = text
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_digit() || c == '.'))
        .map_or(text.len(), |(i, _)| i);
    text[..end].parse().unwrap_or(0.0)
}

/// Microseconds as the report shows them: "850us", "1.25ms".
pub fn fmt_us(us: f64) -> String {
    if us < 1000.0 {
        format!("{us:.0}us")
    } else {
        format!("{:.2}ms", us / 1000.0)
    }
}

/// One wrk command: `wrk -tT -cC -dD --latency [-s SCRIPT] URL`.
pub struct Load<'a> {
    pub threads: u32,
    pub connections: u32,
    pub duration: &'a str,
    pub script: Option<&'a Path>,
    pub url: String,
}

impl Load<'_> {
    fn spawn(&self, output: &Path) -> Result<Child> {
        let out = File::create(output)?;
        let mut wrk = command("wrk");
        wrk.arg(format!("-t{}", self.threads))
            .arg(format!("-c{}", self.connections))
            .arg(format!("-d{}", self.duration))
            .arg("--latency");
        if let Some(script) = self.script {
            wrk.arg("-s").arg(script);
        }
        wrk.arg(&self.url)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        wrk.spawn().context("starting wrk")
    }

    /// Runs wrk to the end; its output goes to `output`.
    pub fn run(&self, output: &Path) -> Result<Figures> {
        let status = self.spawn(output)?.wait()?;
        let text = std::fs::read_to_string(output).unwrap_or_default();
        if !status.success() {
            bail!("wrk failed against {}:\n{text}", self.url);
        }
        Figures::parse(&text).with_context(|| format!("wrk against {}", self.url))
    }

    /// Starts wrk in the background, for a load that outlasts the next measured run;
    /// waits 1 s so that the load is in full swing.
    pub fn start(&self, output: &Path) -> Result<Background> {
        let child = self.spawn(output)?;
        std::thread::sleep(Duration::from_secs(1));
        let mut background = Background {
            child,
            output: output.to_owned(),
        };
        if !alive(background.child.id()) {
            let _ = background.child.wait();
            bail!(
                "the background wrk against {} exited early:\n{}",
                self.url,
                std::fs::read_to_string(output).unwrap_or_default()
            );
        }
        Ok(background)
    }
}

/// A background wrk; killed if dropped before [`Background::stop`].
pub struct Background {
    child: Child,
    output: std::path::PathBuf,
}

impl Background {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the load with SIGINT (wrk prints its figures and exits) and reads them.
    pub fn stop(mut self) -> Result<Figures> {
        // SAFETY: kill(2) on our own child's pid, which is not reaped yet.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGINT) };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(3) {
            if self.child.try_wait()?.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let text = std::fs::read_to_string(&self.output).unwrap_or_default();
        Figures::parse(&text).context("the background wrk printed no figures")
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "Running 2s test @ http://127.0.0.1:4000/ping
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   210.55us  300.12us   9.80ms   95.00%
    Req/Sec    70.12k     5.01k   80.00k    70.00%
  Latency Distribution
     50%  150.00us
     75%  200.00us
     90%  300.00us
     99%    1.25ms
  279000 requests in 2.00s, 40.00MB read
  Non-2xx or Non-3xx responses: 12
Requests/sec: 139500.25
Transfer/sec:     20.00MB
";

    #[test]
    fn reads_wrk_output() {
        let figures = Figures::parse(OUTPUT).unwrap();
        assert_eq!(
            figures,
            Figures {
                requests_per_second: 139500.25,
                p50_us: 150.0,
                p99_us: 1250.0,
                total: 279000,
                errors: "Non-2xx or Non-3xx responses: 12; ".into(),
            }
        );
    }

    #[test]
    fn latencies_and_durations_in_wrk_units() {
        assert_eq!(latency_us("123.5us"), 123.5);
        assert_eq!(latency_us("1.5ms"), 1500.0);
        assert_eq!(latency_us("1.02s"), 1_020_000.0);
        assert_eq!(latency_us("2.00m"), 120_000_000.0);
        assert_eq!(seconds_of("5s"), 5);
        assert_eq!(seconds_of("2m"), 120);
        assert_eq!(seconds_of("1h"), 3600);
        assert_eq!(seconds_of("7"), 7);
        assert_eq!((fmt_us(850.4), fmt_us(1250.0)), ("850us".into(), "1.25ms".into()));
    }
}
