//! `#[between]`: inclusive and exclusive bounds, `allow_none`, floats, NaN and
//! infinity, bounds from functions, negative bounds.

use super::*;

#[tokio::test]
async fn between_includes_both_bounds_by_default() {
    let server = server().await;
    for a in ["0", "100", "50"] {
        assert_eq!(
            get(&server, &format!("/between_inclusive?a={a}")).await,
            ok(json!(a.parse::<i64>().unwrap()))
        );
    }
    for a in ["-1", "101"] {
        assert_bad_parameter(
            &get(&server, &format!("/between_inclusive?a={a}")).await,
            "a",
            a,
            &["0", "100"],
        );
    }
}

#[tokio::test]
async fn between_can_exclude_its_bounds() {
    let server = server().await;
    assert_eq!(get(&server, "/between_exclusive?x=1").await, ok(json!(1)));
    assert_eq!(get(&server, "/between_exclusive?x=9").await, ok(json!(9)));
    for x in ["0", "10", "11", "-1"] {
        assert_bad_parameter(
            &get(&server, &format!("/between_exclusive?x={x}")).await,
            "x",
            x,
            &["0", "10"],
        );
    }
}

#[tokio::test]
async fn between_allow_none_lets_an_absent_value_pass() {
    let server = server().await;
    assert_eq!(get(&server, "/between_allow_none").await, ok(Value::Null));
    assert_eq!(get(&server, "/between_allow_none?n=5").await, ok(json!(5)));
    assert_bad_parameter(
        &get(&server, "/between_allow_none?n=6").await,
        "n",
        "6",
        &["1", "5"],
    );
}

#[tokio::test]
async fn between_on_a_float_with_integer_bounds() {
    let server = server().await;
    assert_eq!(get(&server, "/between_float?price=99.5").await, ok(json!(99.5)));
    assert_eq!(get(&server, "/between_float?price=100").await, ok(json!(100.0)));
    assert_eq!(get(&server, "/between_float?price=0").await, ok(json!(0.0)));
    assert_bad_parameter(
        &get(&server, "/between_float?price=100.5").await,
        "price",
        "100.5",
        &[],
    );
    assert_bad_parameter(
        &get(&server, "/between_float?price=-0.1").await,
        "price",
        "-0.1",
        &[],
    );
}

#[tokio::test]
async fn between_refuses_nan_and_infinity() {
    let server = server().await;
    for price in ["NaN", "inf", "-inf", "infinity"] {
        let answer = get(&server, &format!("/between_float?price={price}")).await;
        assert_eq!(answer["success"], false, "{price}: {answer}");
    }
}

#[tokio::test]
async fn between_with_function_bounds() {
    let server = server().await;
    assert_eq!(get(&server, "/between_functions?age=18").await, ok(json!(18)));
    assert_eq!(get(&server, "/between_functions?age=65").await, ok(json!(65)));
    assert_bad_parameter(
        &get(&server, "/between_functions?age=17").await,
        "age",
        "17",
        &["18", "65"],
    );
    assert_bad_parameter(
        &get(&server, "/between_functions?age=66").await,
        "age",
        "66",
        &["18", "65"],
    );
}

#[tokio::test]
async fn between_with_negative_bounds() {
    let server = server().await;
    assert_eq!(get(&server, "/between_negative?t=-10").await, ok(json!(-10)));
    assert_eq!(get(&server, "/between_negative?t=-1").await, ok(json!(-1)));
    assert_bad_parameter(
        &get(&server, "/between_negative?t=0").await,
        "t",
        "0",
        &["-10", "-1"],
    );
}
