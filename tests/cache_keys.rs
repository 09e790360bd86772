//! Cache key parts are injective (issue 12, D4): two values that differ never get the
//! same part, whatever their type, so no request can be answered another value's
//! entry. Values are drawn from small alphabets and edge cases so that near-misses
//! (`"inf"` and infinity, `"1"` and 1, `None` and `Some(None)`, `["a,b"]` and
//! `["a","b"]`) are common.

use std::collections::{BTreeMap, HashMap};

use apiview::cache::key_part;
use proptest::prelude::*;
use serde::Serialize;

/// Every key part seen, with the value (as `Debug` text) it was made from: a second
/// value with the same part must be the same value.
#[derive(Default)]
struct Seen(HashMap<String, String>);

impl Seen {
    fn add<T: Serialize + std::fmt::Debug>(&mut self, value: &T) -> Result<(), TestCaseError> {
        let part = key_part(value).map_err(|err| TestCaseError::fail(err.to_string()))?;
        prop_assert!(
            !part.contains([':', '*', '?', '[', ']', '\n', '{', '}', ' ']),
            "{part} holds a character escaping removes"
        );
        let shown = format!("{value:?}");
        if let Some(before) = self.0.insert(part.clone(), shown.clone()) {
            prop_assert_eq!(&before, &shown, "two values share the part {}", part);
        }
        Ok(())
    }
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            "~",
            "~~",
            "!",
            "!42",
            "#",
            "%",
            "%7E",
            "42",
            "-7",
            "1.0",
            "1e300",
            "-0.0",
            "inf",
            "-inf",
            "NaN",
            "-NaN",
            "true",
            "false",
            "null",
            "[1]",
            "{}",
            "[\"a\",\"b\"]",
            "a,b",
            "a\"b",
            "a\\b",
            "é",
            "e\u{301}",
        ])
        .prop_map(str::to_owned),
        "[\\[\\]{}\",:~!#%0-9a-zA-Z.+\\- \\\\é]{0,8}",
        // Long enough to be digested.
        "[ab]{120,140}",
    ]
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        prop::sample::select(vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
            f64::MIN_POSITIVE,
            f64::MAX,
        ]),
        any::<f64>(),
    ]
}

fn wide() -> impl Strategy<Value = i128> {
    prop_oneof![
        prop::sample::select(vec![
            0,
            -1,
            i128::from(i64::MAX) + 1,
            i128::from(i64::MIN) - 1,
            i128::from(u64::MAX),
            i128::from(u64::MAX) + 1,
            i128::MAX,
            i128::MIN,
        ]),
        any::<i128>(),
    ]
}

/// A value of a JSON-like tree, with what JSON lacks: non-finite floats, wide integers,
/// nested options. Untagged, so its variants' parts meet; each variant holds a kind of
/// data no other holds (two that held integers would share parts, as they share JSON).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
enum Tree {
    Text(String),
    Float(f64),
    Wide(i128),
    Flag(bool),
    Maybe(Option<Option<()>>),
    List(Vec<Tree>),
    Map(BTreeMap<String, Tree>),
}

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = prop_oneof![
        text().prop_map(Tree::Text),
        float().prop_map(Tree::Float),
        wide().prop_map(Tree::Wide),
        any::<bool>().prop_map(Tree::Flag),
        prop::sample::select(vec![None, Some(None), Some(Some(()))]).prop_map(Tree::Maybe),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Tree::List),
            prop::collection::btree_map(text(), inner, 0..3).prop_map(Tree::Map),
        ]
    })
}

/// A struct and an enum with data, as users write them.
#[derive(Debug, Serialize)]
struct Filter {
    name: Option<String>,
    tags: Vec<String>,
    limit: Option<u128>,
}

#[derive(Debug, Clone, Serialize)]
enum Shape {
    Point,
    Circle(f64),
    Rect { w: f32, h: f32 },
    Pair(String, String),
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        Just(Shape::Point),
        float().prop_map(Shape::Circle),
        (any::<f32>(), any::<f32>()).prop_map(|(w, h)| Shape::Rect { w, h }),
        (text(), text()).prop_map(|(a, b)| Shape::Pair(a, b)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn distinct_scalars_get_distinct_parts(
        floats in prop::collection::vec(prop::option::of(float()), 1..24),
        wides in prop::collection::vec(prop::option::of(wide()), 1..24),
        texts in prop::collection::vec(prop::option::of(prop::option::of(text())), 1..24),
    ) {
        let mut seen = Seen::default();
        for value in &floats {
            seen.add(value)?;
        }
        let mut seen = Seen::default();
        for value in &wides {
            seen.add(value)?;
        }
        let mut seen = Seen::default();
        for value in &texts {
            seen.add(value)?;
        }
    }

    #[test]
    fn distinct_trees_get_distinct_parts(trees in prop::collection::vec(tree(), 1..24)) {
        let mut seen = Seen::default();
        for value in &trees {
            seen.add(value)?;
        }
    }

    #[test]
    fn distinct_structs_and_enums_get_distinct_parts(
        filters in prop::collection::vec(
            (prop::option::of(text()), prop::collection::vec(text(), 0..3), prop::option::of(any::<u128>())),
            1..16,
        ),
        shapes in prop::collection::vec(shape(), 1..16),
    ) {
        let mut seen = Seen::default();
        for (name, tags, limit) in filters {
            seen.add(&Filter { name, tags, limit })?;
        }
        let mut seen = Seen::default();
        for value in &shapes {
            seen.add(value)?;
        }
    }
}
