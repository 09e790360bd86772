//! The OpenAPI document: the demo's, golden-ish (operations, parameters completed
//! and inferred from the code, responses packed by each packer, implied errors with
//! their codes, the 3.0 variant), bad doc comments that still give a valid
//! document, models, and the routes serving the document and the Swagger UI.
//!
//! With `OPENAPI_DUMP_DIR=DIR` (not an `APIVIEW_` name: settings read those), every
//! document checked here is also written to `DIR/NAME.json`, for `scripts/test.sh`
//! to run a standard validator on.
//!
//! One test binary; this file holds the document checks and the endpoints the
//! topics document (here at the crate root: an operation's default tag is its
//! module path), each topic its own file.

#[path = "../common/mod.rs"]
mod common;

#[path = "../../examples/demo/endpoints.rs"]
mod endpoints;

mod auth;
mod bad_docs;
mod demo_document;
mod inference;
mod python_client;
mod responses;
mod routes;
mod settings;
mod throttle;
mod typed;
mod versioning;

use std::collections::BTreeSet;

use apiview::prelude::*;
use apiview::schemars::JsonSchema;
use apiview::settings::HttpStatusMode;
use apiview::Language;
use serde_json::{json, Value};

const DEMO_SETTINGS: &str = include_str!("../../apiview.toml");

const SYS_ERROR: i64 = 1001000000;
const CACHE_ERROR: i64 = 1001000003;
const NOT_SUPPORTED_HTTP_METHOD: i64 = 1001010002;
const APP_AUTH_FAILED: i64 = 1001040004;
const PARSE_JSON_ERROR: i64 = 1001050006;
const TOO_LARGE_REQUEST_ERROR: i64 = 1001050009;
const MISSING_PARAMETER: i64 = 1001060001;
const BAD_PARAMETER: i64 = 1001060002;
const BAD_PARAMETER_TYPE: i64 = 1001060003;
const STRING_TOO_SHORT: i64 = 1001060004;
const STRING_TOO_LONG: i64 = 1001060005;

fn demo_settings() -> Settings {
    Settings::from_toml_str(DEMO_SETTINGS).unwrap()
}

/// The demo's document, with its settings changed by `configure`.
fn demo(name: &str, configure: impl FnOnce(&mut Settings)) -> Value {
    let mut settings = demo_settings();
    configure(&mut settings);
    checked(name, endpoints::app(settings).openapi())
}

/// Structural checks every document must pass (the standard validator runs in
/// scripts/test.sh), and the dump for it.
fn checked(name: &str, document: Value) -> Value {
    let version = document["openapi"].as_str().unwrap();
    assert!(version == "3.1.0" || version == "3.0.3", "{version}");
    assert!(document["info"]["title"].is_string() && document["info"]["version"].is_string());
    let mut ids = BTreeSet::new();
    for (path, path_item) in document["paths"].as_object().unwrap() {
        assert!(path.starts_with('/'), "{path}");
        let templated: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        for (method, operation) in path_item.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap();
            assert!(ids.insert(id.to_owned()), "operationId {id} twice");
            let empty = vec![];
            let parameters = operation["parameters"].as_array().unwrap_or(&empty);
            let in_path: BTreeSet<&str> = parameters
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            assert_eq!(in_path, templated, "{method} {path}: path parameters");
            for parameter in parameters {
                assert!(
                    parameter["schema"].is_object() || parameter["content"].is_object(),
                    "{parameter}"
                );
                assert!(["query", "path", "header", "cookie"].contains(&parameter["in"].as_str().unwrap()));
            }
            let responses = operation["responses"].as_object().unwrap();
            assert!(responses.contains_key("200"), "{method} {path}");
            for response in responses.values() {
                assert!(response["description"].is_string());
            }
        }
    }
    if version == "3.0.3" {
        assert_no_3_1_schema_keywords(&document);
    }
    if let Ok(dir) = std::env::var("OPENAPI_DUMP_DIR") {
        std::fs::create_dir_all(&dir).unwrap();
        let text = serde_json::to_string_pretty(&document).unwrap();
        std::fs::write(format!("{dir}/{name}.json"), text).unwrap();
    }
    document
}

fn assert_no_3_1_schema_keywords(value: &Value) {
    match value {
        Value::Object(fields) => {
            for (key, child) in fields {
                if key == "example" || key == "examples" {
                    continue;
                }
                match key.as_str() {
                    "type" => assert!(child.is_string() || child.is_object(), "type {child}"),
                    "exclusiveMinimum" | "exclusiveMaximum" if !child.is_object() => {
                        assert!(child.is_boolean(), "{key} {child}")
                    }
                    "const" | "prefixItems" | "$defs" | "$schema" => panic!("3.1 keyword {key} in 3.0"),
                    _ => {}
                }
                assert_no_3_1_schema_keywords(child);
            }
        }
        Value::Array(items) => items.iter().for_each(assert_no_3_1_schema_keywords),
        _ => {}
    }
}

fn param<'a>(operation: &'a Value, name: &str) -> &'a Value {
    operation["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == name))
        .unwrap_or_else(|| panic!("no parameter {name} in {operation}"))
}

fn examples(operation: &Value, status: &str) -> Vec<Value> {
    operation["responses"][status]["content"]["application/json"]["examples"]
        .as_object()
        .map(|examples| examples.values().map(|e| e["value"].clone()).collect())
        .unwrap_or_default()
}

