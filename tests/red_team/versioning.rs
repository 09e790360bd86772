//! Versioning (DESIGN §16) under attack: values chosen to look like an allowed
//! version (`v2 `, `V2`, `v2%00`, repeated, very long), `Accept` headers of many
//! ranges, an endpoint that exists in v2 only probed with each trick, and the
//! document route's `?version=` with odd values.

use apiview::prelude::*;
use serde_json::{json, Value};

use crate::common::{code_of, send, serve, settings, TestServer, BAD_PARAMETER};
use crate::{ping, raw, still_serving};

/// Exists in v2 only.
#[apiview(versions = ["v2"])]
fn only_v2(request: &ApiRequest) -> Option<String> {
    request.version().map(str::to_owned)
}

async fn server(scheme: &str) -> TestServer {
    let toml = format!("[versioning]\nscheme = '{scheme}'\nallowed = ['v1', 'v2']\ndefault = 'v1'");
    let app = App::new(settings(&toml))
        .at("/only_v2", only_v2)
        .at("/ping", ping)
        .swagger();
    serve(app).await
}

async fn get(server: &TestServer, path: &str, headers: &[(&str, &str)]) -> Value {
    let mut request = server.client.get(server.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send(request).await.json
}

fn refused(answer: &Value, what: &str) {
    assert_eq!(code_of(answer), BAD_PARAMETER, "{what}: {answer}");
    // The client's text is never echoed into the message.
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(
        !message.contains("evil") && message.len() < 200,
        "{what}: {message}"
    );
}

#[tokio::test]
async fn query_values_that_look_like_v2_are_not_v2() {
    let server = server("query").await;
    assert_eq!(
        get(&server, "/only_v2?version=v2", &[]).await["result"],
        json!("v2")
    );
    let long = format!("/only_v2?version=v2{}", "evil".repeat(5_000));
    for path in [
        "/only_v2",
        "/only_v2?version=V2",
        "/only_v2?version=v2%20",
        "/only_v2?version=%20v2",
        "/only_v2?version=v2+",
        "/only_v2?version=v2%00",
        "/only_v2?version=v2%0d%0a",
        "/only_v2?version=v%32%ff",
        "/only_v2?version=v2&version=v2",
        "/only_v2?version=v1&version=v2",
        "/only_v2?version",
        "/only_v2?version=",
        "/only_v2?version[]=v2",
        "/only_v2?Version=v2",
        "/only_v2?version=evil",
        long.as_str(),
    ] {
        refused(&get(&server, path, &[]).await, path);
    }
    // A version in the body is not the version: the query decides.
    let posted = server
        .client
        .get(server.url("/only_v2"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("version=v2");
    refused(&send(posted).await.json, "a body field");
    still_serving(&server).await;
}

#[tokio::test]
async fn header_values_that_look_like_v2_are_not_v2() {
    let server = server("header").await;
    assert_eq!(
        get(&server, "/only_v2", &[("accept-version", "v2")]).await["result"],
        json!("v2")
    );
    let long = format!("v2{}", "evil".repeat(10_000));
    for value in ["V2", "v2,v2", "v2;q=1", "v1", "", "v 2", long.as_str(), "evil"] {
        refused(
            &get(&server, "/only_v2", &[("accept-version", value)]).await,
            value,
        );
    }
    // Twice, the same or not; a byte that is not visible ASCII; a NUL is refused by
    // the HTTP layer itself.
    for head in [
        "GET /only_v2 HTTP/1.1\r\nAccept-Version: v2\r\nAccept-Version: v2",
        "GET /only_v2 HTTP/1.1\r\nAccept-Version: v1\r\nAccept-Version: v2",
        "GET /only_v2 HTTP/1.1\r\nAccept-Version: v2\u{e9}",
    ] {
        let answer = raw(&server, head, &[]).await;
        refused(&answer.json(), head);
    }
    let answer = raw(&server, "GET /only_v2 HTTP/1.1\r\nAccept-Version: v2\0", &[]).await;
    assert!(
        answer.status == 400 || code_of(&answer.json()) == BAD_PARAMETER,
        "{answer:?}"
    );
    // The version is read from Accept-Version only: a query parameter is ignored.
    refused(&get(&server, "/only_v2?version=v2", &[]).await, "query");
    still_serving(&server).await;
}

#[tokio::test]
async fn accept_headers_of_many_ranges_and_odd_parameters() {
    let server = server("accept").await;
    let ask = |accept: String| {
        let server = &server;
        async move { get(server, "/only_v2", &[("accept", accept.as_str())]).await }
    };
    assert_eq!(
        ask("application/json; version=v2".into()).await["result"],
        json!("v2")
    );
    // A thousand ranges, none naming a version: the default, which this endpoint lacks.
    refused(
        &ask(vec!["text/html;q=0.1"; 1_000].join(", ")).await,
        "many ranges",
    );
    // A thousand ranges, the last naming v2: found, and answered.
    let mut ranges = vec!["text/html;q=0.1".to_owned(); 999];
    ranges.push("application/json;version=v2".into());
    assert_eq!(ask(ranges.join(",")).await["result"], json!("v2"));
    for accept in [
        "application/json; version=V2",
        "application/json; version=\"v2",
        "application/json; version=v2\"",
        "application/json; version=\"v2 \"",
        "application/json; version=v1, application/json; version=v2",
        "application/json; version=v1; version=v2",
        "application/json; version=evil",
        "application/json; version=",
        "application/json; version",
    ] {
        refused(&ask(accept.into()).await, accept);
    }
    // A parameter whose name only contains the word is not it.
    refused(&ask("application/json; myversion=v2".into()).await, "myversion");
    still_serving(&server).await;
}

#[tokio::test]
async fn url_path_segments_that_look_like_v2_are_not_v2() {
    let toml = "[versioning]\nscheme = 'url_path'\nallowed = ['v1', 'v2']\ndefault = 'v1'";
    let app = App::new(settings(toml))
        .at("/:version/only_v2", only_v2)
        .at("/:version/ping", ping);
    let server = serve(app).await;
    assert_eq!(get(&server, "/v2/only_v2", &[]).await["result"], json!("v2"));
    // The segment is decoded as any path parameter is: `v%32` is `v2`.
    assert_eq!(get(&server, "/v%32/only_v2", &[]).await["result"], json!("v2"));
    for path in [
        "/V2/only_v2",
        "/v2%00/only_v2",
        "/v2%20/only_v2",
        "/evil/only_v2",
        "/v1/only_v2",
    ] {
        let answer = get(&server, path, &[]).await;
        assert!(answer["success"] == json!(false), "{path}: {answer}");
        refused(&answer, path);
    }
    assert_eq!(get(&server, "/v1/ping", &[]).await["result"], json!("pong"));
}

#[tokio::test]
async fn the_document_route_with_odd_versions_never_fails() {
    let server = server("query").await;
    let document = |query: String| {
        let server = &server;
        async move {
            let response = server
                .client
                .get(server.url(&format!("/apiview/openapi.json{query}")))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body = response.bytes().await.unwrap();
            (status, body)
        }
    };
    let (status, v2) = document("?version=v2".into()).await;
    assert_eq!(status, 200);
    let v2: Value = serde_json::from_slice(&v2).unwrap();
    assert!(v2["paths"].get("/only_v2").is_some(), "{v2}");
    let (_, v1) = document("?version=v1".into()).await;
    let v1: Value = serde_json::from_slice(&v1).unwrap();
    assert!(v1["paths"].get("/only_v2").is_none(), "{v1}");
    for query in [
        "?version=".to_owned(),
        "?version=V2".into(),
        "?version=v9".into(),
        "?version=v2%00".into(),
        "?version=../openapi.json".into(),
        format!("?version={}", "x".repeat(50_000)),
        "?version=v2&version=v1".into(),
        "?version".into(),
    ] {
        let (status, _) = document(query.clone()).await;
        assert!(status == 200 || status == 404, "{query}: {status}");
    }
    still_serving(&server).await;
}
