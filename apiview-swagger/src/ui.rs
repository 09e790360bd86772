//! The routes under `swagger.mount`: the document as `openapi.json` and as
//! `swagger-ui-meta.json` (the name django-apiview serves it under, which existing
//! tooling fetches), `swagger-ui-config.json` (the UI's own configuration) and
//! `swagger-ui.html` with the Swagger UI files it loads, all served from the binary.
//!
//! With `[versioning]` on (DESIGN §16) there is one document per version:
//! `openapi.json?version=v2`, `versioning.default`'s without `?version=`, and a 404
//! for a version that does not exist (a client generated from another version's
//! document would be wrong without a word). The UI then lists the versions in its
//! top bar.

use std::borrow::Cow;
use std::sync::Arc;

use apiview_core::app::ExtraRoutes;
use apiview_core::App;
use bytes::Bytes;
use poem::http::{header, Method, StatusCode};
use poem::{Endpoint, EndpointExt, Request, Response};
use serde_json::json;
use utoipa_swagger_ui::Config;

use crate::SwaggerExt;

const JSON: &str = "application/json; charset=utf-8";

/// The routes `App::swagger()` adds: one endpoint under the mount, built with the
/// document of the finished App.
pub(crate) fn routes(app: &App) -> ExtraRoutes {
    let swagger = &app.settings().swagger;
    let mount = mount(&swagger.mount);
    let document = serde_json::to_vec(&app.openapi()).unwrap_or_default();
    let versioning = &app.settings().versioning;
    let versions: Vec<(String, Bytes)> = if versioning.is_on() {
        versioning
            .allowed
            .iter()
            .filter_map(|version| {
                let document = app.openapi_for_version(version)?;
                Some((
                    version.clone(),
                    serde_json::to_vec(&document).unwrap_or_default().into(),
                ))
            })
            .collect()
    } else {
        Vec::new()
    };
    // Swagger UI's configuration (it loads it from `configUrl`). The document's URL
    // is relative, so the UI finds it wherever the App is nested. Its forms open ready
    // to send (a file field is a file picker), as Django REST framework's browsable
    // API offers them.
    let mut meta = json!({
        "url": "openapi.json",
        "title": swagger.title,
        "deepLinking": true,
        "displayRequestDuration": true,
        "tryItOutEnabled": true,
    });
    if !versions.is_empty() {
        // The top bar's selector: one document per version, the default first shown.
        let urls: Vec<_> = versions
            .iter()
            .map(|(version, _)| json!({"url": format!("openapi.json?version={version}"), "name": version}))
            .collect();
        meta["urls"] = json!(urls);
        meta["urls.primaryName"] = json!(versioning.default);
    }
    let files = Files {
        document: document.into(),
        page: page(&swagger.title, !versions.is_empty()).into(),
        versions,
        meta: serde_json::to_vec(&meta).unwrap_or_default().into(),
        config: Arc::new(Config::default()),
    };
    let mut routes = vec![(format!("{mount}*file"), files.boxed())];
    // The mount itself leads to the UI (relative, so that it works nested too).
    if let Some(last) = mount
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|l| !l.is_empty())
    {
        let to_ui = redirect(format!("{last}/swagger-ui.html"));
        routes.push((mount.trim_end_matches('/').to_owned(), to_ui.boxed()));
    }
    routes
}

fn redirect(location: String) -> impl Endpoint<Output = Response> {
    poem::endpoint::make_sync(move |_| {
        Response::builder()
            .status(StatusCode::FOUND)
            .header(header::LOCATION, location.as_str())
            .finish()
    })
}

/// `swagger.mount` with one leading and one trailing `/`.
fn mount(mount: &str) -> String {
    let inner = mount.trim().trim_matches('/');
    if inner.is_empty() {
        "/".to_owned()
    } else {
        format!("/{inner}/")
    }
}

struct Files {
    /// The document (`versioning.default`'s when versioning is on).
    document: Bytes,
    /// Each version's document; empty when versioning is off.
    versions: Vec<(String, Bytes)>,
    meta: Bytes,
    page: Bytes,
    config: Arc<Config<'static>>,
}

