//! One path, several endpoints, chosen by the request's method (a REST API's
//! `GET /snippets/` to list and `POST /snippets/` to create), over real HTTP: each
//! endpoint keeps its own helpers (a permission on the writes only), its packer and
//! its versions; a method none allows is refused as one endpoint refuses it; methods
//! allowed by two endpoints of one path are a start-up error; the OpenAPI document
//! has one path item with every operation.

mod common;

use apiview::prelude::*;
use common::{code_of, message_of, send, serve, settings, BAD_PARAMETER, NOT_SUPPORTED_HTTP_METHOD};
use serde_json::{json, Value};

const LOGIN_REQUIRED: i64 = 1001040009;
const NO_PERMISSION: i64 = 1001100001;
const SECRET: &str = "tests-secret-of-at-least-32-bytes!!";

/// Lists the snippets.
#[apiview]
#[allow_get]
fn snippet_list() -> &'static str {
    "list"
}

/// Creates a snippet.
#[apiview]
#[allow_post]
fn snippet_create(title: String) -> String {
    format!("created {title}")
}

/// One snippet.
#[apiview]
#[allow_get]
fn snippet_detail(id: u64) -> String {
    format!("snippet {id}")
}

fn is_owner(me: &Identity, owner: &str) -> bool {
    me.id() == owner
}

/// Replaces or changes a snippet: its owner only.
#[apiview]
#[methods(put, patch)]
#[permission(is_owner(owner))]
fn snippet_update(request: &ApiRequest, id: u64, owner: String, title: String) -> String {
    format!("{} {id} of {owner}: {title}", request.method())
}

/// Deletes a snippet.
#[apiview]
#[allow_delete]
#[login_required]
fn snippet_delete(id: u64) -> String {
    format!("deleted {id}")
}

/// Declares no methods: the settings' default, GET and POST.
#[apiview]
fn snippet_everything() -> &'static str {
    "everything"
}

/// A path of one endpoint, to compare refusals with.
#[apiview]
#[allow_get]
fn alone() -> &'static str {
    "alone"
}

fn snippets(app: App) -> App {
    app.at("/snippets/", snippet_list)
        .at("/snippets/", snippet_create)
        .at("/snippets/:id/", snippet_detail)
        .at("/snippets/:id/", snippet_update)
        .at("/snippets/:id/", snippet_delete)
        .at("/alone", alone)
}

fn jwt_settings(top: &str) -> Settings {
    settings(&format!("{top}\n[auth.jwt]\nsecret = '{SECRET}'"))
}

fn bearer(sub: &str) -> String {
    let jwt = BearerJwt::hs256(SECRET);
    let token = jwt
        .issue(sub, std::time::Duration::from_secs(60), Value::Null)
        .unwrap();
    format!("Bearer {token}")
}

async fn call(server: &common::TestServer, method: reqwest::Method, path: &str) -> common::Answer {
    send(server.client.request(method, server.url(path))).await
}

#[tokio::test]
async fn list_and_create_share_a_path() {
    let server = serve(snippets(App::new(jwt_settings("")))).await;
    let listed = call(&server, reqwest::Method::GET, "/snippets/").await;
    assert_eq!(listed.json, common::ok(json!("list")));
    let created = send(
        server
            .client
            .post(server.url("/snippets/"))
            .json(&json!({"title": "hello"})),
    )
    .await;
    assert_eq!(created.json, common::ok(json!("created hello")));
}

#[tokio::test]
async fn the_detail_reads_anonymously_and_writes_with_permission() {
    let server = serve(snippets(App::new(jwt_settings("")))).await;
    let read = call(&server, reqwest::Method::GET, "/snippets/7/").await;
    assert_eq!(read.json, common::ok(json!("snippet 7")));

    let body = json!({"owner": "ann", "title": "new"});
    let put = |authorization: Option<String>| {
        let mut request = server.client.put(server.url("/snippets/7/")).json(&body);
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        send(request)
    };
    assert_eq!(code_of(&put(None).await.json), LOGIN_REQUIRED);
    assert_eq!(code_of(&put(Some(bearer("bob"))).await.json), NO_PERMISSION);
    assert_eq!(
        put(Some(bearer("ann"))).await.json,
        common::ok(json!("PUT 7 of ann: new"))
    );
    let patched = send(
        server
            .client
            .patch(server.url("/snippets/7/"))
            .header("authorization", bearer("ann"))
            .json(&body),
    )
    .await;
    assert_eq!(patched.json, common::ok(json!("PATCH 7 of ann: new")));

    let deleted = call(&server, reqwest::Method::DELETE, "/snippets/7/").await;
    assert_eq!(code_of(&deleted.json), LOGIN_REQUIRED);
    let deleted = send(
        server
            .client
            .delete(server.url("/snippets/7/"))
            .header("authorization", bearer("bob")),
    )
    .await;
    assert_eq!(deleted.json, common::ok(json!("deleted 7")));
}

