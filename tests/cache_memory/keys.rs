//! Cache keys: values are escaped so that different requests never share a key,
//! including those that once collided (issue 12, D4), and a value that does not
//! serialize is computed without the cache.

use super::*;

// ---- escaping ----------------------------------------------------------------------

static PAIR_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "x:{a}:{b}", expire = 60)]
fn pair(a: String, b: String) -> String {
    count(&PAIR_CALLS);
    format!("pair {a}|{b}")
}

static ONE_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Unescaped, `one("1:2")` would fill `x:1:2`, the key of `pair("1", "2")`.
#[apiview]
#[cache(key = "x:{a}", expire = 60)]
fn one(a: String) -> String {
    count(&ONE_CALLS);
    format!("one {a}")
}

/// Pairs whose keys would collide, glob or break lines if values were not escaped.
fn tricky_pairs() -> Vec<(String, String)> {
    let long = "x".repeat(10 * 1024);
    let long_other = format!("{}y", "x".repeat(10 * 1024 - 1));
    let digest_lookalike = apiview::cache::key_part(&long).unwrap();
    let pairs: Vec<(&str, &str)> = vec![
        ("1:2", "3"),
        ("1", "2:3"),
        ("1", "2"),
        ("*", "*"),
        ("1", "*"),
        ("?", "?"),
        ("[", "]"),
        ("[a-z]", "b"),
        ("a\nb", "c"),
        ("a", "\nb\n"),
        ("a\r\nSET x y", "z"),
        (":", "x"),
        ("%3A", "x"),
        ("%", "3A:x"),
        ("~", "x"),
        ("{a}", "{b}"),
        ("é", "日本"),
        (" ", "\t"),
    ];
    let mut pairs: Vec<(String, String)> = pairs
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
    pairs.push((long.clone(), "1".to_owned()));
    pairs.push((long_other, "1".to_owned()));
    pairs.push(("1".to_owned(), long));
    pairs.push((digest_lookalike, "1".to_owned()));
    pairs
}

#[tokio::test]
async fn escaped_values_never_share_a_key() {
    let app = App::new(Settings::default()).at("/pair", pair).at("/one", one);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    let pairs = tricky_pairs();

    for (round, expected_calls) in [(1, pairs.len()), (2, pairs.len())] {
        for (a, b) in &pairs {
            let answer = post_json(&server, "/pair", json!({"a": a, "b": b})).await;
            assert_eq!(
                answer,
                ok(json!(format!("pair {a}|{b}"))),
                "round {round}: a = {a:?}, b = {b:?}"
            );
        }
        // Every pair is its own miss in round 1 and its own hit in round 2.
        assert_eq!(calls(&PAIR_CALLS), expected_calls, "round {round}");
    }

    // Another endpoint's values cannot forge `pair`'s keys.
    for a in ["1:2", "1:2:3", "*", "1:*", "?:?"] {
        assert_eq!(
            post_json(&server, "/one", json!({"a": a})).await,
            ok(json!(format!("one {a}")))
        );
    }
    assert_eq!(calls(&ONE_CALLS), 5);

    // Invalidating with glob characters as values removes only those literal entries.
    assert_eq!(
        cache
            .invalidate("x:{a}:{b}", &[("a", &"*"), ("b", &"*")])
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        cache
            .invalidate("x:{a}:{b}", &[("a", &"["), ("b", &"]")])
            .await
            .unwrap(),
        1
    );
    // A value with `:` names its own entry only: not ("1", "2:3").
    assert_eq!(
        cache
            .invalidate("x:{a}:{b}", &[("a", &"1:2"), ("b", &"3")])
            .await
            .unwrap(),
        1
    );
    let before = calls(&PAIR_CALLS);
    for (a, b) in &pairs {
        post_json(&server, "/pair", json!({"a": a, "b": b})).await;
    }
    assert_eq!(calls(&PAIR_CALLS), before + 3);
}

static OPTIONAL_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "optional:{v}", expire = 60)]
fn optional(v: Option<String>) -> Option<String> {
    count(&OPTIONAL_CALLS);
    v
}

#[tokio::test]
async fn a_missing_value_an_empty_one_and_a_tilde_are_different_keys() {
    let server = common::serve(App::new(Settings::default()).at("/optional", optional)).await;
    for round in 1..=2 {
        assert_eq!(post_json(&server, "/optional", json!({})).await, ok(Value::Null));
        assert_eq!(
            post_json(&server, "/optional", json!({"v": ""})).await,
            ok(json!(""))
        );
        assert_eq!(
            post_json(&server, "/optional", json!({"v": "~"})).await,
            ok(json!("~"))
        );
        assert_eq!(calls(&OPTIONAL_CALLS), 3, "round {round}");
    }
}

