//! The whole document: info and servers from settings, one path item per endpoint,
//! the packers' envelopes and the models in `components/schemas`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use apiview_core::packer::{Packer, Packers, SafePacker};
use apiview_core::Settings;
use apiview_core::{AuthUse, EndpointMeta};
use apiview_grammar::Method;
use serde_json::{json, Map, Value};

use crate::convert::to_3_0;
use crate::infer::fields;
use crate::operation::{aclkey_scheme, operation, Endpoint, BEARER_SCHEME};
use crate::responses::Envelope;
use crate::schema::{component_name, model_ref};
use crate::versions::DocVersion;

/// The OpenAPI document of these endpoints (`(path, meta)`, paths in poem's syntax:
/// `/users/:id`), answered through `packers`, described by `settings` (`[swagger]`,
/// the default packer and methods, the language and HTTP status mode) and with
/// `models` (name, JSON schema) in `components/schemas`.
///
/// OpenAPI 3.1.0, or 3.0.3 when `swagger.openapi_version = "3.0"`. [`crate::SwaggerExt::openapi`]
/// calls it with an App's parts. With `[versioning]` on, it is the document of
/// `versioning.default` (see [`openapi_of_version`]).
///
/// ```
/// use apiview::prelude::*;
/// use apiview::Handler;
///
/// /// Always returns "pong".
/// #[apiview]
/// #[allow_get]
/// fn ping() -> &'static str {
///     "pong"
/// }
///
/// let settings = Settings::default();
/// let packers = apiview::packer::Packers::default();
/// let document = apiview_swagger::openapi([("/ping", ping.meta())], &packers, &settings, &[]);
/// assert_eq!(document["openapi"], "3.1.0");
/// assert_eq!(document["paths"]["/ping"]["get"]["summary"], "Always returns \"pong\".");
/// ```
pub fn openapi<'a>(
    endpoints: impl IntoIterator<Item = (&'a str, &'static EndpointMeta)>,
    packers: &Packers,
    settings: &Settings,
    models: &[(String, Value)],
) -> Value {
    document(
        endpoints,
        packers,
        settings,
        models,
        DocVersion::of(settings, None),
    )
}

/// The document of one API version (DESIGN §16): the endpoints that exist in it
/// (those without `#[apiview(versions = [..])]` exist in every version), each
/// telling how to ask for it — the version written into `url_path` paths, the
/// `query` parameter or `Accept-Version` header with it as its only value, and for
/// `accept` the `info.description` — and `info.version` naming it. `None` when
/// `[versioning]` is off or does not allow `version`.
///
/// ```
/// use apiview::prelude::*;
/// use apiview::Handler;
///
/// #[apiview]
/// fn things() {}
///
/// #[apiview(versions = ["v2"])]
/// fn gadgets() {}
///
/// let settings = Settings::from_toml_str(
///     "[versioning]\nscheme = 'url_path'\nallowed = ['v1', 'v2']\ndefault = 'v1'",
/// )
/// .unwrap();
/// let packers = apiview::packer::Packers::default();
/// let endpoints = [("/:version/things", things.meta()), ("/:version/gadgets", gadgets.meta())];
/// let v2 = apiview_swagger::openapi_of_version(endpoints, &packers, &settings, &[], "v2").unwrap();
/// assert!(v2["paths"]["/v2/things"].is_object() && v2["paths"]["/v2/gadgets"].is_object());
/// assert_eq!(v2["info"]["version"], "0.1.0 (v2)");
/// let v1 = apiview_swagger::openapi(endpoints, &packers, &settings, &[]);
/// assert!(v1["paths"]["/v1/things"].is_object() && v1["paths"].get("/v1/gadgets").is_none());
/// assert!(apiview_swagger::openapi_of_version(endpoints, &packers, &settings, &[], "v3").is_none());
/// ```
pub fn openapi_of_version<'a>(
    endpoints: impl IntoIterator<Item = (&'a str, &'static EndpointMeta)>,
    packers: &Packers,
    settings: &Settings,
    models: &[(String, Value)],
    version: &str,
) -> Option<Value> {
    let version = DocVersion::of(settings, Some(version))?;
    Some(document(endpoints, packers, settings, models, Some(version)))
}

