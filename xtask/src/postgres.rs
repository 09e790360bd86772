//! A private PostgreSQL server for the tools, as tests/common/postgres.rs starts one for
//! the tests: `initdb` into a fresh directory under the system's temporary directory,
//! the server on a free loopback port with its unix socket in that directory, trust
//! authentication, no fsync (its data is thrown away).
//!
//! The programs are found in `$PG_BIN`, else `pg_config --bindir`, else the highest
//! `/usr/lib/postgresql/*/bin` (Debian keeps them off the PATH), else the PATH. initdb
//! and postgres refuse to run as root: as root they run as the `postgres` user
//! (`nobody` when there is none), which is given the directory.
//!
//! Stopping is PostgreSQL's immediate shutdown, SIGQUIT to the postmaster, which ends
//! its backends and exits. That is also its parent-death signal: [`process::command`]'s
//! SIGTERM is a *smart* shutdown to PostgreSQL, which waits for every client to go, and
//! killing the process group would not reach the backends, each a session leader of
//! its own. So the server stops when the tool is killed and no `Drop` runs; only its
//! directory (about 40 MB) then stays behind, until the next start removes it.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::process::{self, alive, free_port, port_open};

#[path = "../../tests/common/pg_host.rs"]
mod pg_host;
use pg_host::{children, signal, wait_until, RunAs};

/// How long a started server may take to accept connections.
const READY_WITHIN: Duration = Duration::from_secs(30);

/// How long an immediate shutdown may take before the processes are killed.
const STOP_WITHIN: Duration = Duration::from_secs(10);

/// The superuser initdb creates, in every URL.
const USER: &str = "postgres";

/// A running private server; stopped, and its directory removed, when dropped.
pub struct Postgres {
    pub port: u16,
    dir: PathBuf,
    bin: PathBuf,
    child: Option<Child>,
}

impl Postgres {
    /// Creates a cluster and starts it on a free port (a few seconds).
    pub fn start(name: &str) -> Result<Postgres> {
        let bin = bin_dir()?;
        let prefix = format!("apiview-{name}-postgres-");
        remove_stale(&prefix);
        let dir = std::env::temp_dir().join(format!("{prefix}{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("emptying {}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut server = Postgres {
            port: 0,
            dir,
            bin,
            child: None,
        };
        server.init()?;
        // The port is free when picked, but another process may take it before the
        // postmaster binds it: then another.
        let mut problem = String::new();
        for _ in 0..5 {
            server.port = free_port()?;
            match server.spawn() {
                Ok(()) => return Ok(server),
                Err(err) => problem = format!("{err:#}"),
            }
        }
        bail!("PostgreSQL did not start: {problem}")
    }

    /// `postgres://postgres@127.0.0.1:PORT/DATABASE`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates an empty database.
    pub fn create_database(&self, name: &str) -> Result<()> {
        process::output(
            Command::new(self.bin.join("psql"))
                .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &self.url("postgres")])
                .args(["-c", &format!("CREATE DATABASE \"{name}\"")])
                .stdin(Stdio::null()),
        )
        .with_context(|| {
            format!(
                "creating the database {name}; the server's log ends:\n{}",
                self.log_tail()
            )
        })?;
        Ok(())
    }

    /// The postmaster and its children (the backends, the checkpointer, ..): whose CPU
    /// time is the database's.
    pub fn pids(&self) -> Vec<u32> {
        let Some(child) = &self.child else {
            return Vec::new();
        };
        let pid = child.id();
        let mut pids = children(pid);
        pids.push(pid);
        pids
    }

    /// `postgres (PostgreSQL) 15.x`.
    pub fn version(&self) -> String {
        process::output(Command::new(self.bin.join("postgres")).arg("--version"))
            .map_or_else(|_| "PostgreSQL".to_owned(), |text| text.trim().to_owned())
    }

