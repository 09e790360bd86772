mod common;

#[path = "../examples/demo/endpoints.rs"]
mod endpoints;

#[tokio::test]
async fn demo_ping_answers_pong_over_http() {
    let server = common::serve(endpoints::app(common::settings(""))).await;
    let body = server.get_json("/ping").await;
    assert_eq!(body, serde_json::json!({"success": true, "result": "pong"}));
}
