//! The App over real HTTP (DESIGN §4, §7, §9): nesting in a poem Route, request
//! ids, packer selection and user packers, start-up errors, settings files.

mod common;

use std::io::Write;

use apiview::packer::{PackContext, UnpackContext};
use apiview::prelude::*;
use apiview::Packer;
use common::{err, ok, TestServer};
use serde_json::{json, Value};

#[apiview]
fn ping() -> &'static str {
    "pong"
}

#[apiview]
fn item(id: i64) -> i64 {
    id
}

#[apiview]
fn whoami(request: &ApiRequest) -> String {
    request.request_id().to_owned()
}

#[apiview]
#[allow_post]
fn post_only() -> &'static str {
    "posted"
}

#[apiview]
fn boom() -> &'static str {
    panic!("boom")
}

#[apiview]
fn raw() -> Raw<&'static str> {
    Raw("raw")
}

/// A page of HTML, or a packed error when there is none.
#[apiview]
fn page(n: i64) -> apiview::Result<Raw<poem::web::Html<String>>> {
    if n < 0 {
        return Err(BizError::bad_parameter("n"));
    }
    Ok(Raw(poem::web::Html(format!("<p>{n}</p>"))))
}

#[apiview(packer = "dmrs")]
fn dmrs_endpoint(n: i64) -> i64 {
    n
}

#[apiview(packer = "mine")]
fn mine_endpoint(n: i64) -> i64 {
    n
}

#[apiview(packer = "no-such-packer")]
fn unknown_packer_endpoint() -> i64 {
    1
}

/// `{"ok": true, "payload": R, "id": ID}` / `{"ok": false, "reason": M, "code": C, "id": ID}`
struct OkPacker;

impl Packer for OkPacker {
    fn pack_result(&self, result: Value, cx: &PackContext) -> Result<Value, BizError> {
        Ok(json!({"ok": true, "payload": result, "id": cx.request_id}))
    }

    fn pack_error(&self, error: &BizError, cx: &PackContext) -> Result<Value, BizError> {
        Ok(json!({
            "ok": false,
            "reason": error.message_in(cx.language),
            "code": error.code(),
            "id": cx.request_id,
        }))
    }

    fn unpack(&self, body: &[u8], _cx: &UnpackContext) -> Result<Value, BizError> {
        let mut value: Value = serde_json::from_slice(body).map_err(|_| BizError::parse_json_error(body))?;
        match value["ok"].as_bool() {
            Some(true) => Ok(value["payload"].take()),
            _ => Err(BizError::new(
                value["code"].as_i64().unwrap_or(0),
                value["reason"].as_str().unwrap_or("").to_owned(),
            )),
        }
    }

    fn envelope_schema(&self) -> Value {
        json!({"type": "object", "required": ["ok", "id"]})
    }
}

fn app(settings: &str) -> App {
    App::new(common::settings(settings))
        .at("/ping", ping)
        .at("/items/:id", item)
        .at("/whoami", whoami)
        .at("/post_only", post_only)
        .at("/boom", boom)
        .at("/raw", raw)
        .at("/page", page)
        .at("/dmrs", dmrs_endpoint)
}

fn is_hex32(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

async fn get(server: &TestServer, path: &str) -> common::Answer {
    common::send(server.client.get(server.url(path))).await
}

// ---- nesting ----------------------------------------------------------------------

#[poem::handler]
fn plain_poem() -> &'static str {
    "plain poem"
}

