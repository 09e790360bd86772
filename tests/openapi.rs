//! The OpenAPI document: the demo's, golden-ish (operations, parameters completed
//! and inferred from the code, responses packed by each packer, implied errors with
//! their codes, the 3.0 variant), bad doc comments that still give a valid
//! document, models, and the routes serving the document and the Swagger UI.
//!
//! With `OPENAPI_DUMP_DIR=DIR` (not an `APIVIEW_` name: settings read those), every
//! document checked here is also written to `DIR/NAME.json`, for `scripts/test.sh`
//! to run a standard validator on.

mod common;

#[path = "../examples/demo/endpoints.rs"]
mod endpoints;

use std::collections::BTreeSet;

use apiview::prelude::*;
use apiview::schemars::JsonSchema;
use apiview::settings::HttpStatusMode;
use apiview::Language;
use serde_json::{json, Value};

const DEMO_SETTINGS: &str = include_str!("../apiview.toml");

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

#[test]
fn demo_operations_follow_the_allow_lists() {
    let document = demo("demo-3.1", |_| {});
    assert_eq!(document["openapi"], "3.1.0");
    let operations: Vec<(String, Vec<String>)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(path, methods)| {
            (
                path.clone(),
                methods.as_object().unwrap().keys().cloned().collect(),
            )
        })
        .collect();
    let both = || vec!["get".to_owned(), "post".to_owned()];
    let expected: Vec<(String, Vec<String>)> = [
        ("/ping", vec!["get".to_owned()]),
        ("/echo", vec!["post".to_owned()]),
        ("/add", both()),
        ("/pick", both()),
        ("/secure", both()),
        ("/only_get", vec!["get".to_owned()]),
        ("/boom", both()),
        ("/whoami", both()),
        ("/body", both()),
        ("/cached_add", both()),
        ("/note_get", vec!["get".to_owned()]),
        ("/note_set", vec!["post".to_owned()]),
    ]
    .into_iter()
    .map(|(path, methods)| (path.to_owned(), methods))
    .collect();
    assert_eq!(operations, expected);
    let ping = &document["paths"]["/ping"]["get"];
    assert_eq!(ping["operationId"], "ping");
    assert_eq!(ping["summary"], "Always returns \"pong\".");
    assert_eq!(ping["tags"], json!(["openapi::endpoints"]));
    assert!(ping.get("parameters").is_none() && ping.get("requestBody").is_none());
    let add = &document["paths"]["/add"];
    assert_eq!(
        (&add["get"]["operationId"], &add["post"]["operationId"]),
        (&json!("add_get"), &json!("add_post"))
    );
    assert_eq!(
        add["get"]["description"],
        "`a` must be within [0, 100]; `b` is any 64-bit integer."
    );
    assert_eq!(document["tags"], json!([{"name": "openapi::endpoints"}]));
    assert_eq!(document["info"], json!({"title": "apiview", "version": "0.1.0"}));
    assert_eq!(document["servers"], json!([{"url": "/"}]));
}

#[test]
fn documented_parameters_are_completed_from_the_code() {
    let document = demo("demo-params", |_| {});
    let paths = &document["paths"];
    // `between(a, 0, 100)` and the type, added to what the doc says.
    let a = param(&paths["/add"]["get"], "a");
    assert_eq!(
        a,
        &json!({"name": "a", "in": "query", "required": true, "example": 1,
                "schema": {"type": "integer", "format": "int64", "minimum": 0, "maximum": 100}})
    );
    // Documented as query on POST too: it stays there.
    assert_eq!(param(&paths["/add"]["post"], "a"), a);
    assert_eq!(
        param(&paths["/pick"]["get"], "op")["schema"],
        json!({"type": "string", "enum": ["add", "sub"]})
    );
    assert_eq!(param(&paths["/secure"]["get"], "aclkey")["in"], "header");
    assert_eq!(param(&paths["/whoami"]["get"], "uid")["in"], "cookie");
    // Not documented: `#[meta_variable(agent, "HTTP_USER_AGENT")]`.
    assert_eq!(
        param(&paths["/whoami"]["get"], "user-agent"),
        &json!({"name": "user-agent", "in": "header", "required": false, "schema": {"type": "string"}})
    );
    assert_eq!(
        param(&paths["/note_get"]["get"], "name"),
        &json!({"name": "name", "in": "query", "required": true, "schema": {"type": "string"}})
    );
}

