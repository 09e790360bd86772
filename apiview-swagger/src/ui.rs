//! The routes under `swagger.mount`: the document as `openapi.json` and as
//! `swagger-ui-meta.json` (the name django-apiview serves it under, which existing
//! tooling fetches), `swagger-ui-config.json` (the UI's own configuration) and
//! `swagger-ui.html` with the Swagger UI files it loads, all served from the binary.

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
    // Swagger UI's configuration (it loads it from `configUrl`). The document's URL
    // is relative, so the UI finds it wherever the App is nested. Its forms open ready
    // to send (a file field is a file picker), as Django REST framework's browsable
    // API offers them.
    let meta = json!({
        "url": "openapi.json",
        "title": swagger.title,
        "deepLinking": true,
        "displayRequestDuration": true,
        "tryItOutEnabled": true,
    });
    let files = Files {
        document: document.into(),
        meta: serde_json::to_vec(&meta).unwrap_or_default().into(),
        page: page(&swagger.title).into(),
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
    document: Bytes,
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
            "openapi.json" | "swagger-ui-meta.json" => answer(JSON, &self.document),
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

fn is_asset(file: &str) -> bool {
    !file.contains('/')
        && file != "swagger-initializer.js"
        && [".js", ".css", ".png"].iter().any(|ext| file.ends_with(ext))
}

fn not_found() -> Response {
    Response::builder().status(StatusCode::NOT_FOUND).finish()
}

/// The page: Swagger UI, configured by `swagger-ui-config.json`.
fn page(title: &str) -> String {
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
  <script src="swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      configUrl: "swagger-ui-config.json",
      dom_id: "#swagger-ui",
      presets: [SwaggerUIBundle.presets.apis],
      plugins: [SwaggerUIBundle.plugins.DownloadUrl],
      layout: "BaseLayout"
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
        assert!(page("<script>&").contains("<title>&lt;script&gt;&amp;</title>"));
    }
}
