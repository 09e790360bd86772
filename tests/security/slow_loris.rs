//! Slow-loris clients against `apiview::listener::Limited`: connections that
//! trickle or stay silent are closed, slow but timely ones spared, while normal
//! clients are served.

use super::*;

// ---- slow-loris: Limited ---------------------------------------------------------------------

/// A server on a free loopback port, with or without [`Limited`]; stops when
/// dropped.
struct Guarded {
    addr: SocketAddr,
    base: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Guarded {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn loris_app() -> App {
    App::new(common::settings(""))
        .at("/healthy", healthy)
        .at("/echo", echo)
}

async fn serve_guarded(head_timeout: Option<Duration>) -> Guarded {
    let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
    let addr = *acceptor.local_addr()[0].as_socket_addr().unwrap();
    let endpoint = loris_app().into_endpoint();
    let idle = Duration::from_secs(60);
    let task = match head_timeout {
        Some(timeout) => {
            let limits = apiview::Limits {
                head_timeout_ms: timeout.as_millis() as u64,
                idle_timeout_ms: idle.as_millis() as u64,
                ..apiview::Limits::default()
            };
            let server = poem::Server::new_with_acceptor(Limited::new(acceptor, &limits));
            tokio::spawn(async move {
                let _ = server.run(endpoint).await;
            })
        }
        None => {
            let server = poem::Server::new_with_acceptor(acceptor);
            tokio::spawn(async move {
                let _ = server.idle_timeout(idle).run(endpoint).await;
            })
        }
    };
    Guarded {
        addr,
        base: format!("http://{addr}"),
        task,
    }
}

/// Whether the server closed the connection: waits up to `wait` for end of file or
/// an error (data, such as an error answer, is read past).
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + wait;
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

/// Sends a head that never ends, one byte every `every`: how long until the server
/// closed the connection, or `None` if it was still open after `give_up`.
async fn trickle(addr: SocketAddr, every: Duration, give_up: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = b"GET /healthy?a=1&b=2 HTTP/1.1\r\nHost: loris\r\nX-Slow: ";
    for n in 0.. {
        if start.elapsed() > give_up {
            return None;
        }
        let byte = head.get(n).copied().unwrap_or(b'a');
        if stream.write_all(&[byte]).await.is_err() || closed_within(&mut stream, every).await {
            return Some(start.elapsed());
        }
    }
    unreachable!()
}

/// Connects and sends nothing: how long until the server closed the connection.
async fn silent(addr: SocketAddr, give_up: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    closed_within(&mut stream, give_up).await.then(|| start.elapsed())
}

/// Reads one answer off a kept-alive connection (by its Content-Length).
async fn read_answer(stream: &mut TcpStream) -> (u16, Value) {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buf))
            .await
            .expect("an answer within 20 s")
            .expect("an answer, not an error");
        assert!(
            n > 0,
            "the connection was closed: {:?}",
            String::from_utf8_lossy(&bytes)
        );
        bytes.extend_from_slice(&buf[..n]);
        let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .map(|value| value.trim().parse().unwrap())
            .expect("a Content-Length");
        if bytes.len() >= end + 4 + length {
            let status = head[9..12].parse().unwrap();
            return (
                status,
                serde_json::from_slice(&bytes[end + 4..end + 4 + length]).unwrap(),
            );
        }
    }
}

const HEAD_TIMEOUT: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slow_loris_connections_are_closed_while_normal_clients_are_served() {
    let server = serve_guarded(Some(HEAD_TIMEOUT)).await;
    let load = healthy_load(&server.base, 4);
    let give_up = Duration::from_secs(15);
    let attackers: Vec<_> = (0..40)
        .map(|n| {
            let addr = server.addr;
            tokio::spawn(async move {
                if n % 4 == 0 {
                    silent(addr, give_up).await
                } else {
                    trickle(addr, Duration::from_millis(150), give_up).await
                }
            })
        })
        .collect();
    let mut closed = Vec::new();
    for attacker in attackers {
        closed.push(attacker.await.unwrap());
    }
    let figures = load.stop().await;
    figures.print("security::slow_loris (clients alongside)");
    let times: Vec<Duration> = closed.iter().flatten().copied().collect();
    let millis: Vec<u128> = times.iter().map(Duration::as_millis).collect();
    println!(
        "figures security::slow_loris: {} of 40 slow connections (30 trickling a byte every 150 ms, \
         10 silent) closed by a {} ms head timeout, after {:?} to {:?} ms",
        times.len(),
        HEAD_TIMEOUT.as_millis(),
        millis.iter().min(),
        millis.iter().max()
    );
    assert_eq!(
        times.len(),
        40,
        "connections still open after {give_up:?}: {closed:?}"
    );
    for time in &times {
        // Never before the deadline; well before giving up (a generous bound).
        assert!(
            *time >= HEAD_TIMEOUT - Duration::from_millis(50),
            "closed after {time:?}"
        );
        assert!(
            *time < HEAD_TIMEOUT + Duration::from_secs(8),
            "closed after {time:?}"
        );
    }
    figures.assert_no_failure("normal clients during a slow-loris attack");
    assert!(figures.get("healthy").ok >= 20, "{:?}", figures.get("healthy"));
}

#[tokio::test]
async fn without_head_timeout_a_trickling_connection_stays_open() {
    // The control: poem's idle_timeout alone counts every byte as activity.
    let server = serve_guarded(None).await;
    let open = trickle(server.addr, Duration::from_millis(150), 3 * HEAD_TIMEOUT).await;
    assert_eq!(open, None, "poem closed a trickling connection by itself");
}

#[tokio::test]
async fn head_timeout_spares_slow_but_timely_heads_idle_connections_and_slow_bodies() {
    let server = serve_guarded(Some(HEAD_TIMEOUT)).await;

    // A head sent in ten pieces over about half the timeout.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = b"GET /healthy?a=2&b=3 HTTP/1.1\r\nHost: x\r\n\r\n";
    for piece in head.chunks(head.len().div_ceil(10)) {
        stream.write_all(piece).await.unwrap();
        tokio::time::sleep(HEAD_TIMEOUT / 20).await;
    }
    assert_eq!(read_answer(&mut stream).await, (200, ok(json!(5))));

    // Kept alive and silent for twice the timeout (idle_timeout's business), then
    // a second request on the same connection.
    tokio::time::sleep(2 * HEAD_TIMEOUT).await;
    stream
        .write_all(b"GET /healthy?a=4&b=4 HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(read_answer(&mut stream).await, (200, ok(json!(8))));

    // A body trickled over more than twice the timeout: only heads are timed.
    let body = br#"{"msg": "slow body"}"#;
    let head = format!(
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let start = Instant::now();
    for byte in body {
        stream.write_all(&[*byte]).await.unwrap();
        tokio::time::sleep(HEAD_TIMEOUT * 2 / body.len() as u32 + Duration::from_millis(10)).await;
    }
    assert!(start.elapsed() > 2 * HEAD_TIMEOUT);
    assert_eq!(read_answer(&mut stream).await, (200, ok(json!("slow body"))));

    // The next head on that connection is timed again: started, never finished.
    stream.write_all(b"GET /healthy?a=1").await.unwrap();
    let start = Instant::now();
    assert!(closed_within(&mut stream, HEAD_TIMEOUT + Duration::from_secs(8)).await);
    assert!(
        start.elapsed() >= HEAD_TIMEOUT - Duration::from_millis(50),
        "{:?}",
        start.elapsed()
    );
}