#[test]
fn request_bodies_come_from_the_doc_and_the_code() {
    let document = demo("demo-bodies", |_| {});
    let paths = &document["paths"];
    // `in: body` without a schema: the fields the code reads, with the validators'
    // limits, and the doc's example.
    assert_eq!(
        paths["/echo"]["post"]["requestBody"],
        json!({"required": true, "content": {"application/json": {
            "schema": {"type": "object", "properties": {"msg": {"type": "string", "minLength": 2, "maxLength": 4096}}, "required": ["msg"]},
            "example": {"msg": "测试的字符串"},
        }}})
    );
    // `schema: {$ref: Note}` gets its prefix; the model is in the components.
    let note_set = &paths["/note_set"]["post"]["requestBody"]["content"]["application/json"];
    assert_eq!(note_set["schema"], json!({"$ref": "#/components/schemas/Note"}));
    let note = &document["components"]["schemas"]["Note"];
    assert_eq!(note["required"], json!(["name", "text"]));
    assert_eq!(note["properties"]["text"]["maxLength"], 4096);
    // `body_alias`: the whole body, any JSON.
    assert_eq!(
        paths["/body"]["post"]["requestBody"]["content"]["application/json"]["schema"],
        json!({})
    );
    assert!(paths["/body"]["get"].get("requestBody").is_none());
}

