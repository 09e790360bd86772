//! Headers: a large one is served; a huge one, or too many, refused with 431.

use super::*;

#[tokio::test]
async fn a_large_header_is_served() {
    let server = server().await;
    let long_agent = "a".repeat(32 * 1024);
    let answer = common::send(
        server
            .client
            .get(server.url("/agent"))
            .header("user-agent", long_agent.clone()),
    )
    .await;
    assert_eq!(answer.json, ok(json!(long_agent)));
    let mut request = server.client.get(server.url("/fields?a=1"));
    for i in 0..90 {
        request = request.header(format!("x-filler-{i}"), "v".repeat(100));
    }
    assert_eq!(
        common::send(request).await.json,
        ok(json!({"a": 1, "name": null}))
    );
}

// A head over hyper's limits (about 400 kB, or more than 100 headers) is refused by
// the HTTP layer before poem or the App sees it: an honest 431 answer, not a packed
// error (nothing of apiview runs), and never a dropped connection. The README lists
// this exception.
#[tokio::test]
async fn a_huge_header_is_refused_with_431_not_a_dropped_connection() {
    let server = server().await;
    let head = format!("GET /fields HTTP/1.1\r\nX-Huge: {}", "h".repeat(1024 * 1024));
    let answer = raw(&server, &head, &[]).await;
    assert_eq!(answer.status, 431, "{answer:?}");
    assert_alive(&server).await;
}

#[tokio::test]
async fn too_many_headers_are_refused_with_431_not_a_dropped_connection() {
    let server = server().await;
    let mut head = String::from("GET /fields?a=1 HTTP/1.1");
    for i in 0..150 {
        head.push_str(&format!("\r\nX-Filler-{i}: v"));
    }
    let answer = raw(&server, &head, &[]).await;
    assert_eq!(answer.status, 431, "{answer:?}");
    assert_alive(&server).await;
}