#[tokio::test]
async fn a_method_no_endpoint_of_the_path_allows_is_refused_as_one_endpoint_refuses_it() {
    let server = serve(snippets(App::new(jwt_settings("")))).await;
    let single = call(&server, reqwest::Method::POST, "/alone").await;
    assert_eq!(code_of(&single.json), NOT_SUPPORTED_HTTP_METHOD);
    for (method, path) in [
        (reqwest::Method::POST, "/snippets/7/"),
        (reqwest::Method::DELETE, "/snippets/"),
        (reqwest::Method::OPTIONS, "/snippets/"),
    ] {
        let refused = call(&server, method.clone(), path).await;
        assert_eq!(
            (refused.status, &refused.json),
            (single.status, &single.json),
            "{method} {path}"
        );
        assert_eq!(refused.header("allow"), "", "{method} {path}");
    }
}

#[tokio::test]
async fn in_semantic_mode_a_refused_method_is_405_allowing_every_method_of_the_path() {
    let server = serve(snippets(App::new(jwt_settings("http_status = 'semantic'")))).await;
    let refused = call(&server, reqwest::Method::POST, "/snippets/7/").await;
    assert_eq!(refused.status, 405);
    assert_eq!(code_of(&refused.json), NOT_SUPPORTED_HTTP_METHOD);
    assert_eq!(refused.header("allow"), "GET, PUT, PATCH, DELETE");
    let refused = call(&server, reqwest::Method::PUT, "/snippets/").await;
    assert_eq!((refused.status, refused.header("allow")), (405, "GET, POST"));
    // HEAD is a method of its own, for a path as for one endpoint: refused unless
    // allowed (`#[allow_head]`).
    for (path, allow) in [("/alone", "GET"), ("/snippets/7/", "GET, PUT, PATCH, DELETE")] {
        let head = server.client.head(server.url(path)).send().await.unwrap();
        assert_eq!(head.status(), 405, "{path}");
        assert_eq!(head.headers()["allow"], allow, "{path}");
    }
}

#[tokio::test]
async fn a_cors_preflight_to_a_shared_path_is_answered_for_every_method() {
    let cors = "[cors]\nallow_origins = ['https://shop.example']\nallow_methods = ['get', 'put']";
    let server = serve(snippets(App::new(jwt_settings(cors)))).await;
    let preflight = server
        .client
        .request(reqwest::Method::OPTIONS, server.url("/snippets/7/"))
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "PUT")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    let read = send(
        server
            .client
            .get(server.url("/snippets/7/"))
            .header("origin", "https://shop.example"),
    )
    .await;
    assert_eq!(read.json, common::ok(json!("snippet 7")));
    assert_eq!(read.header("access-control-allow-origin"), "https://shop.example");
}

/// Reads in dmrs.
#[apiview(packer = "dmrs")]
#[allow_get]
fn dmrs_read() -> &'static str {
    "read"
}

/// Writes in dmrs.
#[apiview(packer = "dmrs")]
#[allow_post]
fn dmrs_write() -> &'static str {
    "written"
}

/// Replaces, in the App's packer.
#[apiview]
#[allow_put]
fn simple_put() -> &'static str {
    "put"
}

