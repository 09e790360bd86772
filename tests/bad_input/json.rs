//! Invalid JSON under a JSON content type, long or deeply nested, and how much of
//! the body a parse error quotes (issue 12, D11).

use super::*;

// ---- invalid JSON ------------------------------------------------------------------

#[tokio::test]
async fn invalid_json_under_a_json_content_type_is_a_parse_json_error() {
    let server = server().await;
    for content_type in [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/vnd.api+json",
        "application/problem+json",
    ] {
        let answer = post(&server, "/fields", Some(content_type), "{\"a\": 1,").await;
        assert_eq!(
            answer,
            err(common::PARSE_JSON_ERROR, "Parse json error. Raw text {\"a\": 1,."),
            "{content_type}"
        );
    }
    for body in ["{", "nope", "{'a': 1}", "[1, 2", "{\"a\": 01}", "\u{feff}{}"] {
        let answer = post(&server, "/fields", Some("application/json"), body).await;
        assert_eq!(code_of(&answer), common::PARSE_JSON_ERROR, "{body:?}");
    }
    // Invalid JSON fails even on an endpoint whose only parameter has another source.
    let answer = post(&server, "/whole", Some("application/json"), "{oops").await;
    assert_eq!(code_of(&answer), common::PARSE_JSON_ERROR);
    assert_alive(&server).await;
}

#[tokio::test]
async fn a_long_invalid_json_body_is_reported_without_failing() {
    let server = roomy_server().await;
    let body = format!("{{\"a\": \"{}", "x".repeat(100_000));
    let answer = post(&server, "/fields", Some("application/json"), body).await;
    assert_eq!(code_of(&answer), common::PARSE_JSON_ERROR);
    assert_alive(&server).await;
}

/// An answer never carries much of what a client sent (issue 12, D11).
#[tokio::test]
async fn a_parse_error_quotes_at_most_64_bytes_of_the_body() {
    let server = roomy_server().await;
    let body = format!("{{\"a\": {}", "9".repeat(1000));
    let answer = post(&server, "/fields", Some("application/json"), body).await;
    assert_eq!(code_of(&answer), common::PARSE_JSON_ERROR);
    let message = message_of(&answer);
    let quoted = message
        .strip_prefix("Parse json error. Raw text ")
        .and_then(|rest| rest.strip_suffix("….").or_else(|| rest.strip_suffix('.')))
        .unwrap_or_else(|| panic!("{message}"));
    assert_eq!(quoted.len(), 64, "{message}");
}

// ---- nesting -------------------------------------------------------------------------------

#[tokio::test]
async fn deeply_nested_json_does_not_crash_the_server() {
    let server = roomy_server().await;
    let depth = 10_000;
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    for body in [&arrays, &objects] {
        for content_type in [Some("application/json"), Some("text/plain"), None] {
            for path in ["/fields", "/whole", "/point"] {
                let answer = post(&server, path, content_type, body.clone()).await;
                if answer["success"] == false {
                    assert!(
                        PARAMETER_CODES.contains(&code_of(&answer)),
                        "{path} {content_type:?}: {answer}"
                    );
                }
            }
        }
    }
    // Nested inside a field, and as query text coerced to a list or a struct.
    let inner = format!("{{\"p\": {arrays}}}");
    let answer = post(&server, "/point", Some("application/json"), inner).await;
    assert_eq!(answer["success"], false, "{answer}");
    let deep_query = format!("{}{}", "%5B".repeat(5_000), "%5D".repeat(5_000));
    for path in [format!("/ids?ids={deep_query}"), format!("/point?p={deep_query}")] {
        let answer = get(&server, &path).await;
        assert_eq!(code_of(&answer), common::BAD_PARAMETER_TYPE, "{answer}");
    }
    assert_alive(&server).await;
}
