//! The documents of each API version (DESIGN §16), for every scheme, in 3.1 and
//! 3.0: structurally checked here and dumped for scripts/test.sh's standard
//! validator. The demo's documents (its `Accept-Version` versions) are checked
//! too, v2's with the endpoint that exists in v2 only.

use super::*;

/// Exists in every version; takes the path's version segment under `url_path`.
#[apiview]
fn things(version: Option<String>, limit: Option<u32>) -> Vec<u32> {
    let _ = version;
    (0..limit.unwrap_or(3)).collect()
}

/// Exists in v2 only.
#[apiview(versions = ["v2"])]
#[allow_post]
fn gadgets(name: String) -> String {
    name
}

#[test]
fn every_scheme_documents_each_version() {
    for scheme in ["url_path", "query", "header", "accept"] {
        for openapi in ["3.1", "3.0"] {
            let settings = Settings::from_toml_str(&format!(
                "[versioning]\nscheme = '{scheme}'\nallowed = ['v1', 'v2']\ndefault = 'v1'\n\
                 [swagger]\nopenapi_version = '{openapi}'"
            ))
            .unwrap();
            let prefix = if scheme == "url_path" { "/:version" } else { "" };
            let app = App::new(settings)
                .at(format!("{prefix}/things"), things)
                .at(format!("{prefix}/gadgets"), gadgets);
            for version in ["v1", "v2"] {
                let name = format!("versioning-{scheme}-{openapi}-{version}");
                let document = checked(&name, app.openapi_for_version(version).unwrap());
                let base = if scheme == "url_path" {
                    format!("/{version}")
                } else {
                    String::new()
                };
                let listed: Vec<&String> = document["paths"].as_object().unwrap().keys().collect();
                let mut expected = vec![format!("{base}/things")];
                if version == "v2" {
                    expected.push(format!("{base}/gadgets"));
                }
                assert_eq!(listed, expected.iter().collect::<Vec<_>>(), "{name}");
                let parameters = document["paths"][&expected[0]]["get"]["parameters"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let named = |n: &str| parameters.iter().filter(|p| p["name"] == n).count();
                // The version's own parameter, once (replacing the function's `version`
                // under query); under url_path none at all (the path has it); under
                // accept the function's `version` is a field of its own.
                let (version_name, count) = match scheme {
                    "query" | "accept" => ("version", 1),
                    "header" => ("Accept-Version", 1),
                    _ => ("version", 0),
                };
                assert_eq!(named(version_name), count, "{name}: {parameters:?}");
                assert_eq!(document["info"]["version"], format!("0.1.0 ({version})"));
            }
        }
    }
}

#[test]
fn the_demo_documents_its_versions() {
    let settings = demo_settings();
    let app = endpoints::app(settings);
    let v1 = checked("demo-v1", app.openapi());
    let v2 = checked("demo-v2", app.openapi_for_version("v2").unwrap());
    assert!(v1["paths"].get("/greeting_v2_only").is_none());
    assert!(v2["paths"]["/greeting_v2_only"]["get"].is_object());
    assert_eq!(
        v2["paths"]["/greeting"]["get"]["parameters"][0]["schema"]["enum"],
        json!(["v2"])
    );
    let mut settings = demo_settings();
    settings.swagger.openapi_version = "3.0".into();
    checked(
        "demo-v2-3.0",
        endpoints::app(settings).openapi_for_version("v2").unwrap(),
    );
}
