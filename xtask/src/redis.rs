//! Just enough of Redis's protocol to ask a private redis-server a question.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::process::{command, free_port, Server};

/// Sends one command (its parts as a RESP array) and returns the raw reply, read until
/// the server closes the connection after the QUIT that follows.
pub fn call(port: u16, parts: &[&str]) -> Result<String> {
    let mut connection = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
        .with_context(|| format!("connecting to redis-server on port {port}"))?;
    connection.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut request = format!("*{}\r\n", parts.len());
    for part in parts {
        request.push_str(&format!("${}\r\n{part}\r\n", part.len()));
    }
    request.push_str("*1\r\n$4\r\nQUIT\r\n");
    connection.write_all(request.as_bytes())?;
    let mut reply = String::new();
    connection.read_to_string(&mut reply)?;
    Ok(reply.strip_suffix("+OK\r\n").unwrap_or(&reply).to_owned())
}

/// An integer reply (`:N`).
pub fn integer(port: u16, parts: &[&str]) -> Result<i64> {
    let reply = call(port, parts)?;
    reply
        .trim()
        .strip_prefix(':')
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("redis {parts:?} answered {reply:?}, not an integer"))
}

/// A number among `INFO stats` (e.g. `keyspace_hits`).
pub fn stat(port: u16, field: &str) -> Result<u64> {
    let reply = call(port, &["INFO", "stats"])?;
    reply
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().parse().ok())
        .with_context(|| format!("no {field} in redis INFO stats"))
}

/// A private redis-server on a free loopback port: no persistence, its files in `dir`.
pub fn start_private(dir: &Path) -> Result<Server> {
    let port = free_port()?;
    let mut redis = command("redis-server");
    redis
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no", "--logfile", ""])
        .arg("--dir")
        .arg(dir);
    Server::start("redis-server", port, redis, &dir.join("redis.log"))
}