#[tokio::test]
async fn the_app_nests_in_an_existing_poem_route() {
    let route = poem::Route::new()
        .nest("/api", app("").into_endpoint())
        .at("/plain", plain_poem);
    let server = common::serve_endpoint(route).await;
    let answer = get(&server, "/api/ping").await;
    assert_eq!(answer.json, ok(json!("pong")));
    assert!(is_hex32(answer.request_id()), "{:?}", answer.headers);
    assert_eq!(get(&server, "/api/items/42").await.json, ok(json!(42)));
    assert_eq!(
        common::send(server.client.get(server.url("/api/post_only")))
            .await
            .json,
        err(common::NOT_SUPPORTED_HTTP_METHOD, "Not supported http method.")
    );
    let response = server.client.get(server.url("/plain")).send().await.unwrap();
    assert_eq!(response.text().await.unwrap(), "plain poem");
    // Not found inside the App's prefix: still given a request id.
    let response = server
        .client
        .get(server.url("/api/nowhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.headers().contains_key("x-request-id"));
    // The App is not mounted at the root.
    let response = server.client.get(server.url("/ping")).send().await.unwrap();
    assert_eq!(response.status(), 404);
}

// ---- request ids ------------------------------------------------------------------

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let server = common::serve(app("body_limit = 8")).await;
    for (method, path) in [
        ("GET", "/ping"),
        ("GET", "/nowhere"),
        ("GET", "/items/x"),
        ("GET", "/post_only"),
        ("GET", "/boom"),
        ("GET", "/raw"),
        ("POST", "/whoami"),
    ] {
        let request = server
            .client
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                server.url(path),
            )
            .body("0123456789");
        let response = request.send().await.unwrap();
        let id = response
            .headers()
            .get("x-request-id")
            .unwrap_or_else(|| panic!("{method} {path}: no X-Request-Id"))
            .to_str()
            .unwrap()
            .to_owned();
        assert!(is_hex32(&id), "{method} {path}: {id:?}");
    }
    let response = server.client.get(server.url("/nowhere")).send().await.unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn an_incoming_request_id_is_echoed_and_seen_by_the_endpoint() {
    let server = common::serve(app("")).await;
    for id in [
        "abc",
        "0f8fad5b-d9cb-469f-a165-70867728950e",
        "trace_01.part:2",
        "67aa6f147d074c2c8bed121c1994f80d",
    ] {
        let answer = common::send(
            server
                .client
                .get(server.url("/whoami"))
                .header("X-Request-Id", id),
        )
        .await;
        assert_eq!(answer.request_id(), id);
        assert_eq!(answer.json, ok(json!(id)));
    }
    let response = server
        .client
        .get(server.url("/nowhere"))
        .header("X-Request-Id", "lost-1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "lost-1");
}

#[tokio::test]
async fn an_unsafe_request_id_is_replaced_by_a_fresh_one() {
    let server = common::serve(app("")).await;
    let long = "a".repeat(500);
    for id in [
        "has spaces",
        long.as_str(),
        "quote\"d",
        "<script>alert(1)</script>",
        "a,b",
        "semi;colon",
        "",
    ] {
        let answer = common::send(
            server
                .client
                .get(server.url("/whoami"))
                .header("X-Request-Id", id),
        )
        .await;
        let fresh = answer.request_id().to_owned();
        assert!(is_hex32(&fresh), "{id:?} gave {fresh:?}");
        assert_eq!(answer.json, ok(json!(fresh)), "the endpoint sees the same id");
    }
    // Bytes that are not even UTF-8.
    let answer = server
        .raw("GET /whoami HTTP/1.1\r\nX-Request-Id: caf\u{e9}", &[])
        .await;
    let fresh = answer.header("x-request-id").unwrap_or("").to_owned();
    assert!(is_hex32(&fresh), "{fresh:?}");
}

#[tokio::test]
async fn deetr_reqid_matches_the_header_even_for_errors_raised_before_the_endpoint() {
    let server = common::serve(app("packer = 'deetr'\nbody_limit = 4")).await;
    for (method, path, id) in [
        ("GET", "/post_only", Some("early-1")),
        ("POST", "/items/1", Some("early-2")),
        ("GET", "/post_only", None),
        ("POST", "/items/1", None),
    ] {
        let mut request = server
            .client
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                server.url(path),
            )
            .body("0123456789");
        if let Some(id) = id {
            request = request.header("X-Request-Id", id);
        }
        let answer = common::send(request).await;
        assert_ne!(answer.json["errcode"], 0, "{}", answer.json);
        assert_eq!(answer.json["reqid"], answer.request_id(), "{method} {path}");
        match id {
            Some(id) => assert_eq!(answer.request_id(), id),
            None => assert!(is_hex32(answer.request_id())),
        }
    }
}

// ---- request log ------------------------------------------------------------------

#[tokio::test]
async fn each_request_is_logged_with_its_outcome_and_a_panic_with_its_request_id() {
    let buffer = common::LogBuffer::install(tracing::Level::DEBUG);
    let server = common::serve(app("")).await;

    let answer = common::send(
        server
            .client
            .get(server.url("/boom"))
            .header("X-Request-Id", "log-boom-1"),
    )
    .await;
    assert_eq!(answer.json, err(common::SYS_ERROR, "System Error"));
    let answer = common::send(
        server
            .client
            .get(server.url("/items/7"))
            .header("X-Request-Id", "log-item-2"),
    )
    .await;
    assert_eq!(answer.json, ok(json!(7)));

    let lines = buffer.lines();
    let about = |id: &str| -> Vec<&String> { lines.iter().filter(|line| line.contains(id)).collect() };
    let boom_lines = about("log-boom-1");
    assert!(
        boom_lines
            .iter()
            .any(|line| line.contains("boom") && line.contains("panic")),
        "the panic is not logged with the request id: {boom_lines:#?}"
    );
    assert!(
        boom_lines.iter().any(|line| line.contains("GET")
            && line.contains("/boom")
            && line.contains("200")
            && line.contains("1001000000")
            && line.contains("latency")),
        "no request log line with method, path, status, code and latency: {boom_lines:#?}"
    );
    let item_lines = about("log-item-2");
    assert!(
        item_lines.iter().any(|line| line.contains("GET")
            && line.contains("/items/7")
            && line.contains("200")
            && line.contains("latency")),
        "no request log line: {item_lines:#?}"
    );
}

// ---- packers -------------------------------------------------------------------------

#[tokio::test]
async fn an_endpoint_can_pick_its_own_packer() {
    let server = common::serve(app("packer = 'simple'")).await;
    assert_eq!(
        get(&server, "/dmrs?n=4").await.json,
        json!({"data": 4, "message": "OK", "returnCode": 0, "successSign": true})
    );
    assert_eq!(
        get(&server, "/dmrs").await.json,
        json!({"data": null, "message": "Missing parameter: n.", "returnCode": 1001060001, "successSign": false})
    );
    // The others keep the settings' packer.
    assert_eq!(get(&server, "/ping").await.json, ok(json!("pong")));

    // Under another settings packer too.
    let server = common::serve(app("packer = 'deetr'")).await;
    assert_eq!(get(&server, "/dmrs?n=5").await.json["returnCode"], 0);
    assert_eq!(get(&server, "/ping").await.json["errcode"], 0);
}

#[tokio::test]
async fn a_user_packer_is_selected_in_settings() {
    let app = app("packer = 'mine'").packer("mine", OkPacker);
    let server = common::serve(app).await;
    let answer = get(&server, "/ping").await;
    assert_eq!(
        answer.json,
        json!({"ok": true, "payload": "pong", "id": answer.request_id()})
    );
    let answer = get(&server, "/items/x").await;
    assert_eq!(answer.json["ok"], false);
    assert_eq!(answer.json["code"], common::BAD_PARAMETER_TYPE);
    assert_eq!(answer.json["id"], answer.request_id());
    let answer = get(&server, "/boom").await;
    assert_eq!(
        answer.json,
        json!({"ok": false, "reason": "System Error", "code": common::SYS_ERROR, "id": answer.request_id()})
    );
    let answer = get(&server, "/post_only").await;
    assert_eq!(answer.json["code"], common::NOT_SUPPORTED_HTTP_METHOD);
    // Per-endpoint choice still wins.
    assert_eq!(get(&server, "/dmrs?n=1").await.json["successSign"], true);
}

#[tokio::test]
async fn a_user_packer_is_selected_per_endpoint() {
    let app = App::new(common::settings(""))
        .packer("mine", OkPacker)
        .at("/mine", mine_endpoint)
        .at("/ping", ping);
    let server = common::serve(app).await;
    let answer = get(&server, "/mine?n=3").await;
    assert_eq!(
        answer.json,
        json!({"ok": true, "payload": 3, "id": answer.request_id()})
    );
    assert_eq!(get(&server, "/ping").await.json, ok(json!("pong")));
}

#[tokio::test]
async fn a_user_packer_can_replace_a_built_in_name() {
    let server = common::serve(app("").packer("simple", OkPacker)).await;
    let answer = get(&server, "/ping").await;
    assert_eq!(answer.json["payload"], "pong", "{}", answer.json);
}

// ---- start-up errors ---------------------------------------------------------------

#[test]
fn an_unknown_settings_packer_is_a_start_up_error() {
    let error = app("packer = 'nope'")
        .try_into_endpoint()
        .err()
        .expect("an unknown packer must not build");
    let message = error.to_string();
    assert!(message.contains("nope"), "{message}");
    assert!(message.contains("packer"), "{message}");
}

#[test]
fn an_unknown_endpoint_packer_is_a_start_up_error() {
    let error = App::new(common::settings(""))
        .at("/x", unknown_packer_endpoint)
        .try_into_endpoint()
        .err()
        .expect("an unknown packer must not build");
    let message = error.to_string();
    assert!(message.contains("no-such-packer"), "{message}");
    assert!(message.contains("unknown_packer_endpoint"), "{message}");
    // Registered, it builds.
    assert!(App::new(common::settings(""))
        .packer("no-such-packer", OkPacker)
        .at("/x", unknown_packer_endpoint)
        .try_into_endpoint()
        .is_ok());
}

#[test]
fn a_path_registered_twice_is_a_start_up_error() {
    let error = App::new(common::settings(""))
        .at("/same", ping)
        .at("/other", item)
        .at("/same", whoami)
        .try_into_endpoint()
        .err()
        .expect("a duplicated path must not build");
    let message = error.to_string();
    assert!(message.contains("/same"), "{message}");
}

#[test]
#[should_panic(expected = "nope")]
fn into_endpoint_panics_on_an_inconsistent_app() {
    let _ = app("packer = 'nope'").into_endpoint();
}

// ---- settings files ------------------------------------------------------------------

fn settings_file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new()
        .prefix("apiview-test-")
        .suffix(".toml")
        .tempfile()
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file.flush().unwrap();
    file
}