#[test]
fn responses_are_packed_by_the_endpoints_packer() {
    let simple = demo("demo-simple", |_| {});
    let ping = &simple["paths"]["/ping"]["get"];
    assert_eq!(
        ping["responses"]["200"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/SimpleEnvelope"})
    );
    assert_eq!(
        simple["components"]["schemas"]["SimpleEnvelope"]["required"],
        json!(["success"])
    );
    assert_eq!(
        examples(ping, "200")[0],
        json!({"success": true, "result": "pong"})
    );
    let echo = examples(&simple["paths"]["/echo"]["post"], "200");
    assert_eq!(echo[0], json!({"success": true, "result": "测试的字符串"}));
    // An ERROR block is packed with pack_error.
    let boom = examples(&simple["paths"]["/boom"]["get"], "200");
    assert_eq!(
        boom[0],
        json!({"success": false, "error": {"code": SYS_ERROR, "message": "System Error"}})
    );

    let deetr = demo("demo-deetr", |s| s.packer = "deetr".into());
    let ping = examples(&deetr["paths"]["/ping"]["get"], "200");
    assert_eq!(
        (&ping[0]["data"], &ping[0]["errcode"], &ping[0]["errmsg"]),
        (&json!("pong"), &json!(0), &json!("OK"))
    );
    assert_eq!(ping[0]["reqid"].as_str().unwrap().len(), 32);
    assert_eq!(
        ping[0]["time"].as_str().unwrap().len(),
        "2026-11-22 14:03:09".len()
    );
    let secure = examples(&deetr["paths"]["/secure"]["get"], "200");
    assert!(secure
        .iter()
        .any(|e| e["errcode"] == APP_AUTH_FAILED && e["data"].is_null()));
    assert!(deetr["components"]["schemas"]["DeetrEnvelope"].is_object());

    let dmrs = demo("demo-dmrs", |s| s.packer = "dmrs".into());
    let ping = examples(&dmrs["paths"]["/ping"]["get"], "200");
    assert_eq!(
        ping[0],
        json!({"data": "pong", "message": "OK", "returnCode": 0, "successSign": true})
    );
    let add = examples(&dmrs["paths"]["/add"]["get"], "200");
    assert!(add.contains(&json!({"data": null, "message": "Bad parameter: a.", "returnCode": BAD_PARAMETER, "successSign": false})));
}

#[test]
fn every_error_the_helpers_raise_is_an_example_with_its_code() {
    // What any operation taking a body can answer: a malformed JSON or form body, a
    // body over the limit (the form and the limit found by scripts/fuzz-http.sh).
    const BODY_ERRORS: [i64; 3] = [PARSE_JSON_ERROR, BAD_PARAMETER, TOO_LARGE_REQUEST_ERROR];
    let document = demo("demo-errors", |_| {});
    let paths = &document["paths"];
    let always = [NOT_SUPPORTED_HTTP_METHOD, SYS_ERROR];
    let with = |codes: &[i64]| codes.iter().chain(&always).copied().collect::<BTreeSet<_>>();
    assert_eq!(error_codes(&paths["/ping"]["get"], "200"), with(&[]));
    assert_eq!(
        error_codes(&paths["/echo"]["post"], "200"),
        with(&[
            MISSING_PARAMETER,
            BAD_PARAMETER_TYPE,
            STRING_TOO_SHORT,
            STRING_TOO_LONG,
            BODY_ERRORS[0],
            BODY_ERRORS[1],
            BODY_ERRORS[2],
        ])
    );
    // A GET reads fields from a body too: its body errors are answered as well.
    assert_eq!(
        error_codes(&paths["/add"]["get"], "200"),
        with(&[
            MISSING_PARAMETER,
            BAD_PARAMETER_TYPE,
            BAD_PARAMETER,
            PARSE_JSON_ERROR,
            TOO_LARGE_REQUEST_ERROR
        ])
    );
    assert_eq!(
        error_codes(&paths["/pick"]["get"], "200"),
        // A string parameter too: `?op=a&op=b` or `{"op": {}}` is not a string
        // (found by scripts/fuzz-http.sh).
        with(&[
            MISSING_PARAMETER,
            BAD_PARAMETER_TYPE,
            BAD_PARAMETER,
            PARSE_JSON_ERROR,
            TOO_LARGE_REQUEST_ERROR
        ])
    );
    assert_eq!(
        error_codes(&paths["/secure"]["get"], "200"),
        with(&[
            MISSING_PARAMETER,
            APP_AUTH_FAILED,
            BODY_ERRORS[0],
            BODY_ERRORS[1],
            BODY_ERRORS[2]
        ])
    );
    assert_eq!(
        error_codes(&paths["/note_set"]["post"], "200"),
        with(&[
            MISSING_PARAMETER,
            BAD_PARAMETER_TYPE,
            STRING_TOO_LONG,
            BODY_ERRORS[0],
            BODY_ERRORS[1],
            BODY_ERRORS[2],
        ])
    );
    // The documented SysError is not repeated.
    assert_eq!(examples(&paths["/boom"]["get"], "200").len(), 2);
    let echo = &paths["/echo"]["post"]["responses"]["200"]["content"]["application/json"]["examples"];
    assert_eq!(
        echo["StringTooShort (msg)"],
        json!({"summary": "StringTooShort 1001060004: String shorter than 2.",
               "value": {"success": false, "error": {"code": STRING_TOO_SHORT, "message": "String shorter than 2."}}})
    );
    assert_eq!(
        echo["MissingParameter (msg)"]["value"]["error"]["message"],
        "Missing parameter: msg."
    );
}

#[test]
fn semantic_statuses_and_languages() {
    let document = demo("demo-semantic", |s| {
        s.http_status = HttpStatusMode::Semantic;
        s.language = Language::ZhHans;
    });
    let echo = &document["paths"]["/echo"]["post"];
    assert_eq!(
        echo["responses"].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["200", "400", "405", "413", "500"]
    );
    assert_eq!(error_codes(echo, "200"), BTreeSet::new());
    assert_eq!(
        error_codes(echo, "400"),
        [
            MISSING_PARAMETER,
            BAD_PARAMETER,
            BAD_PARAMETER_TYPE,
            STRING_TOO_SHORT,
            STRING_TOO_LONG,
            PARSE_JSON_ERROR
        ]
        .into()
    );
    assert_eq!(error_codes(echo, "405"), [NOT_SUPPORTED_HTTP_METHOD].into());
    assert_eq!(error_codes(echo, "413"), [TOO_LARGE_REQUEST_ERROR].into());
    assert!(examples(echo, "400")
        .iter()
        .any(|e| e["error"]["message"] == "必要参数缺失：msg。"));
    let secure = &document["paths"]["/secure"]["get"];
    assert_eq!(error_codes(secure, "403"), [APP_AUTH_FAILED].into());
}

#[test]
fn openapi_3_0_variant() {
    let document = demo("demo-3.0", |s| s.swagger.openapi_version = "3.0".into());
    assert_eq!(document["openapi"], "3.0.3");
    // The same operations and inferred constraints.
    assert_eq!(
        param(&document["paths"]["/add"]["get"], "a")["schema"]["maximum"],
        100
    );
    assert_eq!(
        examples(&document["paths"]["/ping"]["get"], "200")[0],
        json!({"success": true, "result": "pong"})
    );
    let app = App::new(Settings::from_toml_str("[swagger]\nopenapi_version = '3.0'").unwrap())
        .model::<Profile>()
        .at("/range", within);
    let document = checked("models-3.0", app.openapi());
    let schemas = &document["components"]["schemas"];
    assert_eq!(
        schemas["Profile"]["properties"]["nickname"],
        json!({"type": "string", "nullable": true, "description": "Shown instead of the name."})
    );
    assert_eq!(
        param(&document["paths"]["/range"]["get"], "x")["schema"],
        json!({"type": "number", "format": "double", "minimum": 0, "exclusiveMinimum": true, "maximum": 1, "exclusiveMaximum": true})
    );
}

#[test]
fn info_and_servers_from_settings() {
    let document = demo("demo-info", |s| {
        let swagger = &mut s.swagger;
        swagger.title = "Demo API".into();
        swagger.description = "Every feature.".into();
        swagger.version = "2.1.0".into();
        swagger.terms_of_service = "https://example.invalid/terms".into();
        swagger.contact_email = "api@example.invalid".into();
        swagger.api_host = "https://api.example.invalid".into();
        swagger.api_basepath = "/v2".into();
    });
    assert_eq!(
        document["info"],
        json!({"title": "Demo API", "description": "Every feature.", "termsOfService": "https://example.invalid/terms",
               "contact": {"email": "api@example.invalid"}, "version": "2.1.0"})
    );
    assert_eq!(
        document["servers"],
        json!([{"url": "https://api.example.invalid/v2"}])
    );
}

#[test]
fn a_settings_file_without_swagger_section() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("apiview.toml");
    std::fs::write(&path, "packer = \"dmrs\"\n").unwrap();
    let app = endpoints::app(Settings::from_file(&path).unwrap());
    let document = checked("no-swagger-section", app.openapi());
    assert_eq!(document["info"], json!({"title": "apiview", "version": "0.1.0"}));
    assert!(document["components"]["schemas"]["DmrsEnvelope"].is_object());
}

