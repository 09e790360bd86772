//! What settings change in the document: the OpenAPI 3.0 variant, `info` and
//! `servers`, a settings file without a `[swagger]` section.

use super::*;

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
        json!({"title": "Demo API", "termsOfService": "https://example.invalid/terms",
               "description": "Every feature.\n\nAPI version `v1`: ask for it with the header `Accept-Version: v1`.",
               "contact": {"email": "api@example.invalid"}, "version": "2.1.0 (v1)"})
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
    // The demo's API versions (DESIGN §16): the default's document.
    let description = "API version `v1`: ask for it with the header `Accept-Version: v1`.";
    assert_eq!(
        document["info"],
        json!({"title": "apiview", "description": description, "version": "0.1.0 (v1)"})
    );
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
