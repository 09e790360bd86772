//! Absent and wrong parameters: `Option` is `None` when absent; a missing
//! parameter, a wrong type, an overflow, an array for a scalar each name the
//! parameter.

use super::*;

#[tokio::test]
async fn option_params_are_none_when_absent() {
    let server = server().await;
    assert_eq!(
        get(&server, "/optional").await,
        ok(json!({"name": null, "age": null}))
    );
    assert_eq!(
        get(&server, "/optional?name=ann&age=3").await,
        ok(json!({"name": "ann", "age": 3}))
    );
    assert_eq!(
        post_json(&server, "/optional", json!({"name": null, "age": "9"})).await,
        ok(json!({"name": null, "age": 9}))
    );
    // Present but of the wrong type is still an error, even for an Option.
    let answer = get(&server, "/optional?age=old").await;
    assert_eq!(code_of(&answer), common::BAD_PARAMETER_TYPE);
    assert!(
        message_of(&answer).starts_with("Bad parameter type: age"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_missing_parameter_is_named() {
    let server = server().await;
    assert_eq!(
        get(&server, "/int").await,
        err(common::MISSING_PARAMETER, "Missing parameter: n.")
    );
    assert_eq!(
        post_json(&server, "/int", json!({"n": null})).await,
        err(common::MISSING_PARAMETER, "Missing parameter: n.")
    );
    assert_eq!(
        post_json(&server, "/point", json!({})).await,
        err(common::MISSING_PARAMETER, "Missing parameter: p.")
    );
}

#[tokio::test]
async fn a_value_of_the_wrong_type_names_the_parameter() {
    let server = server().await;
    for (path, name) in [
        ("/int?n=abc", "n"),
        ("/int?n=4.5", "n"),
        ("/float?x=two", "x"),
        ("/flag?on=yes", "on"),
        ("/list?ids=1&ids=x", "ids"),
    ] {
        let answer = get(&server, path).await;
        assert_eq!(code_of(&answer), common::BAD_PARAMETER_TYPE, "{path}: {answer}");
        let message = message_of(&answer);
        assert!(
            message.starts_with(&format!("Bad parameter type: {name}")),
            "{path}: {message}"
        );
    }
    let answer = post_json(&server, "/int", json!({"n": {"deep": 1}})).await;
    assert_eq!(code_of(&answer), common::BAD_PARAMETER_TYPE, "{answer}");
    let answer = post_json(&server, "/point", json!({"p": "not an object"})).await;
    assert_eq!(code_of(&answer), common::BAD_PARAMETER_TYPE, "{answer}");
}

#[tokio::test]
async fn a_number_overflowing_the_type_is_a_bad_type() {
    let server = server().await;
    assert_eq!(get(&server, "/small?n=255").await, ok(json!(255)));
    for answer in [
        get(&server, "/small?n=300").await,
        get(&server, "/small?n=-1").await,
        post_json(&server, "/small", json!({"n": 300})).await,
        post_json(&server, "/small", json!({"n": "256"})).await,
        get(&server, "/int?n=9223372036854775808").await,
        post_json(&server, "/int", json!({"n": 1e300})).await,
    ] {
        assert_eq!(code_of(&answer), common::BAD_PARAMETER_TYPE, "{answer}");
        assert!(
            message_of(&answer).starts_with("Bad parameter type: n"),
            "{answer}"
        );
    }
}

#[tokio::test]
async fn an_array_where_a_scalar_is_expected_is_a_bad_type() {
    let server = server().await;
    for answer in [
        post_json(&server, "/int", json!({"n": [1, 2]})).await,
        post_json(&server, "/int", json!({"n": [1]})).await,
        get(&server, "/int?n=1&n=2").await,
        post_json(&server, "/text", json!({"s": ["a", "b"]})).await,
        get(&server, "/text?s=a&s=b").await,
    ] {
        assert_eq!(code_of(&answer), common::BAD_PARAMETER_TYPE, "{answer}");
    }
}
