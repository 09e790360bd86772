//! `#[choices]`: from a literal list or a function, on integers, with `allow_none`.

use super::*;

#[tokio::test]
async fn choices_from_a_literal_list() {
    let server = server().await;
    assert_eq!(get(&server, "/choices_literal?op=add").await, ok(json!("add")));
    assert_eq!(get(&server, "/choices_literal?op=sub").await, ok(json!("sub")));
    assert_bad_parameter(
        &get(&server, "/choices_literal?op=mul").await,
        "op",
        "mul",
        &["add", "sub"],
    );
    assert_bad_parameter(
        &get(&server, "/choices_literal?op=Add").await,
        "op",
        "Add",
        &["add"],
    );
    assert_eq!(
        get(&server, "/choices_literal").await,
        err(common::MISSING_PARAMETER, "Missing parameter: op.")
    );
}

#[tokio::test]
async fn choices_from_a_function() {
    let server = server().await;
    assert_eq!(
        get(&server, "/choices_function?color=green").await,
        ok(json!("green"))
    );
    assert_bad_parameter(
        &get(&server, "/choices_function?color=blue").await,
        "color",
        "blue",
        &["red", "green"],
    );
}

#[tokio::test]
async fn choices_of_integers_compare_the_coerced_value() {
    let server = server().await;
    assert_eq!(get(&server, "/choices_integer?level=2").await, ok(json!(2)));
    assert_eq!(
        post_json(&server, "/choices_integer", json!({"level": "3"})).await,
        ok(json!(3))
    );
    assert_bad_parameter(
        &get(&server, "/choices_integer?level=4").await,
        "level",
        "4",
        &["1", "3"],
    );
}

#[tokio::test]
async fn choices_allow_none_lets_an_absent_value_pass() {
    let server = server().await;
    assert_eq!(get(&server, "/choices_allow_none").await, ok(Value::Null));
    assert_eq!(get(&server, "/choices_allow_none?mode=b").await, ok(json!("b")));
    assert_bad_parameter(
        &get(&server, "/choices_allow_none?mode=c").await,
        "mode",
        "c",
        &["a", "b"],
    );
    // Without allow_none, an absent Option is refused, naming the field.
    let answer = get(&server, "/choices_option_no_none").await;
    assert!(
        [common::MISSING_PARAMETER, common::BAD_PARAMETER].contains(&code_of(&answer)),
        "{answer}"
    );
    assert!(message_of(&answer).contains("kind"), "{answer}");
    assert_eq!(
        get(&server, "/choices_option_no_none?kind=y").await,
        ok(json!("y"))
    );
}