/// Loading `text` fails with a message naming the file and each of `mentions`.
fn assert_settings_error(text: &str, mentions: &[&str]) {
    let file = settings_file(text);
    let error = Settings::from_file(file.path())
        .err()
        .unwrap_or_else(|| panic!("{text:?} must not load"));
    let message = error.to_string();
    let file_name = file.path().file_name().unwrap().to_str().unwrap();
    assert!(message.contains(file_name), "file not named: {message}");
    for mention in mentions {
        assert!(message.contains(mention), "{mention:?} not named: {message}");
    }
}

#[test]
fn a_settings_file_is_loaded() {
    let file = settings_file(
        "packer = 'deetr'\naclkey = 'k'\naclkeys = ['k2']\nlanguage = 'zh-hans'\n\
         http_status = 'semantic'\nbody_limit = 1024\ndefault_allow_methods = ['get']\n\
         [cache]\ndefault_expire = 60\n",
    );
    let settings = Settings::from_file(file.path()).unwrap();
    assert_eq!(settings.packer, "deetr");
    assert_eq!(settings.aclkey, "k");
    assert_eq!(settings.aclkeys, ["k2"]);
    assert_eq!(settings.language, apiview::Language::ZhHans);
    assert_eq!(settings.body_limit, 1024);
    assert_eq!(settings.default_allow_methods, ["get"]);
    assert_eq!(settings.cache.default_expire, 60);
}

