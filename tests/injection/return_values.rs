//! Return values: `Raw` skips packing, `Result`, nothing, values that do not
//! serialize, blocking functions, panics.

use super::*;

#[tokio::test]
async fn raw_skips_packing() {
    let server = server().await;
    let response = server.client.get(server.url("/raw_text")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(response.text().await.unwrap(), "plain, not packed");

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client.get(server.url("/raw_redirect")).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/elsewhere");
}

#[tokio::test]
async fn a_result_returns_the_value_or_a_user_business_error() {
    let server = server().await;
    assert_eq!(get(&server, "/divide?a=7&b=2").await, ok(json!(3)));
    let answer = common::send(server.client.get(server.url("/divide?a=7&b=0"))).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json, err(2001000001, "Division by zero."));
}

#[tokio::test]
async fn a_function_returning_nothing_answers_null() {
    let server = server().await;
    assert_eq!(get(&server, "/unit").await, ok(Value::Null));
}

#[tokio::test]
async fn a_result_that_does_not_serialize_is_a_sys_error() {
    let server = server().await;
    assert_eq!(
        get(&server, "/unserializable").await,
        err(common::SYS_ERROR, "System Error")
    );
    assert_eq!(get(&server, "/int?n=1").await, ok(json!(1)));
}

#[tokio::test]
async fn blocking_functions_run_on_the_blocking_pool() {
    let server = server().await;
    assert_eq!(
        post_json(&server, "/blocking_sum", json!({"a": 2, "b": "3"})).await,
        ok(json!({"sum": 5, "method": "POST", "note": "blocked on the pool"}))
    );
    let answer = get(&server, "/blocking_sum?a=2").await;
    assert_eq!(answer, err(common::MISSING_PARAMETER, "Missing parameter: b."));
}

#[tokio::test]
async fn panics_are_sys_errors_and_the_server_keeps_serving() {
    let server = server().await;
    for path in ["/panics_async", "/panics_sync", "/panics_blocking"] {
        let answer = common::send(server.client.get(server.url(&format!("{path}?n=1")))).await;
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(answer.json, err(common::SYS_ERROR, "System Error"), "{path}");
        assert!(
            !answer.json.to_string().contains("secret"),
            "{path} leaks the panic"
        );
        assert_eq!(answer.request_id().len(), 32, "{path}");
        // The same endpoint and others still answer.
        assert_eq!(get(&server, &format!("{path}?n=0")).await, ok(json!(0)), "{path}");
        assert_eq!(get(&server, "/int?n=1").await, ok(json!(1)));
    }
    // Panics in parallel with ordinary requests.
    let requests = (0..30).map(|i| {
        let path = match i % 4 {
            0 => "/panics_async?n=1",
            1 => "/panics_sync?n=1",
            2 => "/panics_blocking?n=1",
            _ => "/int?n=3",
        };
        common::send(server.client.get(server.url(path)))
    });
    for (i, answer) in futures_util::future::join_all(requests)
        .await
        .into_iter()
        .enumerate()
    {
        let expected = if i % 4 == 3 {
            ok(json!(3))
        } else {
            err(common::SYS_ERROR, "System Error")
        };
        assert_eq!(answer.json, expected);
    }
}