    /// The end of the server's log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read(self.dir.join("server.log")).unwrap_or_default();
        process::tail(&String::from_utf8_lossy(&text), 30)
    }

    fn init(&self) -> Result<()> {
        if let Some(user) = run_as()? {
            std::os::unix::fs::chown(&self.dir, Some(user.uid), Some(user.gid))
                .with_context(|| format!("giving {} to {}", self.dir.display(), user.name))?;
        }
        let mut initdb = self.server_command("initdb")?;
        initdb
            .arg("-D")
            .arg(self.dir.join("data"))
            .args([
                "-U",
                USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ])
            .current_dir(&self.dir)
            .stdin(Stdio::null());
        process::output(&mut initdb).with_context(|| {
            format!(
                "initdb in {} (as root it runs as the postgres user: every directory above must be open to it)",
                self.dir.display()
            )
        })?;
        Ok(())
    }

    fn spawn(&mut self) -> Result<()> {
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.dir.join("server.log"))?;
        let mut postgres = self.server_command("postgres")?;
        postgres
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-p", &self.port.to_string(), "-h", "127.0.0.1", "-k"])
            .arg(&self.dir)
            // Throw-away data: nothing is flushed to disk.
            .args(["-c", "fsync=off", "-c", "full_page_writes=off"])
            // Segments in the data directory rather than /dev/shm, which a container keeps small.
            .args(["-c", "dynamic_shared_memory_type=mmap"])
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let child = postgres.spawn().context("starting postgres")?;
        let pid = child.id();
        self.child = Some(child);
        let started = Instant::now();
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|child| child.try_wait().ok().flatten())
            {
                self.child = None;
                bail!(
                    "PostgreSQL on port {} exited with {status}; its log ends:\n{}",
                    self.port,
                    self.log_tail()
                );
            }
            if self.ready(pid) {
                return Ok(());
            }
            if started.elapsed() > READY_WITHIN {
                let tail = self.log_tail();
                self.stop();
                bail!(
                    "PostgreSQL on port {} was not ready within {READY_WITHIN:?}; its log ends:\n{tail}",
                    self.port
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the postmaster `pid` says in its pid file that it accepts connections
    /// (line 8, as pg_ctl reads it).
    fn ready(&self, pid: u32) -> bool {
        let Ok(text) = std::fs::read_to_string(self.dir.join("data/postmaster.pid")) else {
            return false;
        };
        let lines: Vec<&str> = text.lines().collect();
        lines.first() == Some(&pid.to_string().as_str())
            && lines.get(7).is_some_and(|status| status.trim() == "ready")
    }

    /// A server program with the parent-death signal SIGQUIT, run as [`run_as`] says.
    fn server_command(&self, program: &str) -> Result<Command> {
        let mut command = process::command_with_death_signal(self.bin.join(program), libc::SIGQUIT);
        if let Some(user) = run_as()? {
            command.uid(user.uid).gid(user.gid);
        }
        Ok(command)
    }

    /// Immediate shutdown: SIGQUIT, then SIGKILL to the postmaster and its children if
    /// it is still there after [`STOP_WITHIN`].
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = child.id();
        signal(pid, libc::SIGQUIT);
        if !wait_until(STOP_WITHIN, || !alive(pid)) {
            let backends = children(pid);
            signal(pid, libc::SIGKILL);
            for backend in backends {
                signal(backend, libc::SIGKILL);
            }
            wait_until(STOP_WITHIN, || !alive(pid));
        }
        let _ = child.wait();
        if !wait_until(STOP_WITHIN, || !port_open(self.port)) {
            eprintln!(
                "xtask: port {} still accepts connections after PostgreSQL was stopped",
                self.port
            );
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Removes the directories `PREFIX<pid>` that a killed tool left behind: those whose
/// tool is gone (its server went with it).
fn remove_stale(prefix: &str) {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name
            .to_str()
            .and_then(|name| name.strip_prefix(prefix)?.parse::<u32>().ok());
        if pid.is_some_and(|pid| !alive(pid)) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The directory of initdb, postgres and psql.
fn bin_dir() -> Result<PathBuf> {
    pg_host::find_bin_dir().map_err(anyhow::Error::msg)
}

/// The user initdb and postgres run as (`None`: this process's).
fn run_as() -> Result<Option<RunAs>> {
    pg_host::run_as().map_err(anyhow::Error::msg)
}