#[tokio::test]
async fn each_endpoint_packs_with_its_packer_and_a_refusal_with_theirs_when_they_agree() {
    let app = App::new(settings(""))
        .at("/dmrs", dmrs_read)
        .at("/dmrs", dmrs_write)
        .at("/mixed", dmrs_read)
        .at("/mixed", simple_put);
    let server = serve(app).await;
    let dmrs = |data: Value, code: i64, message: &str| json!({"data": data, "message": message, "returnCode": code, "successSign": code == 0});
    let read = call(&server, reqwest::Method::GET, "/mixed").await;
    assert_eq!(read.json, dmrs(json!("read"), 0, "OK"));
    let put = call(&server, reqwest::Method::PUT, "/mixed").await;
    assert_eq!(put.json, common::ok(json!("put")));
    // Both endpoints of `/dmrs` pack in dmrs: so does the refusal.
    let refused = call(&server, reqwest::Method::DELETE, "/dmrs").await;
    assert_eq!(
        refused.json,
        dmrs(
            Value::Null,
            NOT_SUPPORTED_HTTP_METHOD,
            "Not supported http method."
        )
    );
    // Those of `/mixed` do not agree: the App's packer refuses.
    let refused = call(&server, reqwest::Method::DELETE, "/mixed").await;
    assert_eq!(code_of(&refused.json), NOT_SUPPORTED_HTTP_METHOD);
}

/// The root, read.
#[apiview]
#[allow_get]
fn root_read() -> &'static str {
    "root read"
}

/// The root, written.
#[apiview]
#[allow_post]
fn root_write() -> &'static str {
    "root written"
}

#[tokio::test]
async fn the_root_and_two_spellings_of_a_path_share_as_any_path() {
    let app = App::new(settings(""))
        .at("/", root_read)
        .at("/", root_write)
        .at("/written", root_read)
        .at("written", root_write);
    let server = serve(app).await;
    assert_eq!(
        call(&server, reqwest::Method::GET, "/").await.json,
        common::ok(json!("root read"))
    );
    assert_eq!(
        call(&server, reqwest::Method::POST, "/").await.json,
        common::ok(json!("root written"))
    );
    assert_eq!(
        code_of(&call(&server, reqwest::Method::PUT, "/").await.json),
        NOT_SUPPORTED_HTTP_METHOD
    );
    assert_eq!(
        call(&server, reqwest::Method::POST, "/written").await.json,
        common::ok(json!("root written"))
    );
}

/// Creates, in v2 only.
#[apiview(versions = ["v2"])]
#[allow_post]
fn snippet_create_v2(title: String) -> String {
    format!("created {title} in v2")
}

/// Lists, in v1.
#[apiview(versions = ["v1"])]
#[allow_get]
fn snippet_list_v1() -> &'static str {
    "v1"
}

/// Lists, in v2.
#[apiview(versions = ["v2"])]
#[allow_get]
fn snippet_list_v2() -> &'static str {
    "v2"
}

const VERSIONING: &str = "[versioning]\nscheme = 'query'\nallowed = ['v1', 'v2']\ndefault = 'v1'";

#[tokio::test]
async fn each_endpoint_of_a_path_keeps_its_versions() {
    let app = App::new(settings(VERSIONING))
        .at("/snippets/", snippet_list)
        .at("/snippets/", snippet_create_v2);
    let server = serve(app).await;
    let post = |query: &'static str| {
        send(
            server
                .client
                .post(server.url(&format!("/snippets/{query}")))
                .json(&json!({"title": "t"})),
        )
    };
    assert_eq!(
        post("?version=v2").await.json,
        common::ok(json!("created t in v2"))
    );
    let refused = post("").await.json;
    assert_eq!(code_of(&refused), BAD_PARAMETER);
    assert!(message_of(&refused).contains("exists in v2 only"), "{refused}");
    let listed = call(&server, reqwest::Method::GET, "/snippets/?version=v1").await;
    assert_eq!(listed.json, common::ok(json!("list")));
}

fn start_up_error(app: App) -> String {
    app.try_into_endpoint()
        .err()
        .expect("the App must not build")
        .to_string()
}

