//! Unknown and unallowed methods.

use super::*;

#[tokio::test]
async fn an_unknown_or_unallowed_method_is_refused() {
    let server = server().await;
    let refused = err(common::NOT_SUPPORTED_HTTP_METHOD, "Not supported http method.");
    for (method, path) in [
        ("PURGE", "/fields"),
        ("FOO-BAR", "/fields"),
        ("PUT", "/fields"),
        ("DELETE", "/need"),
        ("PATCH", "/whole"),
        ("PUT", "/get_only"),
        ("POST", "/get_only"),
        ("TRACE", "/ping"),
    ] {
        let request = server.client.request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            server.url(path),
        );
        assert_eq!(common::send(request).await.json, refused, "{method} {path}");
    }
    // By hand too, with a body.
    let answer = raw(
        &server,
        "PURGE /fields HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 8",
        &[b"{\"a\": 1}"],
    )
    .await;
    assert_eq!(answer.json(), refused);
    assert_alive(&server).await;
}
