//! Method allow-lists: `#[allow_post]` and friends add up, `#[methods]` lists them,
//! and without a list `default_allow_methods` applies.

use super::*;

#[tokio::test]
async fn allow_post_refuses_get() {
    let server = server().await;
    assert_eq!(
        with_method(&server, "POST", "/only_post").await,
        ok(json!("post"))
    );
    for method in ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        assert_eq!(
            with_method(&server, method, "/only_post").await,
            method_refused(),
            "{method}"
        );
    }
}

#[tokio::test]
async fn several_allow_attributes_add_up() {
    let server = server().await;
    for method in ["PUT", "DELETE", "PATCH"] {
        assert_eq!(
            with_method(&server, method, "/put_delete_patch").await,
            ok(json!(method))
        );
    }
    for method in ["GET", "POST"] {
        assert_eq!(
            with_method(&server, method, "/put_delete_patch").await,
            method_refused(),
            "{method}"
        );
    }
    assert_eq!(
        with_method(&server, "OPTIONS", "/options_head").await,
        ok(json!("OPTIONS"))
    );
    let response = server
        .client
        .head(server.url("/options_head"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(
        with_method(&server, "GET", "/options_head").await,
        method_refused()
    );
}

#[tokio::test]
async fn methods_lists_the_allowed_methods() {
    let server = server().await;
    assert_eq!(
        with_method(&server, "GET", "/methods_list").await,
        ok(json!("GET"))
    );
    assert_eq!(
        with_method(&server, "PUT", "/methods_list").await,
        ok(json!("PUT"))
    );
    assert_eq!(
        with_method(&server, "POST", "/methods_list").await,
        method_refused()
    );
    assert_eq!(
        with_method(&server, "DELETE", "/methods_list").await,
        method_refused()
    );
}

#[tokio::test]
async fn without_a_list_the_settings_default_applies() {
    let server = server().await;
    assert_eq!(
        with_method(&server, "GET", "/default_methods").await,
        ok(json!("GET"))
    );
    assert_eq!(
        with_method(&server, "POST", "/default_methods").await,
        ok(json!("POST"))
    );
    assert_eq!(
        with_method(&server, "PUT", "/default_methods").await,
        method_refused()
    );

    let server = common::serve(app("default_allow_methods = ['put', 'DELETE']")).await;
    assert_eq!(
        with_method(&server, "PUT", "/default_methods").await,
        ok(json!("PUT"))
    );
    assert_eq!(
        with_method(&server, "DELETE", "/default_methods").await,
        ok(json!("DELETE"))
    );
    assert_eq!(
        with_method(&server, "GET", "/default_methods").await,
        method_refused()
    );
    assert_eq!(
        with_method(&server, "POST", "/default_methods").await,
        method_refused()
    );
    // An endpoint's own list ignores the default.
    assert_eq!(
        with_method(&server, "POST", "/only_post").await,
        ok(json!("post"))
    );
    assert_eq!(
        with_method(&server, "GET", "/methods_list").await,
        ok(json!("GET"))
    );
}
