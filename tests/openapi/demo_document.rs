//! The demo's document: its operations follow the allow-lists, documented
//! parameters are completed from the code, request bodies come from the doc and
//! the code.

use super::*;

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
        ("/slow_square", vec!["get".to_owned()]),
        ("/note_get", vec!["get".to_owned()]),
        ("/note_set", vec!["post".to_owned()]),
        ("/note_list", vec!["get".to_owned()]),
        ("/upload", vec!["post".to_owned()]),
        ("/upload_many", vec!["post".to_owned()]),
        // `/greeting_v2_only` is in v2's document only (DESIGN §16).
        ("/greeting", vec!["get".to_owned()]),
        ("/throttled", vec!["get".to_owned()]),
        ("/token", vec!["post".to_owned()]),
        ("/me", vec!["get".to_owned()]),
        ("/note_owned_set", vec!["post".to_owned()]),
    ]
    .into_iter()
    .map(|(path, methods)| (path.to_owned(), methods))
    .collect();
    assert_eq!(operations, expected);
    let ping = &document["paths"]["/ping"]["get"];
    assert_eq!(ping["operationId"], "ping");
    assert_eq!(ping["summary"], "Always returns \"pong\".");
    assert_eq!(ping["tags"], json!(["openapi::endpoints"]));
    assert!(ping.get("requestBody").is_none());
    // Its one parameter: the API version, this document's (DESIGN §16).
    assert_eq!(
        ping["parameters"],
        json!([{"name": "Accept-Version", "in": "header", "required": false,
                "description": "The API version. This document describes `v1`, the version a request without it gets too.",
                "schema": {"type": "string", "enum": ["v1"], "default": "v1"}}])
    );
    let add = &document["paths"]["/add"];
    assert_eq!(
        (&add["get"]["operationId"], &add["post"]["operationId"]),
        (&json!("add_get"), &json!("add_post"))
    );
    assert_eq!(
        add["get"]["description"],
        "`a` must be within [0, 100]; `b` is any 64-bit integer."
    );
    assert_eq!(
        document["tags"],
        json!([{"name": "openapi::endpoints"}, {"name": "uploads"}])
    );
    assert_eq!(document["info"]["version"], "0.1.0 (v1)");
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
    // The documented aclkey header is the `apiKey` security scheme (DESIGN §17).
    assert_eq!(paths["/secure"]["get"]["security"], json!([{"aclkey": []}]));
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
    // #[paginate]'s query parameters, with the endpoint's sizes.
    assert_eq!(
        param(&paths["/note_list"]["get"], "page_size")["schema"],
        json!({"type": "integer", "minimum": 1, "maximum": 50, "default": 10})
    );
    assert_eq!(param(&paths["/note_list"]["get"], "page")["in"], "query");
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

/// An `Upload` parameter is a `format: binary` field of a multipart body (Swagger UI
/// offers a file picker for it), in 3.1 and 3.0 alike; `Vec<Upload>` an array of them.
#[test]
fn uploads_are_binary_fields_of_a_multipart_body() {
    for version in ["3.1", "3.0"] {
        let document = demo(&format!("demo-uploads-{version}"), |settings| {
            settings.swagger.openapi_version = version.into();
        });
        let body = &document["paths"]["/upload"]["post"]["requestBody"];
        assert_eq!(body["required"], true);
        let content = body["content"].as_object().unwrap();
        assert_eq!(
            content.keys().collect::<Vec<_>>(),
            ["multipart/form-data"],
            "{version}"
        );
        let schema = &content["multipart/form-data"]["schema"];
        assert_eq!(
            schema["properties"]["file"],
            json!({"type": "string", "format": "binary"})
        );
        assert_eq!(schema["required"], json!(["file"]));
        assert_eq!(schema["properties"]["note"]["maxLength"], 200);
        let many =
            &document["paths"]["/upload_many"]["post"]["requestBody"]["content"]["multipart/form-data"];
        assert_eq!(
            many["schema"]["properties"]["files"],
            json!({"type": "array", "items": {"type": "string", "format": "binary"}})
        );
    }
}
