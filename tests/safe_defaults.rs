//! The safe defaults of DESIGN §11 over real HTTP: unknown routes answer a packed
//! `NoMatchingRouteFound`, answers carry `nosniff` and `no-store` unless the endpoint
//! sets its own, and cross-origin browsers are served only as `[cors]` allows.

mod common;

use apiview::prelude::*;
use serde_json::json;

#[apiview]
fn ping() -> &'static str {
    "pong"
}

/// An endpoint that says how its answer may be cached.
#[apiview]
fn cacheable() -> Raw<poem::Response> {
    Raw(poem::Response::builder()
        .header("cache-control", "max-age=60")
        .body("cached"))
}

fn app(toml: &str) -> App {
    App::new(common::settings(toml))
        .at("/ping", ping)
        .at("/cacheable", cacheable)
}

#[tokio::test]
async fn an_unknown_route_answers_a_packed_no_matching_route_found() {
    let server = common::serve(app("")).await;
    for path in ["/nope", "/", "/ping/extra", "/a/b/c?x=1"] {
        let answer = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(answer.status(), 404, "{path}: not an endpoint's business error");
        assert_eq!(answer.headers()["x-request-id"].len(), 32, "{path}");
        let body: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(
            body,
            common::err(1001010004, "No matching route found."),
            "{path}"
        );
    }
    let semantic = common::serve(app("http_status = 'semantic'\npacker = 'dmrs'")).await;
    let answer = semantic.client.post(semantic.url("/nope")).send().await.unwrap();
    assert_eq!(answer.status(), 404);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["returnCode"], 1001010004, "the App's packer: {body}");
    let zh = common::serve(app("language = 'zh-hans'")).await;
    assert_eq!(
        zh.get_json("/nope").await,
        common::err(1001010004, "未找到匹配的路由！")
    );
}

#[tokio::test]
async fn answers_carry_nosniff_and_no_store_unless_the_endpoint_says_otherwise() {
    let server = common::serve(app("")).await;
    for path in ["/ping", "/nope"] {
        let answer = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(answer.headers()["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(answer.headers()["cache-control"], "no-store", "{path}");
    }
    let answer = server.client.get(server.url("/cacheable")).send().await.unwrap();
    assert_eq!(answer.headers()["cache-control"], "max-age=60");
    assert_eq!(answer.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn cross_origin_requests_are_served_as_cors_allows() {
    let preflight = |server: &common::TestServer, origin: &str| {
        server
            .client
            .request(reqwest::Method::OPTIONS, server.url("/ping"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .send()
    };
    // By default no origin is allowed.
    let closed = common::serve(app("")).await;
    let answer = preflight(&closed, "https://shop.example").await.unwrap();
    assert!(
        answer.headers().get("access-control-allow-origin").is_none(),
        "{answer:?}"
    );
    let answer = closed
        .client
        .get(closed.url("/ping"))
        .header("origin", "https://shop.example")
        .send()
        .await
        .unwrap();
    assert!(answer.headers().get("access-control-allow-origin").is_none());

    let open = common::serve(app(
        "[cors]\nallow_origins = ['https://shop.example']\nmax_age_s = 600",
    ))
    .await;
    let answer = preflight(&open, "https://shop.example").await.unwrap();
    assert_eq!(
        answer.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    assert_eq!(answer.headers()["access-control-max-age"], "600");
    let answer = open
        .client
        .get(open.url("/ping"))
        .header("origin", "https://shop.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    assert_eq!(
        answer.json::<serde_json::Value>().await.unwrap(),
        common::ok(json!("pong"))
    );
    let answer = preflight(&open, "https://evil.example").await.unwrap();
    assert!(
        answer.headers().get("access-control-allow-origin").is_none(),
        "{answer:?}"
    );
}

#[tokio::test]
async fn bad_cors_settings_stop_start_up_naming_the_key() {
    for (toml, key) in [
        (
            "[cors]\nallow_origins = ['*']\nallow_credentials = true",
            "cors.allow_origins",
        ),
        ("[cors]\nallow_origins = [\"a\\u0001b\"]", "cors.allow_origins"),
        ("[cors]\nallow_methods = ['fetch']", "cors.allow_methods"),
        ("[cors]\nallow_headers = ['bad header']", "cors.allow_headers"),
    ] {
        let err = Settings::from_toml_str(toml).unwrap_err();
        assert!(err.to_string().contains(key), "{toml}: {err}");
    }
}

/// Regression: the fallback route `/*…` took `/` from an endpoint registered at `/`
/// (poem's router prefers a catch-all to the empty path), so `App::at("/", ..)` was
/// never reached.
#[tokio::test]
async fn an_endpoint_at_the_root_is_reached_and_other_paths_still_fall_back() {
    let server = common::serve(App::new(Settings::default()).at("/", ping)).await;
    assert_eq!(server.get_json("/").await, common::ok(serde_json::json!("pong")));
    assert_eq!(
        server.get_json("/nope").await,
        common::err(1001010004, "No matching route found.")
    );
}