#[test]
fn methods_two_endpoints_of_a_path_allow_are_a_start_up_error() {
    let message = start_up_error(
        App::new(settings(""))
            .at("/snippets/", snippet_list)
            .at("/snippets/", snippet_everything),
    );
    for part in [
        "path `/snippets/`",
        "for GET:",
        "`snippet_list` (GET)",
        "`snippet_everything` (GET, POST: it declares no methods, so settings key `default_allow_methods` gives them)",
        "#[allow_get]",
    ] {
        assert!(message.contains(part), "{part:?} not in: {message}");
    }
    // With a default of PUT only, they are apart.
    let put_by_default = settings("default_allow_methods = ['put']");
    assert!(App::new(put_by_default)
        .at("/snippets/", snippet_list)
        .at("/snippets/", snippet_everything)
        .try_into_endpoint()
        .is_ok());

    let message = start_up_error(
        App::new(settings(VERSIONING))
            .at("/s", snippet_list_v1)
            .at("/s", snippet_list_v2),
    );
    assert!(
        message.contains("`snippet_list_v1` (GET) and `snippet_list_v2` (GET)"),
        "{message}"
    );
    assert!(message.contains("versions do not tell them apart"), "{message}");
}

#[test]
fn the_same_endpoint_twice_at_a_path_is_a_start_up_error() {
    let message = start_up_error(
        App::new(settings(""))
            .at("/snippets/", snippet_list)
            .at("snippets/", snippet_list),
    );
    assert_eq!(
        message,
        "path `snippets/` is registered twice with endpoint `snippet_list`"
    );
}

#[test]
fn an_extra_route_at_a_shared_path_is_a_start_up_error() {
    use poem::endpoint::make_sync;
    use poem::EndpointExt;
    let app = snippets(App::new(jwt_settings(""))).with_routes(|_| {
        vec![(
            "/snippets/".to_owned(),
            make_sync(|_| "mine").map_to_response().boxed(),
        )]
    });
    let message = start_up_error(app);
    assert!(
        message.contains("/snippets/") && message.contains("App::with_routes"),
        "{message}"
    );
}

/// A price, cached.
#[apiview]
#[allow_get]
#[cache(key = "price:{id}", expire = 60)]
fn price(id: u64) -> u64 {
    id * 100
}

/// A quote, cached too.
#[apiview]
#[allow_post]
#[cache(key = "quote:{id}", expire = 30)]
fn quote(id: u64) -> u64 {
    id * 90
}

#[test]
fn endpoints_and_cache_entries_list_every_endpoint_of_a_path() {
    let app = snippets(App::new(jwt_settings("")))
        .at("/prices/:id", price)
        .at("/prices/:id", quote);
    let endpoints: Vec<(&str, &str)> = app.endpoints().map(|(path, meta)| (path, meta.name)).collect();
    assert_eq!(
        endpoints,
        [
            ("/snippets/", "snippet_list"),
            ("/snippets/", "snippet_create"),
            ("/snippets/:id/", "snippet_detail"),
            ("/snippets/:id/", "snippet_update"),
            ("/snippets/:id/", "snippet_delete"),
            ("/alone", "alone"),
            ("/prices/:id", "price"),
            ("/prices/:id", "quote"),
        ]
    );
    let cached: Vec<(String, &str, u64)> = app
        .cache_entries()
        .into_iter()
        .map(|entry| (entry.path, entry.endpoint, entry.expire))
        .collect();
    assert_eq!(
        cached,
        [
            ("/prices/:id".to_owned(), "price", 60),
            ("/prices/:id".to_owned(), "quote", 30)
        ]
    );
}

#[test]
fn the_openapi_document_has_one_path_item_with_every_operation() {
    let document = snippets(App::new(jwt_settings(""))).openapi();
    let item = &document["paths"]["/snippets/{id}/"];
    let methods: Vec<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(methods, ["get", "put", "patch", "delete"]);
    let ids: Vec<&str> = methods
        .iter()
        .map(|method| item[method]["operationId"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "snippet_detail",
            "snippet_update_put",
            "snippet_update_patch",
            "snippet_delete"
        ]
    );
    for method in &methods {
        let operation = &item[method];
        let id = operation["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|parameter| parameter["name"] == "id")
            .unwrap_or_else(|| panic!("{method}: no `id` parameter in {operation}"));
        assert_eq!(
            (&id["in"], &id["required"]),
            (&json!("path"), &json!(true)),
            "{method}"
        );
        // Only the writes ask who the caller is.
        assert_eq!(operation.get("security").is_some(), *method != "get", "{method}");
    }
    let item = &document["paths"]["/snippets/"];
    assert_eq!(item["get"]["operationId"], "snippet_list");
    assert_eq!(item["post"]["operationId"], "snippet_create");
    assert_eq!(item["post"]["summary"], "Creates a snippet.");
}
