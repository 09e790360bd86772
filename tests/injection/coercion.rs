//! Lenient coercion: text and JSON strings to numbers and booleans (not the other
//! way round), single values to lists, repeated keys to lists, objects to structs.

use super::*;

#[tokio::test]
async fn text_becomes_integers_floats_and_booleans() {
    let server = server().await;
    assert_eq!(get(&server, "/int?n=42").await, ok(json!(42)));
    assert_eq!(get(&server, "/int?n=-7").await, ok(json!(-7)));
    assert_eq!(get(&server, "/float?x=2.5").await, ok(json!(2.5)));
    assert_eq!(get(&server, "/float?x=3").await, ok(json!(3.0)));
    for (text, value) in [("true", true), ("false", false), ("1", true), ("0", false)] {
        assert_eq!(
            get(&server, &format!("/flag?on={text}")).await,
            ok(json!(value)),
            "{text}"
        );
    }
}

#[tokio::test]
async fn json_strings_become_numbers_and_booleans() {
    let server = server().await;
    assert_eq!(
        post_json(&server, "/int", json!({"n": "42"})).await,
        ok(json!(42))
    );
    assert_eq!(post_json(&server, "/int", json!({"n": 42})).await, ok(json!(42)));
    assert_eq!(
        post_json(&server, "/float", json!({"x": "2.5"})).await,
        ok(json!(2.5))
    );
    assert_eq!(
        post_json(&server, "/flag", json!({"on": "true"})).await,
        ok(json!(true))
    );
    assert_eq!(
        post_json(&server, "/flag", json!({"on": true})).await,
        ok(json!(true))
    );
    assert_eq!(
        post_json(&server, "/flag", json!({"on": 0})).await,
        ok(json!(false))
    );
}

/// Lenient coercion is for text wires; inside a JSON body a string parameter takes
/// a JSON string, not the text of another JSON value (issue 12).
#[tokio::test]
async fn a_json_body_number_or_boolean_is_not_a_string() {
    let server = server().await;
    for value in [json!(42), json!(false), json!(2.5), json!([1]), json!({"a": 1})] {
        let answer = post_json(&server, "/text", json!({ "s": value })).await;
        assert_eq!(common::code_of(&answer), 1001060003, "{value}: {answer}");
        assert!(common::message_of(&answer).contains('s'), "{answer}");
    }
    assert_eq!(
        post_json(&server, "/text", json!({"s": "42"})).await,
        ok(json!("42"))
    );
    // A text wire stays lenient: everything there is text.
    assert_eq!(get(&server, "/text?s=42").await, ok(json!("42")));
}

#[tokio::test]
async fn form_text_is_coerced_too() {
    let server = server().await;
    let answer = common::send(server.client.post(server.url("/int")).form(&[("n", "42")])).await;
    assert_eq!(answer.json, ok(json!(42)));
    let answer = common::send(server.client.post(server.url("/flag")).form(&[("on", "1")])).await;
    assert_eq!(answer.json, ok(json!(true)));
}

#[tokio::test]
async fn a_single_value_becomes_a_list_of_one() {
    let server = server().await;
    assert_eq!(get(&server, "/list?ids=7").await, ok(json!([7])));
    assert_eq!(
        post_json(&server, "/list", json!({"ids": 7})).await,
        ok(json!([7]))
    );
    assert_eq!(
        post_json(&server, "/list", json!({"ids": "7"})).await,
        ok(json!([7]))
    );
    assert_eq!(get(&server, "/words?tags=solo").await, ok(json!(["solo"])));
}

#[tokio::test]
async fn repeated_query_and_form_keys_become_lists() {
    let server = server().await;
    assert_eq!(
        get(&server, "/list?ids=1&ids=2&ids=3").await,
        ok(json!([1, 2, 3]))
    );
    assert_eq!(get(&server, "/words?tags=a&tags=b").await, ok(json!(["a", "b"])));
    let answer = common::send(
        server
            .client
            .post(server.url("/list"))
            .form(&[("ids", "4"), ("ids", "5")]),
    )
    .await;
    assert_eq!(answer.json, ok(json!([4, 5])));
    assert_eq!(
        post_json(&server, "/list", json!({"ids": [1, "2", 3]})).await,
        ok(json!([1, 2, 3]))
    );
}

#[tokio::test]
async fn a_json_object_becomes_a_struct() {
    let server = server().await;
    let answer = post_json(
        &server,
        "/point",
        json!({"p": {"x": 1, "y": -2, "label": "origin-ish"}}),
    )
    .await;
    assert_eq!(answer, ok(json!({"x": 1, "y": -2, "label": "origin-ish"})));
    let answer = post_json(&server, "/point", json!({"p": {"x": 1, "y": 2}})).await;
    assert_eq!(answer, ok(json!({"x": 1, "y": 2, "label": null})));
    // A struct missing a required field is a bad type, not a crash.
    let answer = post_json(&server, "/point", json!({"p": {"x": 1}})).await;
    assert_eq!(code_of(&answer), common::BAD_PARAMETER_TYPE);
    assert!(message_of(&answer).contains(": p"), "{answer}");
}