#[test]
fn a_missing_settings_file_means_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings::from_file(dir.path().join("absent.toml")).unwrap();
    assert_eq!(settings.packer, "simple");
    assert_eq!(settings.body_limit, 2 * 1024 * 1024);
    assert_eq!(settings.default_allow_methods, ["get", "post"]);
}

#[test]
fn an_unknown_settings_key_names_the_key_and_the_file() {
    assert_settings_error("pakcer = 'simple'\n", &["pakcer"]);
    assert_settings_error("[cache]\ndefault_expiry = 5\n", &["default_expiry"]);
    assert_settings_error("[swagger]\ntitel = 'x'\n", &["titel"]);
}

#[test]
fn malformed_toml_names_the_file() {
    assert_settings_error("packer = \n", &[]);
    assert_settings_error("packer = 'simple\n", &[]);
    assert_settings_error("[cache\n", &[]);
}

#[test]
fn a_bad_method_name_names_the_key_and_the_file() {
    assert_settings_error(
        "default_allow_methods = ['get', 'fetch']\n",
        &["default_allow_methods", "fetch"],
    );
}

#[test]
fn a_bad_language_names_the_key_and_the_file() {
    assert_settings_error("language = 'fr'\n", &["language"]);
}

#[test]
fn a_value_of_the_wrong_type_names_the_key_and_the_file() {
    assert_settings_error("body_limit = 'big'\n", &["body_limit"]);
    assert_settings_error("http_status = 'sometimes'\n", &["http_status"]);
    assert_settings_error("aclkeys = 'one'\n", &["aclkeys"]);
}

#[test]
fn a_settings_path_that_is_a_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let error = Settings::from_file(dir.path()).expect_err("a directory is no settings file");
    let message = error.to_string();
    assert!(message.contains(&*dir.path().to_string_lossy()), "{message}");
}

#[tokio::test]
async fn an_app_from_a_settings_file_uses_its_packer() {
    let file = settings_file("packer = 'dmrs'\n");
    let app = App::from_settings_file(file.path()).unwrap().at("/ping", ping);
    let server = common::serve(app).await;
    assert_eq!(
        get(&server, "/ping").await.json,
        json!({"data": "pong", "message": "OK", "returnCode": 0, "successSign": true})
    );
}

#[tokio::test]
async fn a_raw_result_is_answered_as_it_is_or_its_error_packed() {
    let server = common::serve(app("")).await;
    let response = server.client.get(server.url("/page?n=7")).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(response.text().await.unwrap(), "<p>7</p>");
    let answer = get(&server, "/page?n=-1").await;
    assert_eq!(
        common::code_of(&answer.json),
        common::BAD_PARAMETER,
        "{}",
        answer.json
    );
    // Declared fallible: the document's error codes are open to the function's own.
    let (_, meta) = app("").endpoints().find(|(path, _)| *path == "/page").unwrap();
    assert!(meta.fallible);
}
