//! Oversized bodies, oversized heads and deeply nested JSON are refused while the
//! other clients are served.

use super::*;

// ---- oversized bodies, heads, nested JSON, while others are served -------------------------

const BODY_LIMIT: usize = 4096;

async fn limited_server() -> TestServer {
    let app = App::new(common::settings(&format!("body_limit = {BODY_LIMIT}")))
        .at("/healthy", healthy)
        .at("/echo", echo);
    common::serve(app).await
}

fn too_large(size: usize) -> Value {
    err(
        common::TOO_LARGE_REQUEST_ERROR,
        &format!("Too large request error: {size} > {BODY_LIMIT}."),
    )
}

/// The answer is the packed TooLargeRequestError, whatever size it names.
fn assert_too_large(answer: &RawAnswer, what: &str) {
    assert_eq!(answer.status, 200, "{what}: {answer:?}");
    let packed = answer.json();
    assert_eq!(
        code_of(&packed),
        common::TOO_LARGE_REQUEST_ERROR,
        "{what}: {packed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn oversized_bodies_are_refused_packed_while_others_are_served() {
    let server = limited_server().await;
    let load = healthy_load(&server.base, 8);
    let json_head = "POST /echo HTTP/1.1\r\nContent-Type: application/json";
    let big = json!({"msg": "x".repeat(2 * BODY_LIMIT)}).to_string();
    let chunk = format!("{:x}\r\n{}\r\n", 100, "y".repeat(100));
    let mut chunked: Vec<&[u8]> = vec![chunk.as_bytes(); 100];
    chunked.push(b"0\r\n\r\n");
    let huge = vec![b'z'; 16 * 1024 * 1024];
    let mut attacks = 0;
    for _ in 0..5 {
        // With Content-Length, through an ordinary client.
        let answer = common::send(
            server
                .client
                .post(server.url("/echo"))
                .header("content-type", "application/json")
                .body(big.clone()),
        )
        .await;
        assert_eq!(answer.json, too_large(big.len()));
        // Chunked, without Content-Length: refused once past the limit.
        assert_too_large(
            &raw(
                &server,
                &format!("{json_head}\r\nTransfer-Encoding: chunked"),
                &chunked,
            )
            .await,
            "chunked",
        );
        // A declared terabyte, never sent.
        let answer = raw(
            &server,
            &format!("{json_head}\r\nContent-Length: 1000000000000"),
            &[],
        )
        .await;
        assert_eq!(answer.json(), too_large(1_000_000_000_000));
        // 16 MiB actually sent behind a true Content-Length.
        let head = format!("{json_head}\r\nContent-Length: {}", huge.len());
        assert_eq!(raw(&server, &head, &[&huge]).await.json(), too_large(huge.len()));
        attacks += 4;
    }
    let figures = load.stop().await;
    figures.print("security::oversized_bodies (clients alongside)");
    println!("figures security::oversized_bodies: {attacks} oversized requests, each answered TooLargeRequestError");
    figures.assert_no_failure("healthy clients during oversized bodies");
    assert!(figures.get("healthy").ok > 0);
    assert_eq!(server.get_json("/healthy?a=1&b=1").await, ok(json!(2)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn oversized_heads_are_refused_with_a_4xx_while_others_are_served() {
    let server = limited_server().await;
    let load = healthy_load(&server.base, 8);
    let mut outcomes = std::collections::BTreeMap::<&str, std::collections::BTreeSet<u16>>::new();
    for _ in 0..3 {
        // 64 kB: within hyper's limits (about 400 kB of head), so served.
        let head = format!(
            "GET /healthy?a=20&b=22 HTTP/1.1\r\nX-Big: {}",
            "h".repeat(64 * 1024)
        );
        let answer = raw(&server, &head, &[]).await;
        assert_eq!(
            (answer.status, answer.json()),
            (200, ok(json!(42))),
            "64 kB header"
        );
        outcomes
            .entry("a 64 kB header")
            .or_default()
            .insert(answer.status);
        // Over the limits: refused by hyper before poem or apiview, answered 431.
        let head = format!(
            "GET /healthy?a=1&b=2 HTTP/1.1\r\nX-Big: {}",
            "h".repeat(1024 * 1024)
        );
        let status = raw(&server, &head, &[]).await.status;
        assert_eq!(status, 431, "1 MB header");
        outcomes.entry("a 1 MB header").or_default().insert(status);
        let mut head = String::from("GET /healthy?a=1&b=2 HTTP/1.1");
        for i in 0..200 {
            head.push_str(&format!("\r\nX-Filler-{i}: v"));
        }
        let status = raw(&server, &head, &[]).await.status;
        assert_eq!(status, 431, "200 headers");
        outcomes.entry("200 headers").or_default().insert(status);
        let mut head = String::from("GET /healthy?a=1&b=2 HTTP/1.1");
        for i in 0..60 {
            head.push_str(&format!("\r\nX-Medium-{i}: {}", "m".repeat(8 * 1024)));
        }
        let status = raw(&server, &head, &[]).await.status;
        assert!((400..500).contains(&status), "60 headers of 8 kB: {status}");
        outcomes.entry("60 headers of 8 kB").or_default().insert(status);
    }
    let figures = load.stop().await;
    figures.print("security::oversized_heads (clients alongside)");
    println!("figures security::oversized_heads: statuses, each case sent 3 times: {outcomes:?}");
    figures.assert_no_failure("healthy clients during oversized heads");
    assert!(figures.get("healthy").ok > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deeply_nested_json_is_a_packed_parse_error_while_others_are_served() {
    let app = App::new(common::settings(""))
        .at("/healthy", healthy)
        .at("/echo", echo);
    let server = common::serve(app).await;
    let load = healthy_load(&server.base, 8);
    let mut bodies = Vec::new();
    for depth in [10_000, 100_000] {
        bodies.push(("[".repeat(depth), format!("{depth} unclosed [")));
        bodies.push((
            format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
            format!("{depth} closed []"),
        ));
        bodies.push((
            format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth)),
            format!("{depth} objects"),
        ));
        bodies.push((
            format!("{{\"msg\": {}}}", "[".repeat(depth)),
            format!("{depth} [ in a field"),
        ));
    }
    for (body, what) in &bodies {
        let answer = common::send(
            server
                .client
                .post(server.url("/echo"))
                .header("content-type", "application/json")
                .body(body.clone()),
        )
        .await;
        assert_eq!(
            code_of(&answer.json),
            common::PARSE_JSON_ERROR,
            "{what}: {}",
            answer.json
        );
    }
    let figures = load.stop().await;
    figures.print("security::nested_json (clients alongside)");
    println!(
        "figures security::nested_json: {} bodies up to 100 000 levels, each ParseJsonError",
        bodies.len()
    );
    figures.assert_no_failure("healthy clients during deeply nested JSON");
    assert_eq!(server.get_json("/healthy?a=1&b=1").await, ok(json!(2)));
}
