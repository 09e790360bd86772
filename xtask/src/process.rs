//! Starting and stopping the programs the tools drive: free loopback ports, servers
//! that are stopped however the tool ends, and the example binaries cargo builds.
//!
//! Every child is started by [`command`]: in a process group of its own, so that a
//! Ctrl-C reaches the tool rather than a server in the middle of a measurement, and
//! with a parent-death signal, so that it is stopped even when the tool is killed
//! (a signal, a panic that aborts) and no `Drop` runs. A [`Server`] is also stopped
//! when it is dropped: on success, on an error returned with `?`, on a panic.

use std::ffi::OsStr;
use std::fs::File;
use std::io::Read;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

#[path = "../../tests/common/death_signal.rs"]
mod death_signal;

/// A command whose process is a child of this tool alone: its own process group, and
/// SIGTERM when this tool dies.
pub fn command(program: impl AsRef<OsStr>) -> Command {
    command_with_death_signal(program, libc::SIGTERM)
}

/// [`command`] with another signal for when this tool dies: PostgreSQL's postmaster
/// takes SIGTERM as a smart shutdown, which waits for its clients, and needs SIGQUIT
/// (see `postgres.rs`).
///
/// The signal is sent when the thread that spawned the child ends, so children that must
/// live as long as the tool are spawned from its main thread.
pub fn command_with_death_signal(program: impl AsRef<OsStr>, signal: libc::c_int) -> Command {
    let mut command = Command::new(program);
    command.process_group(0);
    death_signal::die_with_parent(&mut command, signal);
    command
}

/// A loopback port nothing listens on: the kernel's choice, released at once.
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("binding a loopback port")?;
    Ok(listener.local_addr()?.port())
}

/// Whether something accepts connections on the loopback port.
pub fn port_open(port: u16) -> bool {
    TcpStream::connect_timeout(&(Ipv4Addr::LOCALHOST, port).into(), Duration::from_millis(200)).is_ok()
}

/// Running, not exited and not a zombie (a process another tool started too).
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| stat.rsplit_once(") ").map(|(_, rest)| !rest.starts_with('Z')))
        .unwrap_or(false)
}

/// A program started by the tool, its output in a log file; stopped (SIGTERM, then
/// SIGKILL after 2 s) when dropped.
pub struct Server {
    pub name: String,
    pub port: u16,
    pub log: PathBuf,
    child: Child,
}

impl Server {
    /// Starts `command` (from [`command`]) with its stdout and stderr in `log`, and
    /// waits up to 10 s for `port` to accept connections.
    pub fn start(name: &str, port: u16, command: Command, log: &Path) -> Result<Server> {
        Server::start_with_limit(name, port, command, log, Duration::from_secs(10))
    }

    /// [`Server::start`], waiting up to `limit` for the port.
    pub fn start_with_limit(
        name: &str,
        port: u16,
        command: Command,
        log: &Path,
        limit: Duration,
    ) -> Result<Server> {
        let mut server = Server::spawn(name, port, command, log)?;
        server.wait_for_port(limit)?;
        Ok(server)
    }

