//! JSON bodies that are not objects: no named fields, but `body_alias` still gets
//! them; object bodies read as serde_json reads them.

use super::*;

#[tokio::test]
async fn a_json_body_that_is_not_an_object_has_no_named_fields() {
    let server = server().await;
    for body in ["[1, 2, 3]", "42", "\"a\"", "null", "true", "[{\"a\": 1}]"] {
        let answer = post(&server, "/fields", Some("application/json"), body).await;
        assert_eq!(answer, ok(json!({"a": null, "name": null})), "{body}");
        let answer = post(&server, "/need", Some("application/json"), body).await;
        assert_eq!(
            answer,
            err(common::MISSING_PARAMETER, "Missing parameter: a."),
            "{body}"
        );
    }
    // Other sources still fill the parameters.
    let answer = post(&server, "/need?a=3", Some("application/json"), "[1]").await;
    assert_eq!(answer, ok(json!(3)));
}

#[tokio::test]
async fn body_alias_still_receives_a_body_that_is_not_an_object() {
    let server = server().await;
    for body in [
        json!([1, 2, 3]),
        json!(42),
        json!("text"),
        json!(true),
        json!([{"a": 1}]),
    ] {
        let answer = post(&server, "/whole", Some("application/json"), body.to_string()).await;
        assert_eq!(answer, ok(body.clone()), "{body}");
    }
    let answer = post(&server, "/whole", Some("application/json"), "null").await;
    assert_eq!(answer, ok(Value::Null));
}

/// A JSON object body's fields are found without building its tree; what is accepted,
/// and what each field and the whole body read as, must stay what serde_json reads.
#[tokio::test]
async fn a_json_object_body_reads_as_serde_json_reads_it() {
    let server = roomy_server().await;
    let nested = |depth: usize| format!(r#"{{"a":1,"deep":{}0{}}}"#, "[".repeat(depth), "]".repeat(depth));
    let bodies = [
        r#"{"a":1,"name":"x","a":"2","name":"last"}"#.to_owned(),
        r#"{"\u0061":3,"n\u0061me":"esc\"aped\n"}"#.to_owned(),
        r#"{"a":"  7 ","name":"\ud83d\ude00 é"}"#.to_owned(),
        r#"{"name":"\ud800"}"#.to_owned(),
        r#"{"a":1e999}"#.to_owned(),
        r#"{"a":1,"a":}"#.to_owned(),
        r#"{"a":1} {}"#.to_owned(),
        nested(120),
        nested(130),
    ];
    for body in bodies {
        let as_whole = post(&server, "/whole", Some("application/json"), body.clone()).await;
        let as_fields = post(&server, "/fields", Some("application/json"), body.clone()).await;
        match serde_json::from_str::<Value>(&body) {
            Ok(parsed) => {
                assert_eq!(as_whole, ok(parsed.clone()), "{body}");
                let a = parsed["a"]
                    .as_i64()
                    .or_else(|| parsed["a"].as_str()?.trim().parse().ok());
                assert_eq!(as_fields, ok(json!({"a": a, "name": parsed["name"]})), "{body}");
            }
            Err(_) => {
                assert_eq!(code_of(&as_whole), common::PARSE_JSON_ERROR, "{body}: {as_whole}");
                assert_eq!(
                    code_of(&as_fields),
                    common::PARSE_JSON_ERROR,
                    "{body}: {as_fields}"
                );
            }
        }
    }
    assert_alive(&server).await;
}
