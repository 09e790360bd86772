//! The routes: the Swagger UI, its meta and the document served, at the mount
//! settings give, nested too; a path taken twice is an error.

use super::*;

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

/// An endpoint below the Swagger mount answered in place of the document: poem
/// prefers its exact path to the UI's `*file`, and nothing said so.
#[test]
fn an_endpoint_under_the_swagger_mount_is_an_error() {
    #[apiview]
    fn shadow() {}
    let err = App::new(Settings::default())
        .swagger()
        .at("/apiview/openapi.json", shadow)
        .try_into_endpoint()
        .err()
        .expect("the endpoint would hide the OpenAPI document");
    let text = err.to_string();
    assert!(
        text.contains("`/apiview/openapi.json` (endpoint `shadow`)"),
        "{text}"
    );
    assert!(text.contains("swagger.mount"), "{text}");
    // Beside the mount is fine: only what lies under `/apiview/` is the UI's.
    assert!(App::new(Settings::default())
        .swagger()
        .at("/apiview-status", shadow)
        .try_into_endpoint()
        .is_ok());
}