    /// Starts `command` (from [`command`]) with its stdout and stderr in `log`, without
    /// waiting for the port.
    pub fn spawn(name: &str, port: u16, mut command: Command, log: &Path) -> Result<Server> {
        let out = File::create(log).with_context(|| format!("creating {}", log.display()))?;
        command.stdin(Stdio::null()).stdout(out.try_clone()?).stderr(out);
        let child = command
            .spawn()
            .with_context(|| format!("starting {name}: {command:?}"))?;
        Ok(Server {
            name: name.to_owned(),
            port,
            log: log.to_owned(),
            child,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Running, not exited.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn wait_for_port(&mut self, limit: Duration) -> Result<()> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if port_open(self.port) {
                return Ok(());
            }
            if !self.alive() {
                bail!("{} exited early:\n{}", self.name, self.log_tail(40));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!(
            "{} did not listen on port {}:\n{}",
            self.name,
            self.port,
            self.log_tail(40)
        )
    }

    /// Waits up to `limit` for a line of the log that contains `needle`, and returns it.
    pub fn wait_for_line(&mut self, needle: &str, limit: Duration) -> Result<String> {
        let started = Instant::now();
        loop {
            if let Some(line) = self.log_text().lines().find(|line| line.contains(needle)) {
                return Ok(line.to_owned());
            }
            if !self.alive() {
                bail!("{} exited early:\n{}", self.name, self.log_tail(40));
            }
            if started.elapsed() > limit {
                bail!("{} did not log `{needle}`:\n{}", self.name, self.log_tail(40));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The log so far (lossy UTF-8).
    pub fn log_text(&self) -> String {
        let mut bytes = Vec::new();
        let _ = File::open(&self.log).and_then(|mut file| file.read_to_end(&mut bytes));
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The last `lines` lines of the log.
    pub fn log_tail(&self, lines: usize) -> String {
        tail(&self.log_text(), lines)
    }

    /// Stops the server (SIGTERM, SIGKILL after 2 s) and reaps it.
    pub fn stop(&mut self) {
        if self.alive() {
            // SAFETY: kill(2) on our own child's pid, which is not reaped yet.
            unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
            let started = Instant::now();
            while self.alive() && started.elapsed() < Duration::from_secs(2) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The last `lines` lines of `text`.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Runs a command to the end and returns its stdout, failing on a non-zero exit.
pub fn output(command: &mut Command) -> Result<String> {
    let out = command
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if !out.status.success() {
        bail!("{command:?} failed ({})", out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Fails with what to install when `program` is not on the PATH.
pub fn need(program: &str, package: &str) -> Result<()> {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()));
    if !found {
        bail!("`{program}` is needed: apt-get install {package} (the scripts/*.sh wrappers install it)");
    }
    Ok(())
}

/// The cargo that runs this tool (`$CARGO`), else the one on the PATH.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Builds with `cargo build ARGS` and returns the path of the executable named `name`.
/// Each call is one cargo invocation: features are unified within it only, so the
/// demo's build does not change when another package or feature is built for a tool.
pub fn build(args: &[&str], name: &str) -> Result<PathBuf> {
    let [path] = build_all(args, [name])?;
    Ok(path)
}

/// [`build`] for several executables of one cargo invocation, in the order of `names`.
pub fn build_all<const N: usize>(args: &[&str], names: [&str; N]) -> Result<[PathBuf; N]> {
    let stdout = output(
        cargo()
            .arg("build")
            .args(args)
            .arg("--message-format=json-render-diagnostics"),
    )?;
    let mut paths: [Option<PathBuf>; N] = std::array::from_fn(|_| None);
    for line in stdout.lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        let (Some(name), Some(path)) = (message["target"]["name"].as_str(), message["executable"].as_str())
        else {
            continue;
        };
        if let Some(i) = names.iter().position(|wanted| *wanted == name) {
            paths[i] = Some(PathBuf::from(path));
        }
    }
    let mut built = Vec::with_capacity(N);
    for (name, path) in names.iter().zip(paths) {
        match path {
            Some(path) => built.push(path),
            None => bail!(
                "cargo build {} produced no executable named {name}",
                args.join(" ")
            ),
        }
    }
    Ok(built.try_into().expect("one path per name"))
}

/// Where cargo builds (`$CARGO_TARGET_DIR`, else `target/`): reports and scratch
/// files of the tools go under it.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// An empty scratch directory `target/xtask/NAME` (emptied first: its files stay after
/// a run, for reading a failure).
pub fn scratch_dir(name: &str) -> Result<PathBuf> {
    let dir = target_dir().join("xtask").join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("emptying {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// Removes every `APIVIEW_*` variable from this process's environment, and so from its
/// children's: the benchmark's servers read their settings from the files it writes.
pub fn clear_apiview_env() {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("APIVIEW_") {
            std::env::remove_var(name);
        }
    }
}