/// The error codes among the simple-packed examples of a response.
fn error_codes(operation: &Value, status: &str) -> BTreeSet<i64> {
    examples(operation, status)
        .iter()
        .filter(|value| value["success"] == false)
        .map(|value| value["error"]["code"].as_i64().unwrap())
        .collect()
}

// ---- Inference from signatures and validators ----

/// Search things.
#[allow(clippy::too_many_arguments)] // Every kind of parameter, in one endpoint.
#[apiview]
#[allow_get]
#[requires(q)]
#[choices(q, ["a", "b"])]
#[between(size, 1, 50, include_max = false)]
#[string_length_limit(label, min_length = 1, max_length = 8)]
#[requires(any(phone, email))]
fn find(
    q: Option<String>,
    size: i32,
    page: Option<u32>,
    tags: Vec<String>,
    label: String,
    ratio: f64,
    flag: bool,
    extra: Value,
    phone: Option<String>,
    email: Option<String>,
    request: &ApiRequest,
) -> usize {
    let _ = (
        q, size, page, tags, label, ratio, flag, extra, phone, email, request,
    );
    0
}

/// Create a thing.
#[apiview(tag = "things", operation_id = "createThing")]
#[allow_post]
#[string_length_limit(name, max_length = 20)]
fn make(name: String, count: u8, profile: Option<Profile>) -> String {
    let _ = (count, profile);
    name
}

/// A user's profile.
#[derive(JsonSchema, serde::Deserialize)]
#[schemars(crate = "apiview::schemars")]
#[allow(dead_code)]
struct Profile {
    /// Shown instead of the name.
    nickname: Option<String>,
    age: u8,
    address: Address,
}

#[derive(JsonSchema, serde::Deserialize)]
#[schemars(crate = "apiview::schemars")]
#[allow(dead_code)]
struct Address {
    city: String,
}

/// One item.
#[apiview]
#[allow_get]
#[allow_delete]
fn item(id: u64) -> u64 {
    id
}

/// Within (0, 1).
#[apiview]
#[allow_get]
#[between(x, 0, 1, include_min = false, include_max = false)]
fn within(x: f64) -> f64 {
    x
}

/// Cached, and failing when the cache does.
#[apiview]
#[allow_get]
#[cache(key = "strict:{n}", ignore_errors = false)]
fn strict(n: i64) -> i64 {
    n
}

mod other {
    use apiview::prelude::*;

    /// The other module's `item`.
    #[apiview]
    #[allow_get]
    pub fn item() -> &'static str {
        "other"
    }
}

fn inference_app(extra: &str) -> App {
    App::new(Settings::from_toml_str(extra).unwrap())
        .model::<Profile>()
        .at("/search", find)
        .at("/create", make)
        .at("/items/:id", item)
        .at("/other/item", other::item)
        .at("/range", within)
        .at("/strict", strict)
}

// ---- Bad doc comments: the document stays valid ----

/// Only a summary, no separator.
/// And a description line; @parameter: not {{{ a block here }}}
#[apiview]
#[allow_get]
fn doc_no_separator() {}

#[doc = " Windows line endings.\r\n\r\n The description.\r\n\r\n --------\r\n @parameter: n {{{\r\n     in: query\r\n     type: integer\r\n }}}\r\n @response: 200 OK \"crlf\" {{{\r\n     1\r\n }}}"]
#[apiview]
#[allow_get]
fn doc_crlf(n: Option<i64>) -> i64 {
    n.unwrap_or(1)
}

///	Tabs everywhere.
///
///	--------
///	@parameter: t {{{
///		in: query
///		type: string
///		description: "tab\tinside"
///	}}}
///	@response: 200 OK "tabs" {{{
///		{"t": "x"}
///	}}}
#[apiview]
#[allow_get]
fn doc_tabs(t: Option<String>) -> Option<String> {
    t
}

/// 中文摘要：返回问候语。
///
/// 详细说明：名字不能超过十个字符。
///
/// --------
/// @parameter: 名字 {{{
///     in: query
///     description: "用户的名字"
///     example: "张三"
/// }}}
/// @response: 200 OK "正确的响应" {{{
///     "你好，张三"
/// }}}
/// @response: 200 ERROR "名字太长" {{{
///     {"code": 1001060005, "message": "参数字符数过多，最高限定为：10。"}
/// }}}
#[apiview]
#[allow_get]
fn doc_chinese() -> &'static str {
    "你好"
}

/// Braces in YAML strings.
///
/// --------
/// @parameter: q {{{
///     in: query
///     description: "write {{{ and }}} freely"
///     example: "{{{"
/// }}}
/// @response: 200 OK "braces {{{" {{{
///     "{{{ not a block }}}"
/// }}}
#[apiview]
#[allow_get]
fn doc_braces(q: Option<String>) -> Option<String> {
    q
}

/// Empty blocks.
///
/// --------
/// @response: 200 OK "nothing" {{{
/// }}}
/// @response: 404 OK "" {{{
///
/// }}}
#[apiview]
#[allow_post]
fn doc_empty() {}

// What is tested: a doc comment with no text.
#[allow(clippy::empty_docs)]
mod blank {
    use apiview::prelude::*;

    ///
    #[apiview]
    #[allow_get]
    pub fn doc_blank() {}
}

fn bad_docs_app(extra: &str) -> App {
    App::new(Settings::from_toml_str(extra).unwrap())
        .at("/no_separator", doc_no_separator)
        .at("/crlf", doc_crlf)
        .at("/tabs", doc_tabs)
        .at("/chinese", doc_chinese)
        .at("/braces", doc_braces)
        .at("/empty", doc_empty)
        .at("/blank_doc", blank::doc_blank)
}
