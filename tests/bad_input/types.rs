//! Numbers and arrays: a number overflowing the type, an array where a scalar is
//! expected.

use super::*;

#[tokio::test]
async fn a_number_overflowing_the_type_is_a_bad_parameter_type() {
    let server = server().await;
    for answer in [
        get(&server, "/small?n=300").await,
        get(&server, "/small?n=256").await,
        get(&server, "/small?n=-1").await,
        post(&server, "/small", Some("application/json"), r#"{"n": 300}"#).await,
        post(&server, "/small", Some("application/json"), r#"{"n": 1e400}"#).await,
        get(&server, "/need?a=99999999999999999999999").await,
        post(
            &server,
            "/need",
            Some("application/json"),
            r#"{"a": 18446744073709551616}"#,
        )
        .await,
    ] {
        let message = answer["error"]["message"].as_str().unwrap_or("").to_owned();
        // 1e400 is not even valid JSON for serde_json: a parse error is fine there.
        if code_of(&answer) == common::PARSE_JSON_ERROR {
            continue;
        }
        assert_eq!(code_of(&answer), common::BAD_PARAMETER_TYPE, "{answer}");
        assert!(
            message.starts_with("Bad parameter type: n") || message.starts_with("Bad parameter type: a"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn an_array_where_a_scalar_is_expected_is_a_bad_parameter_type() {
    let server = server().await;
    for answer in [
        post(&server, "/need", Some("application/json"), r#"{"a": [1, 2]}"#).await,
        post(&server, "/need", Some("application/json"), r#"{"a": []}"#).await,
        get(&server, "/need?a=1&a=2").await,
        post(&server, "/fields", Some("application/json"), r#"{"name": ["x"]}"#).await,
        post(
            &server,
            "/fields",
            Some("application/x-www-form-urlencoded"),
            "a=1&a=2",
        )
        .await,
    ] {
        assert_eq!(code_of(&answer), common::BAD_PARAMETER_TYPE, "{answer}");
    }
}