static TYPED_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Tells a JSON string from the value its text spells.
#[apiview]
#[cache(key = "typed:{v}", expire = 60)]
fn typed(v: Value) -> String {
    count(&TYPED_CALLS);
    match v {
        Value::String(text) => format!("the string {text:?}"),
        other => format!("the value {other}"),
    }
}

#[tokio::test]
async fn a_json_value_and_a_string_of_its_text_are_different_keys() {
    let server = common::serve(App::new(Settings::default()).at("/typed", typed)).await;
    let values = [
        json!(42),
        json!("42"),
        json!(true),
        json!("true"),
        json!({"x": 1}),
        json!("{\"x\":1}"),
        json!([1]),
        json!("[1]"),
    ];
    for value in &values {
        let expected = match value {
            Value::String(text) => format!("the string {text:?}"),
            other => format!("the value {other}"),
        };
        assert_eq!(
            post_json(&server, "/typed", json!({"v": value})).await,
            ok(json!(expected)),
            "v = {value}"
        );
    }
    assert_eq!(calls(&TYPED_CALLS), values.len());
}

// ---- issue 12: keys that collided (D4) -------------------------------------------------

static CLASSIFY_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Names what it was given, so an answer computed for another value shows.
#[apiview]
#[cache(key = "cls:{x}", expire = 60)]
fn classify(x: Option<f64>) -> String {
    count(&CLASSIFY_CALLS);
    match x {
        None => "absent".to_owned(),
        Some(x) if x.is_nan() => "not a number".to_owned(),
        Some(x) => format!("{x:?}"),
    }
}

static WIDE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "big:{n}", expire = 60)]
fn wide(n: Option<i128>) -> String {
    count(&WIDE_CALLS);
    n.map_or_else(|| "absent".to_owned(), |n| n.to_string())
}

#[tokio::test]
async fn non_finite_floats_wide_integers_and_absent_values_never_share_a_key() {
    let server = common::serve(
        App::new(Settings::default())
            .at("/classify", classify)
            .at("/wide", wide),
    )
    .await;
    // `1e999` is infinity: the same value as `inf`, so it may share inf's entry.
    let floats = [
        ("?x=inf", "inf"),
        ("?x=NaN", "not a number"),
        ("?x=-inf", "-inf"),
        ("", "absent"),
        ("?x=1e999", "inf"),
        ("?x=-1e999", "-inf"),
        ("?x=0", "0.0"),
        ("?x=-0", "-0.0"),
    ];
    for round in 1..=2 {
        for (query, expected) in floats {
            assert_eq!(
                get(&server, &format!("/classify{query}")).await,
                ok(json!(expected)),
                "round {round}: {query:?}"
            );
        }
        assert_eq!(
            calls(&CLASSIFY_CALLS),
            6,
            "round {round}: one computation per value"
        );
    }

    let wide_values = [
        i128::MAX.to_string(),
        i128::MIN.to_string(),
        (1_i128 << 64).to_string(),
        ((1_i128 << 64) + 1).to_string(),
        (-(1_i128 << 63) - 1).to_string(),
    ];
    for round in 1..=2 {
        assert_eq!(get(&server, "/wide").await, ok(json!("absent")), "round {round}");
        for n in &wide_values {
            assert_eq!(
                get(&server, &format!("/wide?n={n}")).await,
                ok(json!(n)),
                "round {round}: n = {n}"
            );
        }
        assert_eq!(calls(&WIDE_CALLS), 1 + wide_values.len(), "round {round}");
    }
}

/// A parameter whose `Serialize` refuses texts starting with `x`.
#[derive(Debug, serde::Deserialize)]
struct Picky(String);

impl serde::Serialize for Picky {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.starts_with('x') {
            return Err(serde::ser::Error::custom("texts starting with x are not shown"));
        }
        serializer.serialize_str(&self.0)
    }
}

static PICKY_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "picky:{v}", expire = 60)]
fn picky(v: Picky) -> String {
    count(&PICKY_CALLS);
    format!("picked {}", v.0)
}

#[tokio::test]
async fn a_value_that_does_not_serialize_is_computed_without_the_cache() {
    let app = App::new(Settings::default()).at("/picky", picky);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;
    for (round, value) in ["x1", "x2", "x1"].into_iter().enumerate() {
        assert_eq!(
            get(&server, &format!("/picky?v={value}")).await,
            ok(json!(format!("picked {value}")))
        );
        assert_eq!(
            calls(&PICKY_CALLS),
            round + 1,
            "{value} must be computed, not looked up"
        );
    }
    assert_eq!(
        cache.delete_pattern("picky:*").await.unwrap(),
        0,
        "nothing was written"
    );
    assert_eq!(get(&server, "/picky?v=a").await, ok(json!("picked a")));
    assert_eq!(get(&server, "/picky?v=a").await, ok(json!("picked a")));
    assert_eq!(calls(&PICKY_CALLS), 4);
}
