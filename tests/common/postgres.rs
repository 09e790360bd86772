//! A private PostgreSQL cluster per test, or one shared by a test binary: `initdb` into a
//! temporary directory, the server on a free loopback port with its unix socket in that
//! directory, trust authentication, no fsync. A test can stop it and start it again on
//! the same port with the same data.
//!
//! The programs are found in `$PG_BIN`, else `pg_config --bindir`, else the highest
//! `/usr/lib/postgresql/*/bin` (Debian keeps them off the PATH), else the PATH;
//! scripts/test.sh installs Debian's `postgresql` and sets `PG_BIN`. initdb and postgres
//! refuse to run as root: as root they run as the `postgres` user (`nobody` when there is
//! none), which is given the temporary directory.
//!
//! Stopping is PostgreSQL's immediate shutdown, SIGQUIT to the postmaster, which ends
//! its backends, waits for them and exits; the next start recovers from the WAL. Killing
//! the postmaster's process group would not do: each backend is a session leader of its
//! own. A server is started with a parent-death signal (SIGQUIT) from a thread that lives
//! as long as the test binary, so it stops too when the binary is killed (SIGKILL) and
//! no `Drop` runs; only its temporary directory (about 40 MB) then stays behind.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::net::{Ipv4Addr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::pg_host::{self, children, find_bin_dir, signal, wait_until, RunAs};
use super::process::{free_port, spawn_tied};

/// How long a started server may take to accept connections.
const READY_WITHIN: Duration = Duration::from_secs(30);

/// How long an immediate shutdown may take before the processes are killed.
const STOP_WITHIN: Duration = Duration::from_secs(10);

/// The superuser initdb creates, in every URL.
const USER: &str = "postgres";

/// The database [`PostgresServer::start`] creates.
const DATABASE: &str = "apiview";

/// A PostgreSQL server owned by a test; stopped when dropped, also when the test panics.
pub struct PostgresServer {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

/// The server of [`PostgresServer::shared`].
static SHARED: tokio::sync::OnceCell<PostgresServer> = tokio::sync::OnceCell::const_new();

impl PostgresServer {
    /// Creates a cluster, starts it on a free port, waits until it is ready and creates
    /// the database `apiview` (a second or two).
    pub async fn start() -> PostgresServer {
        let dir = tempfile::Builder::new()
            .prefix("apiview-postgres-")
            .tempdir()
            .expect("a temporary directory for PostgreSQL");
        let data = dir.path().to_owned();
        blocking(move || init(&data)).await;
        let mut server = PostgresServer {
            port: 0,
            dir,
            child: None,
        };
        let mut last_problem = String::new();
        // The port is free when picked but another process may take it before the
        // postmaster binds it: then try another.
        for _ in 0..5 {
            server.port = free_port();
            match server.spawn().await {
                Ok(()) => {
                    server.create_database(DATABASE).await;
                    return server;
                }
                Err(problem) => last_problem = problem,
            }
        }
        panic!("PostgreSQL did not start: {last_problem}");
    }

    /// One server for the whole test binary, started by the first test that asks for it
    /// and stopped when the binary exits. Tests that share it should each take their own
    /// [`PostgresServer::new_database`]; a test that stops its server needs its own.
    pub async fn shared() -> &'static PostgresServer {
        SHARED
            .get_or_init(|| async {
                let server = PostgresServer::start().await;
                // SAFETY: registers a function without captures; a static is never
                // dropped, so the exit is the only chance to stop the server and remove
                // its directory.
                unsafe { libc::atexit(stop_shared) };
                server
            })
            .await
    }

    /// `postgres://postgres@127.0.0.1:PORT/apiview`.
    pub fn url(&self) -> String {
        self.url_db(DATABASE)
    }

    /// `postgres://postgres@127.0.0.1:PORT/DATABASE`.
    pub fn url_db(&self, database: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{database}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The process id of the running postmaster.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("PostgreSQL is not running").id()
    }

