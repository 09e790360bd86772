//! API versioning over real HTTP (DESIGN §16): each scheme (url_path, query, header,
//! accept) with its default when the request names none, versions not allowed, an
//! endpoint that exists in v2 only, the check before the body, the documents served
//! per version and the Swagger UI's version selector, and the settings and start-up
//! errors.

mod common;

use apiview::prelude::*;
use common::{code_of, message_of, send, serve, settings, BAD_PARAMETER};
use serde_json::{json, Value};

/// The version the request got, as the endpoint sees it.
#[apiview]
fn which(request: &ApiRequest) -> Option<String> {
    request.version().map(str::to_owned)
}

/// Exists in v2 and v3 only.
#[apiview(versions = ["v2", "v3"])]
fn fresh(request: &ApiRequest) -> Option<String> {
    request.version().map(str::to_owned)
}

/// Reads a body: a request with a bad version is refused before it is read.
#[apiview]
#[allow_post]
fn posted(n: i64) -> i64 {
    n
}

/// Takes the path's version segment as a parameter of its own.
#[apiview]
fn segment(version: String, request: &ApiRequest) -> Value {
    json!([version, request.version()])
}

fn versioned(scheme: &str) -> Settings {
    settings(&format!(
        "[versioning]\nscheme = '{scheme}'\nallowed = ['v1', 'v2', 'v3']\ndefault = 'v1'"
    ))
}

fn app(settings: Settings) -> App {
    App::new(settings)
        .at("/which", which)
        .at("/fresh", fresh)
        .at("/posted", posted)
        .swagger()
}

