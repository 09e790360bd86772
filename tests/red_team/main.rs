//! Red team (issue: uploads, versioning, throttling and authentication attacked over
//! real HTTP). Each file attacks one feature the way a hostile client would: values
//! chosen to collide, lies in the framing, trickled and stalled bodies, requests
//! without credentials that try to cost the server work. Every attack checks that
//! the answer is a packed error with its catalogue code (or the right success), that
//! the connection is not held, that the server goes on serving, and that nothing is
//! left on disk.

#[path = "../common/mod.rs"]
mod common;

mod auth;
mod throttle;
mod uploads;
mod versioning;

use std::time::Duration;

use apiview::prelude::*;
use common::{RawAnswer, TestServer};

/// A bound on every wait: a server that hangs fails the test instead of hanging it.
const BOUND: Duration = Duration::from_secs(10);

/// A raw HTTP/1.1 exchange that must be answered (and the connection closed) in time.
async fn raw(server: &TestServer, head: &str, body: &[&[u8]]) -> RawAnswer {
    tokio::time::timeout(BOUND, server.raw(head, body))
        .await
        .expect("the server did not answer (or did not close the connection) in time")
}

/// Reads whatever the server sends on `stream` until it closes it, within `within`.
async fn answer_of(stream: &mut tokio::net::TcpStream, within: Duration) -> String {
    use tokio::io::AsyncReadExt;
    let mut bytes = Vec::new();
    tokio::time::timeout(within, stream.read_to_end(&mut bytes))
        .await
        .expect("the server held the connection")
        .ok();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[apiview]
fn ping() -> &'static str {
    "pong"
}

/// The server still answers an ordinary request.
async fn still_serving(server: &TestServer) {
    let answer = tokio::time::timeout(BOUND, server.get_json("/ping"))
        .await
        .expect("the server stopped answering");
    assert_eq!(answer, common::ok(serde_json::json!("pong")));
}