fn document<'a>(
    endpoints: impl IntoIterator<Item = (&'a str, &'static EndpointMeta)>,
    packers: &Packers,
    settings: &Settings,
    models: &[(String, Value)],
    version: Option<DocVersion<'_>>,
) -> Value {
    let mut schemas = Map::new();
    for (name, schema) in models {
        schemas.insert(component_name(name), schema.clone());
    }
    let model_names: Vec<String> = schemas.keys().cloned().collect();
    let model_names: Vec<&str> = model_names.iter().map(String::as_str).collect();
    let mut envelopes: HashMap<String, Envelope> = HashMap::new();
    let mut paths = Map::new();
    let mut tags: Vec<&str> = Vec::new();
    let mut operation_ids = HashSet::new();
    let mut security_schemes = Map::new();
    for (path, meta) in endpoints {
        if version.is_some_and(|version| !version.includes(meta)) {
            continue;
        }
        let path = &version.map_or_else(|| path.to_owned(), |version| version.path(path));
        let packer_name = meta.packer.unwrap_or(&settings.packer);
        let envelope = envelopes
            .entry(packer_name.to_owned())
            .or_insert_with(|| envelope(packer_name, packers, settings, &mut schemas));
        let tag = meta.tag.unwrap_or(meta.module_path);
        if !tags.contains(&tag) {
            tags.push(tag);
        }
        let (template, path_params) = openapi_path(path);
        if let Some(field) = meta.aclkey_field {
            security_schemes
                .entry(aclkey_scheme(field))
                .or_insert_with(|| aclkey_security_scheme(field));
        }
        if meta.auth != AuthUse::None {
            security_schemes
                .entry(BEARER_SCHEME)
                .or_insert_with(bearer_security_scheme);
        }
        let mut fields = fields(meta, &model_names);
        if let Some(version) = version {
            fields.retain(|field| !version.is_version_field(&field.name));
        }
        let result = meta.result.map(|result| {
            let result = result();
            for (name, schema) in result.components {
                schemas.entry(name).or_insert(schema);
            }
            result.schema
        });
        let endpoint = Endpoint {
            meta,
            result: result.as_ref(),
            path_params: &path_params,
            fields: &fields,
            envelope,
            settings,
            tag,
            version,
        };
        let methods = methods(meta, settings);
        let base_id = meta.operation_id.unwrap_or(meta.name);
        let Value::Object(item) = paths.entry(template).or_insert_with(|| json!({})) else {
            continue;
        };
        for method in &methods {
            let candidate = if methods.len() == 1 {
                base_id.to_owned()
            } else {
                format!("{base_id}_{method}")
            };
            let mut id = candidate.clone();
            let mut n = 2;
            while !operation_ids.insert(id.clone()) {
                id = format!("{candidate}_{n}");
                n += 1;
            }
            item.insert((*method).to_owned(), operation(&endpoint, method, id));
        }
    }
    let mut document = Map::new();
    document.insert("openapi".into(), json!("3.1.0"));
    document.insert("info".into(), info(settings, version));
    document.insert("servers".into(), json!([{"url": server_url(settings)}]));
    document.insert(
        "tags".into(),
        Value::Array(tags.iter().map(|tag| json!({"name": tag})).collect()),
    );
    document.insert("paths".into(), Value::Object(paths));
    let mut components = Map::new();
    components.insert("schemas".into(), Value::Object(schemas));
    if !security_schemes.is_empty() {
        components.insert("securitySchemes".into(), Value::Object(security_schemes));
    }
    document.insert("components".into(), Value::Object(components));
    let mut document = Value::Object(document);
    if settings.swagger.openapi_version == "3.0" {
        to_3_0(&mut document);
    }
    document
}

fn info(settings: &Settings, version: Option<DocVersion<'_>>) -> Value {
    let swagger = &settings.swagger;
    let mut info = Map::new();
    info.insert("title".into(), json!(swagger.title));
    let description = match version {
        Some(version) if swagger.description.is_empty() => version.note(),
        Some(version) => format!("{}\n\n{}", swagger.description, version.note()),
        None => swagger.description.clone(),
    };
    if !description.is_empty() {
        info.insert("description".into(), json!(description));
    }
    if !swagger.terms_of_service.is_empty() {
        info.insert("termsOfService".into(), json!(swagger.terms_of_service));
    }
    if !swagger.contact_email.is_empty() {
        info.insert("contact".into(), json!({"email": swagger.contact_email}));
    }
    // As drf-spectacular writes a versioned schema's.
    let document_version = match version {
        Some(version) => format!("{} ({})", swagger.version, version.version),
        None => swagger.version.clone(),
    };
    info.insert("version".into(), json!(document_version));
    Value::Object(info)
}

/// `api_host` + `api_basepath`. A host without a scheme is kept scheme-relative
/// (`//host/base`, as Swagger 2.0's `host` was); no host means the base path alone,
/// relative to where the document is served.
fn server_url(settings: &Settings) -> String {
    let swagger = &settings.swagger;
    let base = swagger.api_basepath.trim();
    let base = if base.starts_with('/') {
        base.to_owned()
    } else {
        format!("/{base}")
    };
    let host = swagger.api_host.trim().trim_end_matches('/');
    match host {
        "" => base,
        host if host.contains("://") => format!("{host}{base}"),
        host => format!("//{host}{base}"),
    }
}

