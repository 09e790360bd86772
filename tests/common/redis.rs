//! A private `redis-server` per test, on a free loopback port, that a test can stop,
//! start again on the same port, and pause (SIGSTOP: the socket still accepts
//! connections, nothing answers).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long a started server may take to answer PING.
const READY_WITHIN: Duration = Duration::from_secs(10);

/// A `redis-server` process owned by a test; killed when dropped.
pub struct RedisServer {
    port: u16,
    dir: tempfile::TempDir,
    extra: Vec<String>,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server on a free port and waits until it answers PING.
    pub async fn start() -> RedisServer {
        RedisServer::start_with(&[]).await
    }

    /// Starts a server with extra `--option value` arguments.
    pub async fn start_with(extra: &[&str]) -> RedisServer {
        let mut last_problem = String::new();
        // The port is free when picked but another process may take it before
        // redis-server binds it: then try another.
        for _ in 0..5 {
            let mut server = RedisServer {
                port: free_port(),
                dir: tempfile::tempdir().expect("a temporary directory for redis-server"),
                extra: extra.iter().map(|arg| (*arg).to_owned()).collect(),
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
        command
            .arg("--port")
            .arg(self.port.to_string())
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = match command.spawn() {
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
                return Err(format!("redis-server on port {} exited with {status}", self.port));
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

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("the port's address").port()
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
