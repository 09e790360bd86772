//! DESIGN §17: the document tells clients the types. The success envelope carries
//! the schema of the return type, the error envelope the codes the endpoint can
//! raise, and `aclkey` is a security scheme; checked on the served document.

use std::collections::BTreeMap;

use super::*;

/// A stored note.
#[derive(JsonSchema, serde::Serialize)]
#[schemars(crate = "apiview::schemars")]
struct Stored {
    name: String,
    size: u64,
}

/// Has no schema: the endpoint compiles all the same, its result is `{}`.
struct Opaque;

impl serde::Serialize for Opaque {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("opaque")
    }
}

/// A struct, never registered with `App::model`.
#[apiview]
#[allow_get]
fn stored() -> Stored {
    Stored {
        name: "a".into(),
        size: 1,
    }
}

/// `Result<T, E>` documents `T`.
#[apiview]
#[allow_get]
fn maybe_stored() -> Result<Vec<Stored>, BizError> {
    Ok(Vec::new())
}

/// No schema.
#[apiview]
#[allow_get]
fn opaque() -> Opaque {
    Opaque
}

/// Optional text, a map, nothing.
#[apiview]
#[allow_get]
fn text() -> Option<String> {
    None
}

/// A map.
#[apiview]
#[allow_get]
fn counts() -> BTreeMap<String, u32> {
    BTreeMap::new()
}

/// Nothing.
#[apiview]
#[allow_get]
fn nothing() {}

/// The success schema of the 200 response of `GET path` (or `method`).
fn result_schema<'a>(document: &'a Value, path: &str, method: &str) -> &'a Value {
    let schema =
        &document["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(
        schema["allOf"][0]["$ref"], "#/components/schemas/SimpleEnvelope",
        "{schema}"
    );
    &schema["allOf"][1]["properties"]["result"]
}

/// The codes the `status` response of `path` lists.
fn code_enum(document: &Value, path: &str, method: &str, status: &str) -> BTreeSet<i64> {
    let schema =
        &document["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"];
    known_codes(&schema["allOf"][1]["properties"]["error"]["properties"]["code"]).0
}