/// The endpoint's packer and its envelope schema, added to the components once.
fn envelope(
    name: &str,
    packers: &Packers,
    settings: &Settings,
    schemas: &mut Map<String, Value>,
) -> Envelope {
    let packer: Arc<dyn Packer> = match packers.get(name) {
        Some(packer) => packer.clone(),
        // The App adds the safe packer when it is built, from the client keys; its
        // envelope is the same whatever the keys.
        None if name == "safe" => Arc::new(SafePacker::new(
            Arc::new(HashMap::<String, rsa::RsaPublicKey>::new()),
            settings.safe.client_id_field.clone(),
        )),
        // An unknown packer: the App refuses to start; the document still shows
        // something sensible.
        None => Arc::new(apiview_core::packer::SimplePacker),
    };
    let camel: String = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    let base = component_name(&format!("{camel}Envelope"));
    let mut key = base.clone();
    let mut n = 2;
    while schemas.contains_key(&key) {
        key = format!("{base}{n}");
        n += 1;
    }
    let mut schema = packer.envelope_schema();
    if let Value::Object(fields) = &mut schema {
        fields
            .entry("description")
            .or_insert_with(|| json!(format!("The envelope of the `{name}` packer.")));
    }
    schemas.insert(key.clone(), schema);
    Envelope::new(packer, model_ref(&key))
}

/// The `apiKey` scheme of an aclkey read from `field`. The server reads the key from
/// a header, the query string or a plain body field; the scheme declares the header
/// (the field's name with `-` for `_`, as the data bag maps headers), which keeps
/// the key out of URLs and logs, and which Swagger UI's *Authorize* button and
/// generated clients set once for every call.
fn aclkey_security_scheme(field: &str) -> Value {
    json!({
        "type": "apiKey",
        "in": "header",
        "name": field.replace('_', "-"),
        "description": format!(
            "The API key `#[check_aclkey]` checks. Also accepted as the `{field}` query parameter or body field."
        ),
    })
}

/// The bearer token scheme of endpoints that authenticate their caller (DESIGN §14):
/// Swagger UI's *Authorize* takes the token and sends `Authorization: Bearer ..`.
fn bearer_security_scheme() -> Value {
    json!({
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A token in `Authorization: Bearer <token>`, for the endpoints that ask who their caller is \
                        (#[login_required], #[permission], an Identity parameter).",
    })
}

/// The endpoint's methods: its allow-list, else `settings.default_allow_methods`.
fn methods(meta: &EndpointMeta, settings: &Settings) -> Vec<&'static str> {
    let found: Vec<Option<Method>> = match meta.methods {
        Some(methods) => methods.iter().copied().map(Some).collect(),
        None => settings
            .default_allow_methods
            .iter()
            .map(|m| Method::parse(m.trim()))
            .collect(),
    };
    let mut methods = Vec::new();
    for name in found.into_iter().flatten().map(Method::as_str) {
        if !methods.contains(&name) {
            methods.push(name);
        }
    }
    methods
}

/// poem's path syntax as an OpenAPI template: `/users/:id` → `/users/{id}`,
/// `/files/*path` → `/files/{path}`, `/:id<\d+>` → `/{id}`; and the names.
fn openapi_path(path: &str) -> (String, Vec<String>) {
    let mut names = Vec::new();
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(|segment| {
            let name = segment.strip_prefix(':').or_else(|| segment.strip_prefix('*'));
            match name {
                Some(name) => {
                    let name = name.split('<').next().unwrap_or(name);
                    let name = if name.is_empty() { "path" } else { name };
                    names.push(name.to_owned());
                    format!("{{{name}}}")
                }
                None => segment.to_owned(),
            }
        })
        .collect();
    (format!("/{}", segments.join("/")), names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poem_paths_become_templates() {
        assert_eq!(
            openapi_path("/users/:id"),
            ("/users/{id}".into(), vec!["id".into()])
        );
        assert_eq!(
            openapi_path("/a/:id<\\d+>/files/*rest"),
            ("/a/{id}/files/{rest}".into(), vec!["id".into(), "rest".into()])
        );
        assert_eq!(openapi_path("ping"), ("/ping".into(), vec![]));
        assert_eq!(openapi_path("/"), ("/".into(), vec![]));
        assert_eq!(
            openapi_path("/files/*"),
            ("/files/{path}".into(), vec!["path".into()])
        );
    }

    #[test]
    fn servers_from_host_and_base_path() {
        let mut settings = Settings::default();
        assert_eq!(server_url(&settings), "/");
        settings.swagger.api_basepath = "api".into();
        assert_eq!(server_url(&settings), "/api");
        settings.swagger.api_host = "api.example.invalid".into();
        assert_eq!(server_url(&settings), "//api.example.invalid/api");
        settings.swagger.api_host = "https://api.example.invalid/".into();
        assert_eq!(server_url(&settings), "https://api.example.invalid/api");
    }
}