/// `APIVIEW_SWAGGER__OPENAPI_VERSION=3.0` reaches the settings as the float 3.0
/// (the environment's values are parsed), and so does an unquoted `3.0` in the file.
#[test]
fn openapi_version_may_be_written_as_a_number() {
    let settings = Settings::from_toml_str("[swagger]\nopenapi_version = 3.0\nversion = 2").unwrap();
    assert_eq!(
        (
            settings.swagger.openapi_version.as_str(),
            settings.swagger.version.as_str()
        ),
        ("3.0", "2")
    );
    assert_eq!(App::new(settings).openapi()["openapi"], "3.0.3");
    let err = Settings::from_toml_str("[swagger]\nopenapi_version = 3.2")
        .err()
        .unwrap();
    assert!(err.to_string().contains("swagger.openapi_version"), "{err}");
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

#[test]
fn get_parameters_are_inferred_into_the_query() {
    let document = checked("inference-3.1", inference_app("").openapi());
    let search = &document["paths"]["/search"]["get"];
    let names: Vec<&str> = search["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["q", "size", "page", "tags", "label", "ratio", "flag", "extra", "phone", "email"]
    );
    assert!(search["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["in"] == "query"));
    assert_eq!(
        param(search, "q"),
        &json!({"name": "q", "in": "query", "required": true, "schema": {"type": "string", "enum": ["a", "b"]}})
    );
    assert_eq!(
        param(search, "size")["schema"],
        json!({"type": "integer", "format": "int32", "minimum": 1, "exclusiveMaximum": 50})
    );
    assert_eq!(param(search, "size")["required"], true);
    assert_eq!(param(search, "page")["required"], false);
    assert_eq!(
        param(search, "page")["schema"],
        json!({"type": "integer", "format": "int64", "minimum": 0})
    );
    assert_eq!(
        param(search, "tags")["schema"],
        json!({"type": "array", "items": {"type": "string"}})
    );
    assert_eq!(
        param(search, "label")["schema"],
        json!({"type": "string", "minLength": 1, "maxLength": 8})
    );
    assert_eq!(
        param(search, "ratio")["schema"],
        json!({"type": "number", "format": "double"})
    );
    assert_eq!(param(search, "flag")["schema"], json!({"type": "boolean"}));
    assert_eq!(param(search, "extra")["schema"], json!({}));
    assert_eq!(
        param(search, "phone")["description"],
        "At least one of `phone`, `email` is required."
    );
    assert_eq!(param(search, "phone")["required"], false);
    assert_eq!(
        error_codes(search, "200"),
        [
            MISSING_PARAMETER,
            BAD_PARAMETER_TYPE,
            BAD_PARAMETER,
            STRING_TOO_SHORT,
            STRING_TOO_LONG,
            NOT_SUPPORTED_HTTP_METHOD,
            SYS_ERROR,
            PARSE_JSON_ERROR,
            TOO_LARGE_REQUEST_ERROR,
        ]
        .into()
    );
}

#[test]
fn post_only_fields_are_a_request_body() {
    let document = checked("inference-body", inference_app("").openapi());
    let create = &document["paths"]["/create"]["post"];
    assert_eq!(create["operationId"], "createThing");
    assert_eq!(create["tags"], json!(["things"]));
    assert!(create.get("parameters").is_none());
    let object = json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 20},
            "count": {"type": "integer", "format": "int32", "minimum": 0},
            "profile": {"$ref": "#/components/schemas/Profile"},
        },
        "required": ["name", "count"],
    });
    assert_eq!(
        create["requestBody"],
        json!({"required": true, "content": {
            "application/json": {"schema": object},
            "application/x-www-form-urlencoded": {"schema": object},
        }})
    );
    let tags: Vec<&str> = document["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["openapi", "things", "openapi::other"]);
}