async fn get(server: &common::TestServer, path: &str, headers: &[(&str, &str)]) -> Value {
    let mut request = server.client.get(server.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send(request).await.json
}

fn assert_refused(answer: &Value, message: &str) {
    assert_eq!(code_of(answer), BAD_PARAMETER, "{answer}");
    assert_eq!(message_of(answer), message, "{answer}");
}

#[tokio::test]
async fn query_scheme_reads_the_query_parameter() {
    let server = serve(app(versioned("query"))).await;
    assert_eq!(
        get(&server, "/which?version=v2", &[]).await,
        common::ok(json!("v2"))
    );
    assert_eq!(
        get(&server, "/which?a=%41&version=v3", &[]).await,
        common::ok(json!("v3"))
    );
    // None named: the default; a header is not this scheme's place.
    assert_eq!(
        get(&server, "/which", &[("Accept-Version", "v2")]).await,
        common::ok(json!("v1"))
    );
    let not_allowed =
        "Bad parameter: version. the query parameter `version` names no allowed version (v1, v2, v3).";
    assert_refused(&get(&server, "/which?version=v9", &[]).await, not_allowed);
    assert_refused(&get(&server, "/which?version=", &[]).await, not_allowed);
    assert_refused(
        &get(&server, "/which?version=v1&version=v2", &[]).await,
        not_allowed,
    );
}

#[tokio::test]
async fn query_scheme_reads_the_param_named_in_settings() {
    let mut settings = versioned("query");
    settings.versioning.param = "api".into();
    let server = serve(app(settings)).await;
    assert_eq!(get(&server, "/which?api=v3", &[]).await, common::ok(json!("v3")));
    assert_eq!(
        get(&server, "/which?version=v3", &[]).await,
        common::ok(json!("v1"))
    );
    let answer = get(&server, "/which?api=v4", &[]).await;
    assert_refused(
        &answer,
        "Bad parameter: api. the query parameter `api` names no allowed version (v1, v2, v3).",
    );
}

#[tokio::test]
async fn header_scheme_reads_accept_version() {
    let server = serve(app(versioned("header"))).await;
    assert_eq!(
        get(&server, "/which", &[("Accept-Version", "v2")]).await,
        common::ok(json!("v2"))
    );
    assert_eq!(
        get(&server, "/which", &[("accept-version", " v3 ")]).await,
        common::ok(json!("v3"))
    );
    assert_eq!(
        get(&server, "/which?version=v2", &[]).await,
        common::ok(json!("v1"))
    );
    let answer = get(&server, "/which", &[("Accept-Version", "2")]).await;
    assert_refused(
        &answer,
        "Bad parameter: version. the Accept-Version header names no allowed version (v1, v2, v3).",
    );
}

#[tokio::test]
async fn accept_scheme_reads_the_media_type_parameter() {
    let server = serve(app(versioned("accept"))).await;
    let accept = |value| [("Accept", value)];
    assert_eq!(
        get(&server, "/which", &accept("application/json; version=v2")).await,
        common::ok(json!("v2"))
    );
    assert_eq!(
        get(
            &server,
            "/which",
            &accept("text/html, application/json;q=0.9;Version=\"v3\"")
        )
        .await,
        common::ok(json!("v3"))
    );
    assert_eq!(
        get(&server, "/which", &accept("application/json")).await,
        common::ok(json!("v1"))
    );
    assert_eq!(get(&server, "/which", &[]).await, common::ok(json!("v1")));
    let answer = get(&server, "/which", &accept("application/json; version=v7")).await;
    assert_refused(
        &answer,
        "Bad parameter: version. the Accept header's `version` parameter names no allowed version (v1, v2, v3).",
    );
}

#[tokio::test]
async fn url_path_scheme_reads_the_path_segment() {
    let app = App::new(versioned("url_path"))
        .at("/:version/which", which)
        .at("/:version/fresh", fresh)
        .at("/api/:version<v\\d+>/segment", segment);
    let server = serve(app).await;
    assert_eq!(get(&server, "/v2/which", &[]).await, common::ok(json!("v2")));
    assert_eq!(
        get(&server, "/v1/which?version=v3", &[]).await,
        common::ok(json!("v1"))
    );
    assert_refused(
        &get(&server, "/v9/which", &[]).await,
        "Bad parameter: version. the path names no allowed version (v1, v2, v3).",
    );
    // A parameter named like the segment is filled from it, as any path parameter.
    assert_eq!(
        get(&server, "/api/v3/segment", &[]).await,
        common::ok(json!(["v3", "v3"]))
    );
    assert_refused(
        &get(&server, "/v1/fresh", &[]).await,
        "Bad parameter: version. this endpoint exists in v2, v3 only, not in v1.",
    );
    assert_eq!(get(&server, "/v3/fresh", &[]).await, common::ok(json!("v3")));
}

#[tokio::test]
async fn an_endpoint_exists_in_its_versions_only() {
    let server = serve(app(versioned("header"))).await;
    assert_eq!(
        get(&server, "/fresh", &[("Accept-Version", "v2")]).await,
        common::ok(json!("v2"))
    );
    let not_here = "Bad parameter: version. this endpoint exists in v2, v3 only, not in v1.";
    assert_refused(
        &get(&server, "/fresh", &[("Accept-Version", "v1")]).await,
        not_here,
    );
    // No version named: the default, v1, in which it does not exist.
    assert_refused(&get(&server, "/fresh", &[]).await, not_here);
    // Not allowed at all: that is what is said.
    let answer = get(&server, "/fresh", &[("Accept-Version", "v9")]).await;
    assert_refused(
        &answer,
        "Bad parameter: version. the Accept-Version header names no allowed version (v1, v2, v3).",
    );
}

#[tokio::test]
async fn without_a_scheme_there_is_no_version() {
    let server = serve(App::new(Settings::default()).at("/which", which)).await;
    for headers in [
        &[][..],
        &[("Accept-Version", "v9")][..],
        &[("Accept", "application/json; version=v9")][..],
    ] {
        assert_eq!(
            get(&server, "/which?version=v9", headers).await,
            common::ok(Value::Null)
        );
    }
}

#[tokio::test]
async fn the_version_is_checked_before_the_body_is_read() {
    let server = serve(app(versioned("header"))).await;
    let post = |version: &str| {
        server
            .client
            .post(server.url("/posted"))
            .header("Accept-Version", version)
            .header("content-type", "application/json")
            .body("{not json")
    };
    let answer = send(post("v9")).await;
    assert_eq!(code_of(&answer.json), BAD_PARAMETER, "{}", answer.json);
    let answer = send(post("v2")).await;
    assert_eq!(code_of(&answer.json), common::PARSE_JSON_ERROR, "{}", answer.json);
    // The method check comes first.
    let answer = send(
        server
            .client
            .put(server.url("/posted"))
            .header("Accept-Version", "v9"),
    )
    .await;
    assert_eq!(
        code_of(&answer.json),
        common::NOT_SUPPORTED_HTTP_METHOD,
        "{}",
        answer.json
    );
}

#[tokio::test]
async fn a_refused_version_is_a_400_in_semantic_mode_and_speaks_chinese() {
    let mut settings = versioned("query");
    settings.http_status = apiview::settings::HttpStatusMode::Semantic;
    settings.language = apiview::Language::ZhHans;
    let server = serve(app(settings)).await;
    let answer = send(server.client.get(server.url("/fresh?version=v1"))).await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        message_of(&answer.json),
        "参数值有误：version。本接口仅存在于版本 v2、v3，不存在于 v1。"
    );
    let answer = send(server.client.get(server.url("/which?version=x"))).await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        message_of(&answer.json),
        "参数值有误：version。查询参数 version 未指定允许的版本（v1、v2、v3）。"
    );
}