impl Endpoint for Files {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return Ok(Response::builder()
                .status(StatusCode::METHOD_NOT_ALLOWED)
                .header(header::ALLOW, "GET, HEAD")
                .finish());
        }
        let file = req.raw_path_param("file").unwrap_or("");
        let answer = |content_type: &str, body: &Bytes| {
            Response::builder()
                .header(header::CONTENT_TYPE, content_type)
                .body(body.clone())
        };
        Ok(match file {
            // django-apiview's name for the document (DESIGN §6).
            "openapi.json" | "swagger-ui-meta.json" => match self.document_of(req.uri().query()) {
                Some(document) => answer(JSON, document),
                None => not_found(),
            },
            "swagger-ui-config.json" => answer(JSON, &self.meta),
            "swagger-ui.html" => answer("text/html; charset=utf-8", &self.page),
            "" => Response::builder()
                .status(StatusCode::FOUND)
                .header(header::LOCATION, "swagger-ui.html")
                .finish(),
            // The UI's own files; not its index.html and initializer, which
            // swagger-ui.html replaces.
            asset if is_asset(asset) => match utoipa_swagger_ui::serve(asset, self.config.clone()) {
                Ok(Some(found)) => {
                    let mut response = Response::builder()
                        .header(header::CONTENT_TYPE, found.content_type)
                        .header(header::CACHE_CONTROL, "public, max-age=86400");
                    if found.gzpipped {
                        response = response.header(header::CONTENT_ENCODING, "gzip");
                    }
                    response.body(match found.bytes {
                        Cow::Borrowed(bytes) => Bytes::from_static(bytes),
                        Cow::Owned(bytes) => Bytes::from(bytes),
                    })
                }
                _ => not_found(),
            },
            _ => not_found(),
        })
    }
}

impl Files {
    /// The document `?version=` asks for: with versioning off there is one, whatever
    /// the query; on, the default's without `?version=`, none for an unknown version.
    fn document_of(&self, query: Option<&str>) -> Option<&Bytes> {
        let asked = query
            .unwrap_or("")
            .split('&')
            .find_map(|pair| pair.strip_prefix("version="));
        match (asked, self.versions.is_empty()) {
            (None, _) | (_, true) => Some(&self.document),
            (Some(asked), false) => self
                .versions
                .iter()
                .find(|(version, _)| version == asked)
                .map(|(_, document)| document),
        }
    }
}

fn is_asset(file: &str) -> bool {
    !file.contains('/')
        && file != "swagger-initializer.js"
        && [".js", ".css", ".png"].iter().any(|ext| file.ends_with(ext))
}

fn not_found() -> Response {
    Response::builder().status(StatusCode::NOT_FOUND).finish()
}

/// The page: Swagger UI, configured by `swagger-ui-config.json`; with versions, in
/// the standalone layout, whose top bar selects among the configuration's `urls`.
fn page(title: &str, versioned: bool) -> String {
    let (preset_script, presets, layout) = if versioned {
        (
            "\n  <script src=\"swagger-ui-standalone-preset.js\"></script>",
            "SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset",
            "StandaloneLayout",
        )
    } else {
        ("", "SwaggerUIBundle.presets.apis", "BaseLayout")
    };
    let title = title
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    format!(
        r##"<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="stylesheet" href="swagger-ui.css">
  <link rel="icon" type="image/png" href="favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="swagger-ui-bundle.js"></script>{preset_script}
  <script>
    window.ui = SwaggerUIBundle({{
      configUrl: "swagger-ui-config.json",
      dom_id: "#swagger-ui",
      presets: [{presets}],
      plugins: [SwaggerUIBundle.plugins.DownloadUrl],
      layout: "{layout}"
    }});
  </script>
</body>
</html>
"##
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_are_normalized() {
        assert_eq!(mount("/apiview/"), "/apiview/");
        assert_eq!(mount("docs"), "/docs/");
        assert_eq!(mount("/a/b"), "/a/b/");
        assert_eq!(mount(""), "/");
        assert_eq!(mount("/"), "/");
    }

    #[test]
    fn the_title_is_escaped() {
        assert!(page("<script>&", false).contains("<title>&lt;script&gt;&amp;</title>"));
        assert!(!page("t", false).contains("StandaloneLayout"));
        assert!(page("t", true).contains("swagger-ui-standalone-preset.js"));
    }
}