    /// A new empty database (`test_1`, `test_2`, ..): its URL.
    pub async fn new_database(&self) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(1);
        let name = format!("test_{}", NEXT.fetch_add(1, Ordering::Relaxed));
        self.create_database(&name).await;
        self.url_db(&name)
    }

    /// The end of the server's log.
    pub fn log_tail(&self) -> String {
        log_tail(self.dir.path())
    }

    /// Stops the server at once (immediate shutdown, nothing flushed but the WAL, which
    /// the next start replays) and waits until its processes are gone and the port is
    /// closed.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let stopped = shut_down(child.id(), self.port);
        let _ = child.wait();
        if let Err(problem) = stopped {
            if !std::thread::panicking() {
                panic!("{problem}");
            }
        }
    }

    /// SIGSTOP to the postmaster and every backend: connections stay open and accepted,
    /// nothing answers (a server hung, or a network gone silent).
    pub fn pause(&self) {
        let postmaster = self.pid();
        signal(postmaster, libc::SIGSTOP);
        for child in children(postmaster) {
            signal(child, libc::SIGSTOP);
        }
    }

    /// SIGCONT after [`PostgresServer::pause`], to the backends first.
    pub fn resume(&self) {
        let postmaster = self.pid();
        for child in children(postmaster) {
            signal(child, libc::SIGCONT);
        }
        signal(postmaster, libc::SIGCONT);
    }

    /// Starts the server again on the same port and data directory, and waits until it
    /// is ready.
    pub async fn start_again(&mut self) {
        assert!(
            self.child.is_none(),
            "PostgreSQL is still running; stop() it first"
        );
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            match self.spawn().await {
                Ok(()) => return,
                Err(problem) if Instant::now() > deadline => {
                    panic!("PostgreSQL did not start again on port {}: {problem}", self.port)
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    async fn spawn(&mut self) -> Result<(), String> {
        let dir = self.dir.path();
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("server.log"))
            .expect("PostgreSQL's log file");
        let mut command = server_command("postgres");
        command
            .arg("-D")
            .arg(dir.join("data"))
            .args(["-p", &self.port.to_string(), "-h", "127.0.0.1", "-k"])
            .arg(dir)
            // For speed: nothing is flushed to disk, and a small cache. Not
            // synchronous_commit=off: a commit must reach the WAL (the OS's cache of it)
            // before it returns, or an immediate shutdown loses it and start_again
            // finds the data gone.
            .args(["-c", "fsync=off", "-c", "full_page_writes=off"])
            .args(["-c", "shared_buffers=16MB"])
            // Segments in the data directory rather than /dev/shm: nothing stays behind
            // when the server is killed, and a container's small /dev/shm is not a limit.
            .args(["-c", "dynamic_shared_memory_type=mmap"])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("PostgreSQL's log file"))
            .stderr(log);
        let child = spawn_tied(command, libc::SIGQUIT)
            .unwrap_or_else(|err| panic!("cannot run {}: {err}", bin_dir().join("postgres").display()));
        let pid = child.id();
        self.child = Some(child);
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|child| child.try_wait().ok().flatten())
            {
                self.child = None;
                return Err(format!(
                    "PostgreSQL on port {} exited with {status}; its log ends:\n{}",
                    self.port,
                    self.log_tail()
                ));
            }
            if ready(dir, pid) {
                return Ok(());
            }
            if Instant::now() > deadline {
                let tail = self.log_tail();
                self.stop();
                return Err(format!(
                    "PostgreSQL on port {} was not ready within {READY_WITHIN:?}; its log ends:\n{tail}",
                    self.port
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn create_database(&self, name: &str) {
        let mut command = psql(&self.url_db("postgres"));
        command.args(["-c", &format!("CREATE DATABASE \"{name}\"")]);
        let output = blocking(move || command.output()).await;
        match output {
            Ok(output) if output.status.success() => {}
            Ok(output) => panic!(
                "psql could not create the database {name}: {}\nthe server's log ends:\n{}",
                String::from_utf8_lossy(&output.stderr).trim(),
                self.log_tail()
            ),
            Err(err) => panic!("cannot run {}: {err}", bin_dir().join("psql").display()),
        }
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// psql on `url` (see [`PostgresServer::url`]): no psqlrc, unaligned rows without
/// headers, stopping at the first error. Add `-c SQL`.
pub fn psql(url: &str) -> Command {
    let mut command = Command::new(bin_dir().join("psql"));
    command
        .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url])
        .stdin(Stdio::null());
    command
}

/// The directory of initdb, postgres and psql; panics saying what to install.
pub fn bin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| find_bin_dir().unwrap_or_else(|problem| panic!("{problem}")))
}

/// `None` when this process is not root: then the programs run as this process does.
fn run_as() -> Option<&'static RunAs> {
    static RUN_AS: OnceLock<Option<RunAs>> = OnceLock::new();
    RUN_AS
        .get_or_init(|| pg_host::run_as().unwrap_or_else(|problem| panic!("{problem}")))
        .as_ref()
}

