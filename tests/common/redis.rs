//! A private `redis-server` per test, on a free loopback port, that a test can stop,
//! start again on the same port, and pause (SIGSTOP: the socket still accepts
//! connections, nothing answers). The same server, with [`Options`], is a cluster node
//! or a sentinel for tests/common/redis_cluster.rs.
//!
//! A server is started with a parent-death signal (SIGKILL), so it ends with the test
//! binary even when the binary is killed and no `Drop` runs.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub use super::process::free_port;
use super::process::spawn_tied;

/// How long a started server may take to answer PING.
const READY_WITHIN: Duration = Duration::from_secs(10);

/// The name of the configuration file [`Options::config`] is written to.
const CONFIG_FILE: &str = "redis.conf";

/// The server's log, in its directory.
const LOG_FILE: &str = "redis.log";

/// A `redis-server` process owned by a test; killed when dropped.
pub struct RedisServer {
    port: u16,
    /// `--cluster-port`, for a cluster node.
    cluster_port: Option<u16>,
    dir: tempfile::TempDir,
    options: Options,
    child: Option<Child>,
}

/// What a server is started with besides its port, its own directory, the loopback
/// address and no persistence.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The text of a configuration file, written into the server's directory and named
    /// as the first argument: a sentinel needs a file it can rewrite.
    pub config: Option<String>,
    /// A cluster node: `--cluster-enabled yes`, its state in `nodes.conf` in its
    /// directory, and its bus on a second free port rather than the default port +
    /// 10000, which may be taken or above 65535.
    pub cluster: bool,
    /// Arguments after all the others, such as `--replicaof 127.0.0.1 6379`.
    pub args: Vec<String>,
}

impl RedisServer {
    /// Starts a server on a free port and waits until it answers PING.
    pub async fn start() -> RedisServer {
        RedisServer::start_with(&[]).await
    }

    /// Starts a server with extra `--option value` arguments.
    pub async fn start_with(extra: &[&str]) -> RedisServer {
        RedisServer::start_with_options(Options {
            args: extra.iter().map(|arg| (*arg).to_owned()).collect(),
            ..Options::default()
        })
        .await
    }

    /// Starts a server as `options` say and waits until it answers PING.
    pub async fn start_with_options(options: Options) -> RedisServer {
        let mut last_problem = String::new();
        // The ports are free when picked but another process may take them before
        // redis-server binds them: then try others.
        for _ in 0..5 {
            let dir = tempfile::Builder::new()
                .prefix("apiview-redis-")
                .tempdir()
                .expect("a temporary directory for redis-server");
            if let Some(config) = &options.config {
                std::fs::write(dir.path().join(CONFIG_FILE), config)
                    .expect("redis-server's configuration file");
            }
            let mut server = RedisServer {
                port: free_port(),
                cluster_port: options.cluster.then(free_port),
                dir,
                options: options.clone(),
                child: None,
            };
            match server.spawn().await {
                Ok(()) => return server,
                Err(problem) => last_problem = problem,
            }
        }
        panic!("redis-server did not start: {last_problem}");
    }

    /// `redis://127.0.0.1:PORT/0`.
    pub fn url(&self) -> String {
        self.url_db(0)
    }

    /// `redis://127.0.0.1:PORT/DB`.
    pub fn url_db(&self, db: u32) -> String {
        format!("redis://127.0.0.1:{}/{db}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of a cluster node's bus (`None` when not a cluster node).
    pub fn cluster_port(&self) -> Option<u16> {
        self.cluster_port
    }

    /// The last `lines` lines of the server's log, for a panic message.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(self.dir.path().join(LOG_FILE)).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Whether the process runs (it may be paused): not stopped, or started again.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// The process id of the running server.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("redis-server is not running").id()
    }

    /// Kills the server (SIGKILL, nothing saved) and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port (empty: nothing was saved) and waits
    /// until it answers PING.
    pub async fn start_again(&mut self) {
        assert!(
            self.child.is_none(),
            "redis-server is still running; stop() it first"
        );
        // The old socket may linger for a moment after the kill.
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            match self.spawn().await {
                Ok(()) => return,
                Err(problem) if Instant::now() > deadline => {
                    panic!(
                        "redis-server did not start again on port {}: {problem}",
                        self.port
                    )
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// SIGSTOP: connections are still accepted by the kernel, nothing is answered.
    pub fn pause(&self) {
        signal(self.pid(), "-STOP");
    }

    /// SIGCONT after [`RedisServer::pause`].
    pub fn resume(&self) {
        signal(self.pid(), "-CONT");
    }

    /// A client connection of the test's own, to look at keys and poison them.
    pub async fn connection(&self) -> ::redis::aio::MultiplexedConnection {
        self.connection_db(0).await
    }

    /// A client connection to database `db`.
    pub async fn connection_db(&self, db: u32) -> ::redis::aio::MultiplexedConnection {
        ::redis::Client::open(self.url_db(db))
            .expect("a Redis URL")
            .get_multiplexed_async_connection()
            .await
            .unwrap_or_else(|err| panic!("cannot connect to the test's redis-server: {err}"))
    }

    async fn spawn(&mut self) -> Result<(), String> {
        let mut command = Command::new("redis-server");
        if self.options.config.is_some() {
            command.arg(self.dir.path().join(CONFIG_FILE));
        }
        command
            .arg("--port")
            .arg(self.port.to_string())
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--logfile", LOG_FILE])
            .arg("--dir")
            .arg(self.dir.path());
        if let Some(cluster_port) = self.cluster_port {
            command
                .args(["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"])
                .arg("--cluster-port")
                .arg(cluster_port.to_string());
        }
        command
            .args(&self.options.args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = match spawn_tied(command, libc::SIGKILL) {
            Ok(child) => child,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                panic!("redis-server is not installed: run scripts/test.sh, which installs it")
            }
            Err(err) => panic!("cannot run redis-server: {err}"),
        };
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
                    "redis-server on port {} exited with {status}; its log ends:\n{}",
                    self.port,
                    self.log_tail(5)
                ));
            }
            if ping(self.port).await {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.stop();
                return Err(format!(
                    "redis-server on port {} did not answer PING within {READY_WITHIN:?}",
                    self.port
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        // SIGKILL ends a stopped process too.
        self.stop();
    }
}

fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .arg(signal)
        .arg(pid.to_string())
        .status()
        .expect("the kill command");
    assert!(status.success(), "kill {signal} {pid} failed: {status}");
}

/// Whether a server on `port` answers a raw `PING` with `+PONG` (within 500 ms).
async fn ping(port: u16) -> bool {
    let attempt = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
        stream.write_all(b"PING\r\n").await.ok()?;
        let mut answer = [0u8; 7];
        stream.read_exact(&mut answer).await.ok()?;
        Some(&answer == b"+PONG\r\n")
    };
    matches!(
        tokio::time::timeout(Duration::from_millis(500), attempt).await,
        Ok(Some(true))
    )
}
