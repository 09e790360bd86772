//! Hostile input over real HTTP (issue 7): cache keys crafted to reach another
//! endpoint's entry, cached answers and `check_aclkey`, oversized bodies and heads and
//! deeply nested JSON while normal clients are being served, and slow-loris clients
//! against `apiview::listener::Limited` (tests/limits.rs has the rest of §11).
//!
//! tests/bad_input/ checks each malformed request alone; here the point is that the
//! attack does not touch anybody else: clients running alongside see no failure.
//! Figures are printed (`-- --nocapture`) for RELIABILITY.md.
//!
//! One test binary; this file holds the healthy load that runs alongside and the
//! endpoints several attacks use, each attack its own file.

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/load.rs"]
mod load;

mod cache_keys;
mod cached_answers;
mod oversized;
mod slow_loris;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use apiview::listener::Limited;
use apiview::prelude::*;
use common::{code_of, err, ok, RawAnswer, TestServer};
use load::{Load, Shot};
use poem::listener::{Acceptor, Listener, TcpListener};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MINUTE: Duration = Duration::from_secs(60);

fn calls(counter: &AtomicUsize) -> usize {
    counter.load(Ordering::SeqCst)
}

#[apiview]
fn healthy(a: i64, b: i64) -> i64 {
    a + b
}

/// Clients asking `/healthy` in a loop, each answer checked.
fn healthy_load(base: &str, clients: usize) -> Load {
    let base = base.to_owned();
    Load::start(clients, move |client, c, n| {
        let (a, b) = (c as i64, n as i64);
        Shot {
            label: "healthy",
            request: client.get(format!("{base}/healthy?a={a}&b={b}")),
            expect: ok(json!(a + b)),
        }
    })
}

/// A raw exchange that must not hang.
async fn raw(server: &TestServer, head: &str, body: &[&[u8]]) -> RawAnswer {
    tokio::time::timeout(Duration::from_secs(30), server.raw(head, body))
        .await
        .expect("the server did not answer within 30 s")
}

#[apiview]
#[allow_post]
fn echo(msg: String) -> String {
    msg
}