/// The codes a code schema lists, and whether it is open: `{"enum": [..]}`, or
/// `{"anyOf": [{"enum": [..]}, {"type": "integer"}]}` for an endpoint whose own code
/// may answer codes of its own.
fn known_codes(code: &Value) -> (BTreeSet<i64>, bool) {
    let (listed, open) = match code.get("anyOf") {
        Some(any) => {
            assert_eq!(any[1], json!({"type": "integer"}), "{code}");
            (&any[0], true)
        }
        None => (code, false),
    };
    let codes = listed["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("no code enum in {code}"))
        .iter()
        .map(|code| code.as_i64().unwrap())
        .collect();
    (codes, open)
}

async fn served(name: &str, app: App) -> Value {
    let server = common::serve(app).await;
    let document = server.get_json("/apiview/openapi.json").await;
    checked(name, document)
}

fn typed_app(settings: Settings) -> App {
    endpoints::app(settings)
        .at("/stored", stored)
        .at("/maybe-stored", maybe_stored)
        .at("/opaque", opaque)
        .at("/text", text)
        .at("/counts", counts)
        .at("/nothing", nothing)
}

#[tokio::test]
async fn results_are_typed_from_the_return_types() {
    let document = served("typed-results", typed_app(demo_settings())).await;
    // apiview::Result<i64> documents i64.
    assert_eq!(result_schema(&document, "/add", "get")["type"], "integer");
    assert_eq!(result_schema(&document, "/ping", "get")["type"], "string");
    // A struct lands in components by itself.
    assert_eq!(
        result_schema(&document, "/stored", "get"),
        &json!({"$ref": "#/components/schemas/Stored"})
    );
    let model = &document["components"]["schemas"]["Stored"];
    assert_eq!(model["required"], json!(["name", "size"]));
    assert_eq!(model["properties"]["size"]["type"], "integer");
    let many = result_schema(&document, "/maybe-stored", "get");
    assert_eq!(many["type"], "array");
    assert_eq!(many["items"]["$ref"], "#/components/schemas/Stored");
    // No schema: `{}`, so the envelope's result is left as it is.
    assert!(result_schema(&document, "/opaque", "get").is_null());
    assert_eq!(
        result_schema(&document, "/text", "get")["type"],
        json!(["string", "null"])
    );
    assert_eq!(
        result_schema(&document, "/counts", "get")["additionalProperties"]["type"],
        "integer"
    );
    assert_eq!(result_schema(&document, "/nothing", "get")["type"], "null");
}

#[tokio::test]
async fn error_codes_are_an_enum_per_endpoint() {
    let document = served("typed-codes", typed_app(demo_settings())).await;
    // BadParameter: the API version the demo reads from `Accept-Version` (DESIGN §16).
    assert_eq!(
        code_enum(&document, "/ping", "get", "200"),
        [BAD_PARAMETER, NOT_SUPPORTED_HTTP_METHOD, SYS_ERROR].into()
    );
    assert_eq!(
        code_enum(&document, "/add", "get", "200"),
        // It reads fields from a body too: the body's errors are its own.
        [
            MISSING_PARAMETER,
            BAD_PARAMETER_TYPE,
            BAD_PARAMETER,
            NOT_SUPPORTED_HTTP_METHOD,
            PARSE_JSON_ERROR,
            TOO_LARGE_REQUEST_ERROR,
            SYS_ERROR
        ]
        .into()
    );
    let secure = code_enum(&document, "/secure", "get", "200");
    assert!(secure.contains(&APP_AUTH_FAILED) && secure.contains(&MISSING_PARAMETER));
    // A body: its parse and size errors.
    let echo = code_enum(&document, "/echo", "post", "200");
    for code in [
        PARSE_JSON_ERROR,
        TOO_LARGE_REQUEST_ERROR,
        STRING_TOO_SHORT,
        STRING_TOO_LONG,
    ] {
        assert!(echo.contains(&code), "{code} in {echo:?}");
    }
    // A code declared in an @response block.
    assert!(code_enum(&document, "/boom", "get", "200").contains(&SYS_ERROR));
    assert!(!code_enum(&document, "/ping", "get", "200").contains(&APP_AUTH_FAILED));

    // Semantic mode: each status lists its own.
    let mut settings = demo_settings();
    settings.http_status = HttpStatusMode::Semantic;
    let document = demo("typed-semantic", |s| *s = settings);
    assert_eq!(
        code_enum(&document, "/echo", "post", "405"),
        [NOT_SUPPORTED_HTTP_METHOD].into()
    );
    assert_eq!(
        code_enum(&document, "/echo", "post", "413"),
        [TOO_LARGE_REQUEST_ERROR].into()
    );
    assert_eq!(code_enum(&document, "/echo", "post", "500"), [SYS_ERROR].into());
    assert!(code_enum(&document, "/echo", "post", "400").contains(&MISSING_PARAMETER));
}

#[test]
fn other_packers_are_typed_where_they_put_the_result() {
    let document = demo("typed-deetr", |s| s.packer = "deetr".into());
    let schema =
        &document["paths"]["/add"]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(schema["allOf"][1]["properties"]["data"]["type"], "integer");
    // A result carries errcode 0: it is in the enum with the error codes.
    let (codes, _) = known_codes(&schema["allOf"][1]["properties"]["errcode"]);
    assert!(codes.contains(&0) && codes.contains(&SYS_ERROR), "{codes:?}");
}

/// An endpoint whose function returns a `Result` may answer codes the document
/// cannot know: its enum is open (any other integer too), so a generated client that
/// checks the enum does not refuse them; an endpoint that cannot keeps it closed.
#[test]
fn the_codes_of_a_fallible_endpoint_are_an_open_enum() {
    let document = demo("typed-open-codes", |_| {});
    let code = |path: &str| {
        let schema =
            &document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
        known_codes(&schema["allOf"][1]["properties"]["error"]["properties"]["code"])
    };
    let (add, open) = code("/add");
    assert!(
        open && add.contains(&BAD_PARAMETER),
        "/add returns apiview::Result: {add:?}"
    );
    let (_, open) = code("/me");
    assert!(open, "/me runs the authenticator");
    let (ping, open) = code("/ping");
    assert!(
        !open && ping.contains(&SYS_ERROR),
        "/ping returns a &str: {ping:?}"
    );
}

#[test]
fn the_3_0_document_converts_the_typed_parts() {
    let document = demo("typed-3.0", |s| s.swagger.openapi_version = "3.0".into());
    let schema =
        &document["paths"]["/note_get"]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(
        schema["allOf"][1]["properties"]["result"]["nullable"], true,
        "{schema}"
    );
}

/// A key read from another field.
#[apiview]
#[allow_get]
#[check_aclkey(field = "api_key")]
fn keyed() -> bool {
    true
}

#[tokio::test]
async fn aclkey_is_a_security_scheme() {
    let document = served("typed-security", typed_app(demo_settings()).at("/keyed", keyed)).await;
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(schemes["aclkey"]["type"], "apiKey");
    assert_eq!(
        (&schemes["aclkey"]["in"], &schemes["aclkey"]["name"]),
        (&json!("header"), &json!("aclkey"))
    );
    assert_eq!(schemes["aclkey_api_key"]["name"], "api-key");
    let secure = &document["paths"]["/secure"]["get"];
    assert_eq!(secure["security"], json!([{"aclkey": []}]));
    // Not a plain parameter any more, though the doc comment describes it.
    let parameters = secure["parameters"].as_array().map_or(&[][..], Vec::as_slice);
    assert!(parameters.iter().all(|p| p["name"] != "aclkey"), "{parameters:?}");
    assert_eq!(
        document["paths"]["/keyed"]["get"]["security"],
        json!([{"aclkey_api_key": []}])
    );
    // Only where a key is checked.
    assert!(document["paths"]["/ping"]["get"].get("security").is_none());
    let document = demo("typed-security-3.0", |s| s.swagger.openapi_version = "3.0".into());
    assert_eq!(
        document["components"]["securitySchemes"]["aclkey"]["type"],
        "apiKey"
    );
    assert_eq!(
        document["paths"]["/secure"]["get"]["security"],
        json!([{"aclkey": []}])
    );
}

/// A page of stored notes, paginated.
#[apiview]
#[allow_get]
#[paginate]
fn stored_pages(page: PageRequest) -> Result<Page<Stored>, BizError> {
    Ok(Page::new(Vec::new(), page.offset()))
}

/// `Page<T>` and `Result<Page<T>, E>` document the answer's DRF shape with `T` typed
/// (it was `{}` before: `Page` had no schema).
#[tokio::test]
async fn pages_are_typed_in_the_drf_shape() {
    let document = served(
        "typed-pages",
        typed_app(demo_settings()).at("/stored-pages", stored_pages),
    )
    .await;
    let page_of = |path: &str| {
        let reference = result_schema(&document, path, "get")["$ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: no $ref to a page schema"))
            .to_owned();
        let name = reference.trim_start_matches("#/components/schemas/").to_owned();
        document["components"]["schemas"][&name].clone()
    };
    let page = page_of("/stored-pages");
    assert_eq!(page["required"], json!(["next", "previous", "results"]));
    assert_eq!(page["properties"]["count"]["type"], "integer");
    assert_eq!(page["properties"]["next"]["type"], json!(["string", "null"]));
    assert_eq!(
        page["properties"]["results"]["items"]["$ref"],
        "#/components/schemas/Stored"
    );
    // The demo's /note_list (Page<Value>): any item, the same shape.
    let notes = page_of("/note_list");
    assert_eq!(notes["properties"]["results"]["type"], "array");
    assert_eq!(notes["properties"]["results"]["items"], json!({}));
    // A bad page is among the codes a paginated endpoint lists (schemathesis found
    // /note_list answering BadParameter that its document did not list).
    for path in ["/note_list", "/stored-pages"] {
        let codes = code_enum(&document, path, "get", "200");
        assert!(codes.contains(&1001060002), "{path}: {codes:?}");
    }
    assert_eq!(notes["required"], json!(["next", "previous", "results"]));
}