fn paths(document: &Value) -> Vec<&str> {
    document["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

#[tokio::test]
async fn each_version_has_its_document() {
    let server = serve(app(versioned("header"))).await;
    let v1 = server.get_json("/apiview/openapi.json").await;
    assert_eq!(paths(&v1), ["/which", "/posted"]);
    assert_eq!(v1["info"]["version"], "0.1.0 (v1)");
    assert_eq!(server.get_json("/apiview/openapi.json?version=v1").await, v1);
    let v2 = server.get_json("/apiview/openapi.json?version=v2").await;
    assert_eq!(paths(&v2), ["/which", "/fresh", "/posted"]);
    let header = &v2["paths"]["/fresh"]["get"]["parameters"][0];
    assert_eq!(
        (&header["name"], &header["in"], &header["schema"]),
        (
            &json!("Accept-Version"),
            &json!("header"),
            &json!({"type": "string", "enum": ["v2"], "default": "v2"})
        )
    );
    // Every operation may answer BadParameter(version).
    let ok = &v2["paths"]["/which"]["get"]["responses"]["200"]["content"]["application/json"];
    assert!(ok["examples"]["BadParameter (version)"].is_object(), "{ok}");
    // django-apiview's name for the document, per version too.
    assert_eq!(
        server.get_json("/apiview/swagger-ui-meta.json?version=v2").await,
        v2
    );
    // A version that does not exist has no document (not another version's).
    for path in [
        "/apiview/openapi.json?version=v9",
        "/apiview/swagger-ui-meta.json?version=",
    ] {
        let response = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn swagger_ui_selects_among_the_versions() {
    let server = serve(app(versioned("query"))).await;
    let config = server.get_json("/apiview/swagger-ui-config.json").await;
    assert_eq!(
        config["urls"],
        json!([
            {"url": "openapi.json?version=v1", "name": "v1"},
            {"url": "openapi.json?version=v2", "name": "v2"},
            {"url": "openapi.json?version=v3", "name": "v3"},
        ])
    );
    assert_eq!(config["urls.primaryName"], "v1");
    let page = server
        .client
        .get(server.url("/apiview/swagger-ui.html"))
        .send()
        .await
        .unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("StandaloneLayout") && page.contains("swagger-ui-standalone-preset.js"));
    let preset = server
        .client
        .get(server.url("/apiview/swagger-ui-standalone-preset.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(preset.status(), 200);

    // Without versioning: one document whatever the query, and no selector.
    let unversioned = App::new(Settings::default())
        .at("/which", which)
        .at("/posted", posted);
    let server = serve(unversioned.swagger()).await;
    let config = server.get_json("/apiview/swagger-ui-config.json").await;
    assert!(config.get("urls").is_none(), "{config}");
    let document = server.get_json("/apiview/openapi.json?version=v9").await;
    assert_eq!(paths(&document), ["/which", "/posted"]);
    assert_eq!(document["info"]["version"], "0.1.0");
}

#[tokio::test]
async fn url_path_documents_write_the_version_into_the_paths() {
    let app = App::new(versioned("url_path"))
        .at("/:version/which", which)
        .at("/:version/fresh", fresh)
        .at("/api/:version<v\\d+>/segment", segment)
        .swagger();
    let server = serve(app).await;
    let v1 = server.get_json("/apiview/openapi.json").await;
    assert_eq!(paths(&v1), ["/v1/which", "/api/v1/segment"]);
    let v3 = server.get_json("/apiview/openapi.json?version=v3").await;
    assert_eq!(paths(&v3), ["/v3/which", "/v3/fresh", "/api/v3/segment"]);
    // The segment is written out: no `version` parameter, in the path or elsewhere.
    let operation = &v3["paths"]["/api/v3/segment"]["get"];
    assert!(operation.get("parameters").is_none(), "{operation}");
    assert!(v3["info"]["description"].as_str().unwrap().contains("/v3/"));
    // And Swagger UI's "try it out" calls that path.
    let answer = get(&server, "/v3/fresh", &[]).await;
    assert_eq!(answer, common::ok(json!("v3")));
}

#[test]
fn accept_and_query_documents_say_how_to_ask() {
    let accept = app(versioned("accept")).openapi_for_version("v2").unwrap();
    let description = accept["info"]["description"].as_str().unwrap();
    assert!(
        description.contains("Accept: application/json; version=v2"),
        "{description}"
    );
    assert!(accept["paths"]["/which"]["get"].get("parameters").is_none());
    let query = app(versioned("query")).openapi_for_version("v3").unwrap();
    let parameter = &query["paths"]["/which"]["get"]["parameters"][0];
    assert_eq!(
        (&parameter["name"], &parameter["in"]),
        (&json!("version"), &json!("query"))
    );
    assert_eq!(parameter["schema"]["enum"], json!(["v3"]));
    assert!(app(versioned("query")).openapi_for_version("v4").is_none());
    assert!(App::new(Settings::default())
        .at("/which", which)
        .openapi_for_version("v1")
        .is_none());
}

fn settings_error(toml: &str) -> String {
    Settings::from_toml_str(toml).expect_err(toml).to_string()
}

#[test]
fn bad_settings_name_the_key() {
    let cases = [
        (
            "[versioning]\nscheme = 'namespace'",
            "versioning.scheme",
            "namespace",
        ),
        (
            "[versioning]\nscheme = 'query'",
            "versioning.allowed",
            "needs the versions",
        ),
        (
            "[versioning]\nscheme = 'query'\nallowed = ['v1']",
            "versioning.default",
            "is not set",
        ),
        (
            "[versioning]\nscheme = 'header'\nallowed = ['v1']\ndefault = 'v2'",
            "versioning.default",
            "`v2` is not one of",
        ),
        (
            "[versioning]\nallowed = ['v1']\ndefault = 'v2'",
            "versioning.default",
            "`v2` is not one of",
        ),
        (
            "[versioning]\nallowed = ['v 1']",
            "versioning.allowed",
            "`v 1` is not a version",
        ),
        (
            "[versioning]\nallowed = ['v1', 'v1']",
            "versioning.allowed",
            "listed twice",
        ),
        (
            "[versioning]\nparam = 'api-version'",
            "versioning.param",
            "not a parameter name",
        ),
        (
            "[versioning]\nparam = ''",
            "versioning.param",
            "not a parameter name",
        ),
        ("[versioning]\nheader = 'X-Version'", "header", "unknown field"),
    ];
    for (toml, key, problem) in cases {
        let message = settings_error(toml);
        assert!(
            message.contains(key) && message.contains(problem),
            "{toml}: {message}"
        );
    }
    // Numbers in the file are versions' text.
    let settings = settings("[versioning]\nscheme = 'query'\nallowed = [1, 2.0]\ndefault = 1");
    assert_eq!(
        (settings.versioning.allowed, settings.versioning.default),
        (vec!["1".into(), "2.0".into()], "1".into())
    );
}

/// The environment overrides `[versioning]` as every other section; the only test
/// of this binary that reads `APIVIEW_*` variables.
#[test]
fn environment_overrides_versioning() {
    let vars = [
        ("APIVIEW_VERSIONING__SCHEME", "query"),
        ("APIVIEW_VERSIONING__ALLOWED", "[v1, 1.10]"),
        ("APIVIEW_VERSIONING__DEFAULT", "1.10"),
        ("APIVIEW_VERSIONING__PARAM", "api"),
    ];
    for (name, value) in vars {
        std::env::set_var(name, value);
    }
    let settings = Settings::from_file("no-such-settings-file.toml");
    std::env::set_var("APIVIEW_VERSIONING__ALLOWED", "v1,v2");
    let split = Settings::from_file("no-such-settings-file.toml");
    std::env::set_var("APIVIEW_VERSIONING__SCHEME", "path");
    let bad = Settings::from_file("no-such-settings-file.toml");
    for (name, _) in vars {
        std::env::remove_var(name);
    }
    let versioning = settings.unwrap().versioning;
    assert_eq!(versioning.scheme, "query");
    assert_eq!(versioning.allowed, ["v1", "1.10"]);
    assert_eq!(
        (versioning.default.as_str(), versioning.param.as_str()),
        ("1.10", "api")
    );
    // Default 1.10 is not among v1, v2.
    assert!(split.unwrap_err().to_string().contains("versioning.default"));
    assert!(bad.unwrap_err().to_string().contains("versioning.scheme"));
}

fn startup_error(app: App) -> String {
    app.try_into_endpoint()
        .err()
        .expect("a start-up error")
        .to_string()
}

#[test]
fn startup_refuses_what_cannot_be_served() {
    // `versions` with versioning off.
    let message = startup_error(App::new(Settings::default()).at("/fresh", fresh));
    assert!(
        message.contains("`fresh`") && message.contains("`versioning.scheme`") && message.contains("none"),
        "{message}"
    );
    // A version the settings do not allow.
    let settings = settings("[versioning]\nscheme = 'header'\nallowed = ['v1', 'v2']\ndefault = 'v1'");
    let message = startup_error(App::new(settings).at("/fresh", fresh));
    assert!(
        message.contains("`fresh`") && message.contains("`v3`") && message.contains("`versioning.allowed`"),
        "{message}"
    );
    // url_path: a path without the segment.
    let message = startup_error(
        App::new(versioned("url_path"))
            .at("/:version/which", which)
            .at("/posted", posted),
    );
    assert!(
        message.contains("`/posted`") && message.contains("`posted`") && message.contains("url_path"),
        "{message}"
    );
    assert!(message.contains("`/:version/posted`"), "{message}");
    let mut settings = versioned("url_path");
    settings.versioning.param = "api".into();
    let message = startup_error(App::new(settings).at("/:version/which", which));
    assert!(message.contains("`:api`"), "{message}");
    // The App's own routes (the Swagger UI) need no segment.
    assert!(App::new(versioned("url_path"))
        .at("/:version/which", which)
        .swagger()
        .try_into_endpoint()
        .is_ok());
}
