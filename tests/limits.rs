//! The connection and body limits of DESIGN §11, over real sockets against
//! `App::serve`: what a stalled, trickling or greedy client can hold of the server
//! (issue 12: D1, D2, D3, D9), and that honest clients are not cut.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use apiview::prelude::*;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[apiview]
#[allow_get]
fn ping() -> &'static str {
    "pong"
}

#[apiview]
#[allow_post]
fn echo(msg: String) -> String {
    msg
}

#[apiview]
#[allow_post]
fn size(_payload: serde_json::Value) -> usize {
    _payload.as_str().map_or(0, str::len)
}

/// Holds its body's share of the budget for a while.
#[apiview]
#[allow_post]
async fn slow(_payload: serde_json::Value) -> usize {
    tokio::time::sleep(3 * BODY).await;
    _payload.as_array().map_or(0, Vec::len)
}

const HEAD: Duration = Duration::from_millis(1000);
const BODY: Duration = Duration::from_millis(1500);
const IDLE: Duration = Duration::from_millis(2500);
/// How late a cut may come: timers, scheduling, a busy CI machine.
const SLACK: Duration = Duration::from_secs(3);

/// `App::serve` on a free loopback port, with short limits; stopped when dropped.
struct Served {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(extra: &str) -> Served {
    let toml = format!(
        "body_limit = 65536\n[limits]\nhead_timeout_ms = {}\nbody_timeout_ms = {}\nidle_timeout_ms = {}\n{extra}",
        HEAD.as_millis(),
        BODY.as_millis(),
        IDLE.as_millis()
    );
    let app = App::new(common::settings(&toml))
        .at("/ping", ping)
        .at("/echo", echo)
        .at("/size", size)
        .at("/slow", slow);
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let task = tokio::spawn(app.serve(Box::leak(addr.to_string().into_boxed_str())));
    let started = Instant::now();
    while TcpStream::connect(addr).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "App::serve did not listen on {addr}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Served { addr, task }
}

/// Reads until the server closes the connection or `wait` passes: what it sent, and
/// whether it closed.
async fn read_until_closed(stream: &mut TcpStream, wait: Duration) -> (Vec<u8>, bool) {
    let deadline = tokio::time::Instant::now() + wait;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return (got, false),
            Ok(Ok(0)) | Ok(Err(_)) => return (got, true),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// Asserts that the server cut the connection `timeout` after `started`: not before
/// it, and not much later.
fn assert_cut_after(what: &str, closed: bool, started: Instant, timeout: Duration) {
    let elapsed = started.elapsed();
    assert!(closed, "{what}: still open after {elapsed:?}");
    assert!(
        elapsed >= timeout - Duration::from_millis(100),
        "{what}: cut after {elapsed:?}, before {timeout:?}"
    );
    assert!(elapsed < timeout + SLACK, "{what}: cut after {elapsed:?}");
}

/// The JSON body of the one HTTP/1.1 answer in `bytes`.
fn body_of(bytes: &[u8]) -> serde_json::Value {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no answer head in {:?}", String::from_utf8_lossy(bytes)));
    serde_json::from_slice(&bytes[end + 4..]).unwrap()
}

async fn request(addr: SocketAddr, raw: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(raw).await.unwrap();
    stream
}

// ---- D1: a body that never finishes ---------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unfinished_body_is_refused_and_its_connection_closed_after_body_timeout() {
    let server = serve("").await;
    let body = br#"{"msg": "the last byte never comes"}"#;
    let head = format!(
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut attackers = Vec::new();
    for _ in 0..50 {
        let mut stream = request(server.addr, head.as_bytes()).await;
        stream.write_all(&body[..body.len() - 1]).await.unwrap();
        attackers.push(stream);
    }
    // A head that announces a body and sends none.
    attackers.push(
        request(
            server.addr,
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n",
        )
        .await,
    );
    let started = Instant::now();
    for mut stream in attackers {
        let (answer, closed) = read_until_closed(&mut stream, BODY + SLACK).await;
        assert!(closed, "still open {:?} after the body began", started.elapsed());
        assert_eq!(
            common::code_of(&body_of(&answer)),
            1001060002,
            "BadParameter(_payload)"
        );
    }
    assert!(
        started.elapsed() >= BODY - Duration::from_millis(100),
        "{:?}",
        started.elapsed()
    );
    let (answer, _) = read_until_closed(
        &mut request(
            server.addr,
            b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await,
        SLACK,
    )
    .await;
    assert_eq!(body_of(&answer), common::ok(json!("pong")), "the server goes on");
}

#[tokio::test]
async fn a_slow_body_within_body_timeout_is_served() {
    let server = serve("").await;
    let body = br#"{"msg": "slow but in time"}"#;
    let head = format!(
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut stream = request(server.addr, head.as_bytes()).await;
    for piece in body.chunks(body.len().div_ceil(5)) {
        tokio::time::sleep(BODY / 10).await;
        stream.write_all(piece).await.unwrap();
    }
    let (answer, closed) = read_until_closed(&mut stream, SLACK).await;
    assert!(closed);
    assert_eq!(body_of(&answer), common::ok(json!("slow but in time")));
}

// ---- D9: a body of exactly body_limit in several chunks ---------------------------------------

#[tokio::test]
async fn a_body_of_exactly_body_limit_in_several_chunks_is_accepted() {
    let server = serve("").await;
    // A JSON string of 65536 bytes, quotes included: the limit exactly.
    let body = format!("\"{}\"", "a".repeat(65536 - 2));
    let head = format!(
        "POST /size HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut stream = request(server.addr, head.as_bytes()).await;
    for piece in body.as_bytes().chunks(10_000) {
        stream.write_all(piece).await.unwrap();
        stream.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (answer, _) = read_until_closed(&mut stream, SLACK).await;
    assert_eq!(body_of(&answer), common::ok(json!(65536 - 2)));
    // One byte more is refused.
    let body = format!("\"{}\"", "a".repeat(65536 - 1));
    let head = "POST /size HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    let mut stream = request(server.addr, head.as_bytes()).await;
    for piece in body.as_bytes().chunks(10_000) {
        let chunk = format!("{:x}\r\n", piece.len());
        stream.write_all(chunk.as_bytes()).await.unwrap();
        stream.write_all(piece).await.unwrap();
        stream.write_all(b"\r\n").await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let (answer, _) = read_until_closed(&mut stream, SLACK).await;
    assert_eq!(
        common::code_of(&body_of(&answer)),
        1001050009,
        "TooLargeRequestError"
    );
}

// ---- bodies_in_flight_bytes: the wait for a share is timed too ------------------------------------

#[tokio::test]
async fn a_body_waiting_for_the_budget_is_refused_after_body_timeout() {
    // A body of 601 JSON values is charged for two `Value`s each (about 87 kB with
    // serde_json's ordered maps): two do not fit in 100 000 bytes.
    let server = serve("bodies_in_flight_bytes = 100000").await;
    let body = format!("[{}0]", "0,".repeat(599));
    let head = |path: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let mut holder = request(server.addr, head("/slow").as_bytes()).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let mut waiter = request(server.addr, head("/size").as_bytes()).await;
    let (answer, closed) = read_until_closed(&mut waiter, BODY + SLACK).await;
    assert!(
        closed,
        "a body waiting for the budget was still held after {:?}",
        started.elapsed()
    );
    assert!(
        started.elapsed() < 3 * BODY,
        "it waited for the holder: {:?}",
        started.elapsed()
    );
    let answer = body_of(&answer);
    assert_eq!(common::code_of(&answer), 1001060002, "{answer}");
    assert!(
        common::message_of(&answer).contains("body_timeout_ms"),
        "{answer}"
    );
    let (answer, _) = read_until_closed(&mut holder, 3 * BODY + SLACK).await;
    assert_eq!(body_of(&answer), common::ok(json!(600)), "the holder is served");
}

// ---- D2: heads, blank lines first --------------------------------------------------------------

/// Writes `prefix`, then `head` one byte every `every`, until the server closes the
/// connection: how long that took, or `None` if it answered or gave up after 10 s.
async fn trickle(addr: SocketAddr, prefix: &[u8], every: Duration) -> Option<Duration> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    stream.write_all(prefix).await.unwrap();
    let head = b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    for byte in head {
        if stream.write_all(&[*byte]).await.is_err() {
            return Some(started.elapsed());
        }
        let (_, closed) = read_until_closed(&mut stream, every).await;
        if closed {
            return Some(started.elapsed());
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leading_blank_lines_do_not_stop_the_head_timeout() {
    let server = serve("").await;
    let every = Duration::from_millis(100);
    let cases: [&[u8]; 4] = [b"", b"\r\n\r\n", b"\n\n", b"\r\n\r\n\r\n\r\n\r\n\r\n"];
    let trickles: Vec<_> = cases
        .iter()
        .map(|prefix| tokio::spawn(trickle(server.addr, prefix, every)))
        .collect();
    for (prefix, trickle) in cases.iter().zip(trickles) {
        let closed = trickle.await.unwrap();
        let closed = closed.unwrap_or_else(|| panic!("{prefix:?} then a trickled head: still served"));
        assert!(
            closed >= HEAD - Duration::from_millis(100),
            "{prefix:?}: closed after {closed:?}"
        );
        assert!(closed < HEAD + SLACK, "{prefix:?}: closed after {closed:?}");
    }
}

#[tokio::test]
async fn between_kept_alive_requests_a_blank_line_starts_a_timed_head() {
    let server = serve("").await;
    let mut stream = request(server.addr, b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let mut buf = [0u8; 1024];
    let n = stream.read(&mut buf).await.unwrap();
    assert!(buf[..n].ends_with(br#"{"success":true,"result":"pong"}"#));
    let started = Instant::now();
    stream.write_all(b"\r\n\r\n").await.unwrap();
    let mut closed = false;
    for byte in b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
        if stream.write_all(&[*byte]).await.is_err()
            || read_until_closed(&mut stream, Duration::from_millis(100)).await.1
        {
            closed = true;
            break;
        }
    }
    assert!(
        closed,
        "a trickled second head was still open after {:?}",
        started.elapsed()
    );
    assert!(started.elapsed() < HEAD + SLACK, "{:?}", started.elapsed());
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_and_a_timely_one_is_not() {
    let server = serve("").await;
    let mut stream = request(server.addr, b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let mut buf = [0u8; 1024];
    assert!(stream.read(&mut buf).await.unwrap() > 0);
    // Silent for less than the idle timeout (but more than the head timeout): kept.
    tokio::time::sleep(HEAD + Duration::from_millis(500)).await;
    stream
        .write_all(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let n = stream.read(&mut buf).await.unwrap();
    assert!(buf[..n].ends_with(br#"{"success":true,"result":"pong"}"#));
    // Then silent: closed after the idle timeout.
    let started = Instant::now();
    let (_, closed) = read_until_closed(&mut stream, IDLE + SLACK).await;
    assert_cut_after("an idle connection", closed, started, IDLE);
}

// ---- max_connections ---------------------------------------------------------------------------

#[tokio::test]
async fn beyond_max_connections_new_connections_wait_until_one_closes() {
    let server = serve("max_connections = 2").await;
    let mut first = request(server.addr, b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let mut second = request(server.addr, b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let mut buf = [0u8; 1024];
    assert!(first.read(&mut buf).await.unwrap() > 0);
    assert!(second.read(&mut buf).await.unwrap() > 0);
    let mut third = request(
        server.addr,
        b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    let (early, _) = read_until_closed(&mut third, Duration::from_millis(500)).await;
    assert!(
        early.is_empty(),
        "a third connection was served: {:?}",
        String::from_utf8_lossy(&early)
    );
    drop(first);
    let (answer, _) = read_until_closed(&mut third, SLACK).await;
    assert_eq!(body_of(&answer), common::ok(json!("pong")));
}

// ---- D3: HTTP/2 cleartext ----------------------------------------------------------------------

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut frame = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
    frame.extend_from_slice(&stream.to_be_bytes());
    frame.extend_from_slice(payload);
    frame
}

/// HPACK for `GET http://x/ping`: indexed `:method GET`, `:scheme http`, a literal
/// `:path` and `:authority` (RFC 7541, appendix A's static table).
fn get_ping_block() -> Vec<u8> {
    let mut block = vec![0x82, 0x86, 0x04, 5];
    block.extend_from_slice(b"/ping");
    block.extend_from_slice(&[0x01, 1, b'x']);
    block
}

const SETTINGS: u8 = 0x4;
const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;

/// The frames read off a connection until it closes or `wait` passes: (type, flags,
/// stream, payload).
async fn frames_until(stream: &mut TcpStream, wait: Duration) -> (Vec<(u8, u8, u32, Vec<u8>)>, bool) {
    let (bytes, closed) = read_until_closed(stream, wait).await;
    let mut frames = Vec::new();
    let mut rest = &bytes[..];
    while rest.len() >= 9 {
        let len = usize::from(rest[0]) << 16 | usize::from(rest[1]) << 8 | usize::from(rest[2]);
        if rest.len() < 9 + len {
            break;
        }
        let id = u32::from_be_bytes([rest[5], rest[6], rest[7], rest[8]]) & 0x7fff_ffff;
        frames.push((rest[3], rest[4], id, rest[9..9 + len].to_vec()));
        rest = &rest[9 + len..];
    }
    (frames, closed)
}

#[tokio::test]
async fn http2_prior_knowledge_is_served_and_its_stream_limit_announced() {
    let server = serve("http2_max_concurrent_streams = 7").await;
    let mut stream = request(server.addr, PREFACE).await;
    stream.write_all(&frame(SETTINGS, 0, 0, &[])).await.unwrap();
    stream
        .write_all(&frame(HEADERS, END_STREAM | END_HEADERS, 1, &get_ping_block()))
        .await
        .unwrap();
    let (frames, _) = frames_until(&mut stream, Duration::from_millis(800)).await;
    let settings = frames
        .iter()
        .find(|(kind, flags, _, _)| *kind == SETTINGS && flags & 1 == 0)
        .expect("the server's SETTINGS");
    let max_streams = settings
        .3
        .chunks(6)
        .find(|setting| setting[..2] == [0, 3])
        .map(|setting| u32::from_be_bytes([setting[2], setting[3], setting[4], setting[5]]));
    assert_eq!(max_streams, Some(7), "SETTINGS_MAX_CONCURRENT_STREAMS");
    let data: Vec<u8> = frames
        .iter()
        .filter(|(kind, _, id, _)| *kind == 0 && *id == 1)
        .flat_map(|(_, _, _, payload)| payload.clone())
        .collect();
    assert_eq!(data, br#"{"success":true,"result":"pong"}"#);
}

#[tokio::test]
async fn http2_streams_beyond_the_limit_are_refused() {
    let server = serve("http2_max_concurrent_streams = 5").await;
    let mut stream = request(server.addr, PREFACE).await;
    stream.write_all(&frame(SETTINGS, 0, 0, &[])).await.unwrap();
    // Let the server's SETTINGS be acknowledged first, so that the limit is in force.
    let _ = frames_until(&mut stream, Duration::from_millis(300)).await;
    stream.write_all(&frame(SETTINGS, 1, 0, &[])).await.unwrap();
    let mut streams = Vec::new();
    for n in 0..20u32 {
        // Headers only, no END_STREAM: each stream stays open, waiting for a body.
        streams.extend(frame(HEADERS, END_HEADERS, 2 * n + 1, &get_ping_block()));
    }
    stream.write_all(&streams).await.unwrap();
    let (frames, _) = frames_until(&mut stream, Duration::from_millis(800)).await;
    let refused = frames
        .iter()
        .filter(|(kind, _, _, _)| *kind == RST_STREAM)
        .count();
    assert!(
        refused >= 15,
        "{refused} of 20 streams refused with a limit of 5: {frames:?}"
    );
}

#[tokio::test]
async fn a_trickled_http2_headers_frame_is_cut_after_head_timeout() {
    let server = serve("").await;
    let mut stream = request(server.addr, PREFACE).await;
    stream.write_all(&frame(SETTINGS, 0, 0, &[])).await.unwrap();
    let headers = frame(HEADERS, END_STREAM | END_HEADERS, 1, &get_ping_block());
    let started = Instant::now();
    let mut closed = false;
    for byte in &headers {
        if stream.write_all(&[*byte]).await.is_err() {
            closed = true;
            break;
        }
        if frames_until(&mut stream, Duration::from_millis(250)).await.1 {
            closed = true;
            break;
        }
    }
    assert_cut_after("a trickled HEADERS frame", closed, started, HEAD);
}

#[tokio::test]
async fn a_silent_http2_connection_is_closed_after_idle_timeout() {
    let server = serve("").await;
    let mut stream = request(server.addr, PREFACE).await;
    let started = Instant::now();
    let (_, closed) = frames_until(&mut stream, IDLE + SLACK).await;
    assert_cut_after("a preface-only connection", closed, started, IDLE);
}

#[tokio::test]
async fn with_http2_off_a_preface_closes_the_connection() {
    let server = serve("http2 = false").await;
    let mut stream = request(server.addr, PREFACE).await;
    stream.write_all(&frame(SETTINGS, 0, 0, &[])).await.unwrap();
    let (frames, closed) = frames_until(&mut stream, SLACK).await;
    assert!(closed && frames.is_empty(), "{frames:?}");
    let (answer, _) = read_until_closed(
        &mut request(
            server.addr,
            b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await,
        SLACK,
    )
    .await;
    assert_eq!(
        body_of(&answer),
        common::ok(json!("pong")),
        "HTTP/1.1 is still served"
    );
}

#[tokio::test]
async fn zero_limits_are_refused_when_the_settings_load() {
    for key in [
        "head_timeout_ms",
        "body_timeout_ms",
        "idle_timeout_ms",
        "max_connections",
    ] {
        let err = Settings::from_toml_str(&format!("[limits]\n{key} = 0")).unwrap_err();
        assert!(err.to_string().contains(&format!("limits.{key}")), "{err}");
    }
}