#[test]
fn paths_operation_ids_and_cache_errors() {
    let document = checked("inference-paths", inference_app("").openapi());
    let items = &document["paths"]["/items/{id}"];
    assert_eq!(
        param(&items["get"], "id"),
        &json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0}})
    );
    assert_eq!(
        (&items["get"]["operationId"], &items["delete"]["operationId"]),
        (&json!("item_get"), &json!("item_delete"))
    );
    // Another function named `item`: its id is made unique.
    assert_eq!(document["paths"]["/other/item"]["get"]["operationId"], "item");
    assert!(error_codes(&document["paths"]["/strict"]["get"], "200").contains(&CACHE_ERROR));
    assert!(!error_codes(&document["paths"]["/range"]["get"], "200").contains(&CACHE_ERROR));
}

#[test]
fn models_land_in_components() {
    let document = checked("models-3.1", inference_app("").openapi());
    let schemas = &document["components"]["schemas"];
    let profile = &schemas["Profile"];
    assert_eq!(profile["description"], "A user's profile.");
    assert_eq!(
        profile["properties"]["nickname"]["type"],
        json!(["string", "null"])
    );
    assert_eq!(
        profile["properties"]["address"],
        json!({"$ref": "#/components/schemas/Address"})
    );
    assert_eq!(profile["required"], json!(["age", "address"]));
    assert_eq!(schemas["Address"]["required"], json!(["city"]));
    let range = &document["paths"]["/range"]["get"];
    assert_eq!(
        param(range, "x")["schema"],
        json!({"type": "number", "format": "double", "exclusiveMinimum": 0, "exclusiveMaximum": 1})
    );
}