/// A server program, to be run as [`run_as`] says.
fn server_command(program: &str) -> Command {
    let mut command = Command::new(bin_dir().join(program));
    if let Some(user) = run_as() {
        command.uid(user.uid).gid(user.gid);
    }
    command
}

/// initdb into `dir/data`, `dir` given to the user the server runs as.
fn init(dir: &Path) {
    if let Some(user) = run_as() {
        std::os::unix::fs::chown(dir, Some(user.uid), Some(user.gid))
            .unwrap_or_else(|err| panic!("cannot give {} to {}: {err}", dir.display(), user.name));
    }
    let output = server_command("initdb")
        .arg("-D")
        .arg(dir.join("data"))
        .args(["-U", USER, "--auth=trust", "--encoding=UTF8", "--no-locale"])
        .arg("--no-sync")
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|err| panic!("cannot run {}: {err}", bin_dir().join("initdb").display()));
    if !output.status.success() {
        let user = run_as().map_or(String::new(), |user| {
            format!(
                " as user {} (every directory above must be open to it)",
                user.name
            )
        });
        panic!(
            "initdb failed in {}{user}:\n{}{}",
            dir.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Whether the postmaster `pid` says in its pid file that it accepts connections.
fn ready(dir: &Path, pid: u32) -> bool {
    // Lines: pid, data directory, start time, port, socket directory, listen address,
    // shared memory key, status (pg_ctl reads it too).
    let Ok(text) = std::fs::read_to_string(dir.join("data/postmaster.pid")) else {
        return false;
    };
    let lines: Vec<&str> = text.lines().collect();
    lines.first() == Some(&pid.to_string().as_str())
        && lines.get(7).is_some_and(|status| status.trim() == "ready")
}

/// Ends the postmaster `pid` and its backends (see the module's doc); no panic, for
/// the exit handler.
fn shut_down(pid: u32, port: u16) -> Result<(), String> {
    signal(pid, libc::SIGQUIT);
    if !wait_until(STOP_WITHIN, || !alive(pid)) {
        let backends = children(pid);
        signal(pid, libc::SIGKILL);
        for backend in backends {
            signal(backend, libc::SIGKILL);
        }
        wait_until(STOP_WITHIN, || !alive(pid));
    }
    if !wait_until(STOP_WITHIN, || !port_open(port)) {
        return Err(format!(
            "port {port} still accepts connections after PostgreSQL was stopped"
        ));
    }
    Ok(())
}

/// Stops the shared server at exit, and removes its directory.
extern "C" fn stop_shared() {
    if let Some(server) = SHARED.get() {
        if let Some(child) = &server.child {
            let _ = shut_down(child.id(), server.port);
            // Reaped here rather than by whichever process inherits the zombie.
            // SAFETY: waitpid on our own child, which nothing else waits for.
            unsafe { libc::waitpid(child.id() as libc::pid_t, std::ptr::null_mut(), libc::WNOHANG) };
        }
        let _ = std::fs::remove_dir_all(server.dir.path());
    }
}

/// Runs `work` on tokio's blocking pool; its panic is the caller's.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(err) => std::panic::resume_unwind(err.into_panic()),
    }
}

fn port_open(port: u16) -> bool {
    TcpStream::connect_timeout(&(Ipv4Addr::LOCALHOST, port).into(), Duration::from_millis(200)).is_ok()
}

/// Running, not exited and not a zombie.
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| stat.rsplit_once(") ").map(|(_, rest)| !rest.starts_with('Z')))
        .unwrap_or(false)
}

fn log_tail(dir: &Path) -> String {
    let mut bytes = Vec::new();
    let _ = File::open(dir.join("server.log")).and_then(|mut file| file.read_to_end(&mut bytes));
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}
