//! Inference from signatures and validators: query parameters, request bodies,
//! paths, operation ids, cache errors, models in components, the safe packer.

use super::*;

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

fn colors() -> impl Iterator<Item = &'static str> {
    ["red", "green"].into_iter()
}

/// A value without `Serialize`: comparable, printable, not documentable.
#[derive(Debug, PartialEq)]
struct Shade(&'static str);

impl PartialEq<Shade> for String {
    fn eq(&self, other: &Shade) -> bool {
        self == other.0
    }
}

fn shades() -> Vec<Shade> {
    vec![Shade("light"), Shade("dark")]
}

/// Paint.
#[apiview]
#[allow_get]
#[choices(color, colors)]
#[choices(shade, shades, allow_none = true)]
fn paint(color: String, shade: Option<String>) -> String {
    format!("{color} {shade:?}")
}

#[test]
fn a_choices_function_documents_its_values_when_they_serialize() {
    let document = checked(
        "choices-function-3.1",
        App::new(Settings::default()).at("/paint", paint).openapi(),
    );
    let operation = &document["paths"]["/paint"]["get"];
    assert_eq!(
        param(operation, "color")["schema"],
        json!({"type": "string", "enum": ["red", "green"]})
    );
    // Items without `Serialize` still check requests; the document says only the type.
    assert_eq!(param(operation, "shade")["schema"], json!({"type": "string"}));
}

/// A note, with an optional attachment.
#[apiview]
#[allow_post]
fn attach(title: String, file: Option<Upload>) -> String {
    let _ = file;
    title
}

#[test]
fn optional_files_leave_the_other_fields_a_json_body_too() {
    let document = checked(
        "optional-file-3.1",
        App::new(Settings::default()).at("/attach", attach).openapi(),
    );
    let content = document["paths"]["/attach"]["post"]["requestBody"]["content"]
        .as_object()
        .unwrap();
    assert_eq!(
        content.keys().collect::<Vec<_>>(),
        ["application/json", "multipart/form-data"]
    );
    let json_schema = &content["application/json"]["schema"];
    assert_eq!(json_schema["required"], json!(["title"]));
    assert!(json_schema["properties"].get("file").is_none(), "{json_schema}");
    let multipart = &content["multipart/form-data"]["schema"];
    assert_eq!(
        multipart["properties"]["file"],
        json!({"type": "string", "format": "binary"})
    );
}

/// A page of HTML, or a packed error.
#[apiview(content_type = "text/html")]
fn html_page(n: i64) -> apiview::Result<Raw<poem::web::Html<String>>> {
    Ok(Raw(poem::web::Html(format!("<p>{n}</p>"))))
}

/// An image.
#[apiview(content_type = "image/png")]
fn picture() -> Raw<Vec<u8>> {
    Raw(Vec::new())
}

#[test]
fn a_raw_answer_is_documented_as_its_content_type_beside_the_packed_errors() {
    let app = App::new(Settings::default())
        .at("/page", html_page)
        .at("/picture", picture);
    let document = checked("raw-content-type-3.1", app.openapi());
    let ok = &document["paths"]["/page"]["get"]["responses"]["200"];
    let content = ok["content"].as_object().unwrap();
    assert_eq!(
        content.keys().collect::<Vec<_>>(),
        ["text/html", "application/json"]
    );
    assert_eq!(content["text/html"]["schema"], json!({"type": "string"}));
    // The JSON is an error only: no `result`, `success` false.
    let json = serde_json::to_string(&content["application/json"]["schema"]).unwrap();
    assert!(!json.contains("\"result\""), "{json}");
    assert!(
        ok["description"]
            .as_str()
            .unwrap()
            .starts_with("The answer, text/html"),
        "{ok}"
    );
    let png = &document["paths"]["/picture"]["get"]["responses"]["200"]["content"];
    assert_eq!(
        png["image/png"]["schema"],
        json!({"type": "string", "format": "binary"})
    );
}