#[test]
fn the_safe_packer_is_documented_without_client_keys() {
    let document = checked("safe", inference_app("packer = 'safe'").openapi());
    let schemas = &document["components"]["schemas"];
    assert_eq!(
        schemas["SafeEnvelope"]["required"],
        json!(["encryptedPassword", "encryptedData"])
    );
    let examples =
        &document["paths"]["/search"]["get"]["responses"]["200"]["content"]["application/json"]["examples"];
    let sys = &examples["SysError"];
    assert!(
        sys["summary"]
            .as_str()
            .unwrap()
            .contains("before the packer encrypts it"),
        "{sys}"
    );
    assert_eq!(sys["value"]["error"]["code"], SYS_ERROR);
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

#[test]
fn bad_doc_comments_still_give_a_valid_document() {
    for (name, extra) in [
        ("bad-docs-3.1", ""),
        ("bad-docs-3.0", "[swagger]\nopenapi_version = '3.0'"),
    ] {
        let document = checked(name, bad_docs_app(extra).openapi());
        let paths = &document["paths"];
        let no_separator = &paths["/no_separator"]["get"];
        assert_eq!(no_separator["summary"], "Only a summary, no separator.");
        assert_eq!(
            no_separator["description"],
            "And a description line; @parameter: not {{{ a block here }}}"
        );
        assert!(no_separator.get("parameters").is_none());

        let crlf = &paths["/crlf"]["get"];
        assert_eq!(
            (&crlf["summary"], &crlf["description"]),
            (&json!("Windows line endings."), &json!("The description."))
        );
        assert_eq!(
            param(crlf, "n")["schema"],
            json!({"type": "integer", "format": "int64"})
        );
        assert_eq!(examples(crlf, "200")[0], json!({"success": true, "result": 1}));

        let tabs = &paths["/tabs"]["get"];
        assert_eq!(tabs["summary"], "Tabs everywhere.");
        assert_eq!(param(tabs, "t")["description"], "tab\tinside");
        assert_eq!(
            examples(tabs, "200")[0],
            json!({"success": true, "result": {"t": "x"}})
        );

        let chinese = &paths["/chinese"]["get"];
        assert_eq!(chinese["summary"], "中文摘要：返回问候语。");
        assert_eq!(chinese["description"], "详细说明：名字不能超过十个字符。");
        assert_eq!(
            param(chinese, "名字"),
            &json!({"name": "名字", "in": "query", "description": "用户的名字", "required": false, "example": "张三", "schema": {}})
        );
        let values = examples(chinese, "200");
        assert_eq!(values[0], json!({"success": true, "result": "你好，张三"}));
        assert_eq!(
            values[1]["error"],
            json!({"code": STRING_TOO_LONG, "message": "参数字符数过多，最高限定为：10。"})
        );

        let braces = &paths["/braces"]["get"];
        assert_eq!(param(braces, "q")["description"], "write {{{ and }}} freely");
        assert_eq!(param(braces, "q")["example"], "{{{");
        assert_eq!(examples(braces, "200")[0]["result"], "{{{ not a block }}}");
        assert_eq!(
            braces["responses"]["200"]["description"],
            "braces {{{, or an error packed the same way (see the examples)"
        );

        let empty = &paths["/empty"]["post"];
        assert_eq!(
            examples(empty, "200")[0],
            json!({"success": true, "result": null})
        );
        assert_eq!(empty["responses"]["404"]["description"], "Not Found");
        assert!(empty.get("requestBody").is_none());

        let blank = &paths["/blank_doc"]["get"];
        assert!(blank.get("summary").is_none() && blank.get("description").is_none());
    }
}

// ---- The routes ----

#[tokio::test]
async fn the_ui_the_meta_and_the_document_are_served() {
    let app = endpoints::app(demo_settings());
    let document = app.openapi();
    let server = common::serve(app).await;
    let get = |path: &str| server.client.get(server.url(path)).send();

    let served = get("/apiview/openapi.json").await.unwrap();
    assert_eq!(
        served.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    assert_eq!(served.json::<Value>().await.unwrap(), document);
    // django-apiview's name for the document, which existing tooling fetches.
    let served = get("/apiview/swagger-ui-meta.json").await.unwrap();
    assert_eq!(
        served.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    assert_eq!(served.json::<Value>().await.unwrap(), document);
    let meta: Value = get("/apiview/swagger-ui-config.json")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["url"], "openapi.json");
    assert_eq!(meta["title"], "apiview");

    let page = get("/apiview/swagger-ui.html").await.unwrap();
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let page = page.text().await.unwrap();
    assert!(
        page.contains("<title>apiview</title>") && page.contains("configUrl: \"swagger-ui-config.json\"")
    );
    for asset in ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"] {
        assert!(page.contains(asset), "{asset}");
        let answer = get(&format!("/apiview/{asset}")).await.unwrap();
        assert_eq!(answer.status(), 200, "{asset}");
        assert!(answer.bytes().await.unwrap().len() > 500, "{asset}");
    }
    for (path, status) in [
        ("/apiview/nope.js", 404),
        ("/apiview/index.html", 404),
        ("/apiview/swagger-initializer.js", 404),
        ("/apiview/../Cargo.toml", 404),
    ] {
        assert_eq!(get(path).await.unwrap().status(), status, "{path}");
    }
    let posted = server
        .client
        .post(server.url("/apiview/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 405);
    // The endpoints are untouched.
    let ping: Value = get("/ping").await.unwrap().json().await.unwrap();
    assert_eq!(ping, json!({"success": true, "result": "pong"}));
}

#[tokio::test]
async fn the_mount_comes_from_settings_and_works_nested() {
    let app = App::new(Settings::from_toml_str("[swagger]\nmount = 'docs'\ntitle = '<Shop & co>'").unwrap())
        .at("/ping", endpoints::ping)
        .swagger();
    let route = poem::Route::new().nest("/api", app.into_endpoint());
    let server = common::serve_endpoint(route).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let document: Value = client
        .get(server.url("/api/docs/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(document["info"]["title"], "<Shop & co>");
    assert!(document["paths"]["/ping"].is_object());
    let page = client
        .get(server.url("/api/docs/swagger-ui.html"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<title>&lt;Shop &amp; co&gt;</title>"));
    for (path, location) in [
        ("/api/docs", "docs/swagger-ui.html"),
        ("/api/docs/", "swagger-ui.html"),
    ] {
        let answer = client.get(server.url(path)).send().await.unwrap();
        assert_eq!(
            (
                answer.status().as_u16(),
                answer.headers()["location"].to_str().unwrap()
            ),
            (302, location)
        );
    }
    assert_eq!(
        client
            .get(server.url("/apiview/openapi.json"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[test]
fn a_path_taken_twice_is_an_error() {
    #[apiview]
    fn clash() {}
    let err = App::new(Settings::default())
        .swagger()
        .at("/apiview/*file", clash)
        .try_into_endpoint()
        .err()
        .unwrap();
    assert!(err.to_string().contains("/apiview/*file"), "{err}");
}

/// In semantic mode, every status an operation of the demo answers is one its
/// document lists (issue 12): each operation is sent what a careless or hostile
/// client sends — nothing, text for numbers, broken and oversized bodies, wrong keys —
/// over real HTTP, and the statuses that come back are compared with its responses.
#[tokio::test]
async fn semantic_mode_documents_every_status_an_operation_answers() {
    let mut settings = demo_settings();
    settings.http_status = HttpStatusMode::Semantic;
    settings.body_limit = 64;
    let document = endpoints::app(settings.clone()).openapi();
    let server = common::serve(endpoints::app(settings)).await;
    let json = "application/json";
    let form = "application/x-www-form-urlencoded";
    let requests: [(&str, &str, &str); 8] = [
        ("", json, ""),
        ("?a=x&b=y&op=mul&n=x&name=&text=", json, ""),
        ("?aclkey=wrong", json, ""),
        ("", json, "{\"a\": "),
        (
            "",
            json,
            "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22]",
        ),
        ("", json, "{\"msg\": false, \"a\": 1e999}"),
        ("", form, "msg=%FF&a=%FE"),
        ("", "multipart/form-data; boundary=x", "--x\r\nbroken"),
    ];
    let mut checked_statuses = 0;
    for (path, path_item) in document["paths"].as_object().unwrap() {
        for (method, operation) in path_item.as_object().unwrap() {
            let documented: BTreeSet<u16> = operation["responses"]
                .as_object()
                .unwrap()
                .keys()
                .map(|status| status.parse().unwrap())
                .collect();
            for (query, content_type, body) in requests {
                let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                let answer = server
                    .client
                    .request(method.clone(), server.url(&format!("{path}{query}")))
                    .header("content-type", content_type)
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let status = answer.status().as_u16();
                assert!(
                    documented.contains(&status),
                    "{method} {path}{query} with {body:?} answered {status}, documented {documented:?}: {}",
                    answer.text().await.unwrap()
                );
                checked_statuses += 1;
            }
        }
    }
    assert!(checked_statuses > 80, "{checked_statuses}");
}
