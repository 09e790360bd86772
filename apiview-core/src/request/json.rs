//! A JSON object body, read in one pass by serde_json's own parser, so it accepts
//! and refuses exactly what `serde_json::from_slice::<Value>` does. Strings without
//! escapes (most names and most values) stay ranges of the body, and so does every
//! other value until something reads it: a field no parameter reads is checked and
//! skipped, never built. The whole tree is built only when `payload()` or `data()`
//! asks.
//!
//! Before that pass, the body is counted (values and depth, building nothing): this
//! checks what a skipped value would have been refused for (`1e999`), and no tree
//! built later from the body can hold more than `limits.max_json_values` values.

use std::cell::Cell;
use std::fmt;
use std::sync::OnceLock;

use bytes::Bytes;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue as JsonText;
use serde_json::{Map, Value};

use super::{Body, Piece, RawValue};

/// How much one JSON body may hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JsonLimits {
    pub(crate) max_depth: usize,
    pub(crate) max_values: usize,
}

/// Why a JSON body was refused.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// Not JSON.
    Invalid(serde_json::Error),
    /// Nested deeper than `max_depth`.
    TooDeep,
    /// More than `max_values` values.
    TooMany,
}

/// A top-level field's value.
#[derive(Debug)]
enum Field {
    /// A string without escapes: the range of its text (quotes excluded) in the body.
    Str(usize, usize),
    /// A string with escapes, unescaped; in a small body, any value but a string.
    Built(Value),
    /// Any other value: its range in the body, and the value once something read it.
    Raw(usize, usize, OnceLock<Value>),
}

/// A JSON object body and where its top-level fields are.
#[derive(Debug)]
pub(crate) struct JsonObject {
    text: Bytes,
    /// In the body's order. A repeated name keeps every occurrence; the last one is
    /// the value, as it is in a parsed object.
    fields: Vec<(Piece, Field)>,
}

/// Parses a JSON body: an object as a [`JsonObject`], any other value as a tree;
/// counted first.
#[cfg(test)]
fn parse(text: Bytes, limits: JsonLimits) -> Result<Body, Refusal> {
    count(&text, limits)?;
    parse_counted(text)
}

/// Whether a body of `len` bytes is too small to break `limits` (a value or a level of
/// nesting takes a byte at least): such a body needs no count.
pub(crate) fn is_small(len: usize, limits: JsonLimits) -> bool {
    len <= SMALL.min(limits.max_values).min(limits.max_depth)
}

/// The size up to which a body is parsed without a count, each field value built as
/// it is read: for most requests, a pass over the body less.
const SMALL: usize = 1024;

/// Parses a JSON body that [`count`] accepted: an object as a [`JsonObject`], any
/// other value as a tree.
pub(crate) fn parse_counted(text: Bytes) -> Result<Body, Refusal> {
    parse_fields(text, false)
}

/// Parses a body [`is_small`] says needs no count: as [`parse_counted`] does, but each
/// field value that is not a plain string is built as it is read, which refuses what
/// the count would have.
pub(crate) fn parse_small(text: Bytes) -> Result<Body, Refusal> {
    parse_fields(text, true)
}

fn parse_fields(text: Bytes, build: bool) -> Result<Body, Refusal> {
    if text.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return serde_json::from_slice(&text)
            .map(Body::Json)
            .map_err(Refusal::Invalid);
    }
    let mut parser = serde_json::Deserializer::from_slice(&text);
    let fields = parser
        .deserialize_map(Fields { base: &text, build })
        .and_then(|fields| parser.end().map(|()| fields))
        .map_err(Refusal::Invalid)?;
    Ok(Body::Object(JsonObject { text, fields }))
}

impl JsonObject {
    /// The value of the field `name`.
    pub(crate) fn get(&self, name: &str) -> Option<RawValue<'_>> {
        let (_, field) = self
            .fields
            .iter()
            .rev()
            .find(|(key, _)| key.bytes(&self.text) == name.as_bytes())?;
        Some(match field {
            Field::Str(start, end) => RawValue::JsonStr(self.str_at(*start, *end)),
            Field::Built(value) => RawValue::Json(value),
            Field::Raw(start, end, built) => RawValue::Json(built.get_or_init(|| self.build(*start, *end))),
        })
    }

    /// The object as a parsed map, equal to what `serde_json` builds from the body.
    pub(crate) fn to_map(&self) -> Map<String, Value> {
        let mut map = Map::new();
        for (key, field) in &self.fields {
            let value = match field {
                Field::Str(start, end) => Value::String(self.str_at(*start, *end).to_owned()),
                Field::Built(value) => value.clone(),
                Field::Raw(start, end, built) => match built.get() {
                    Some(value) => value.clone(),
                    None => self.build(*start, *end),
                },
            };
            let key = match key {
                Piece::Range(start, end) => self.str_at(*start, *end).to_owned(),
                Piece::Decoded(key) => key.clone(),
            };
            map.insert(key, value);
        }
        map
    }

    /// A range the parser found as a string: valid UTF-8, checked again here so that
    /// no `unsafe` is needed.
    fn str_at(&self, start: usize, end: usize) -> &str {
        std::str::from_utf8(&self.text[start..end]).unwrap_or_default()
    }

    /// The value at a range the parser checked: it parses.
    fn build(&self, start: usize, end: usize) -> Value {
        serde_json::from_slice(&self.text[start..end]).unwrap_or(Value::Null)
    }
}

/// Counts the values of a JSON body and how deep they nest, building nothing: how many
/// there are, or why the body is refused. It refuses what `serde_json` refuses, so
/// that a value skipped later was checked all the same (`1e999`).
pub(crate) fn count(text: &[u8], limits: JsonLimits) -> Result<usize, Refusal> {
    let counter = Counter {
        limits,
        values: Cell::new(0),
        depth: Cell::new(0),
        over: Cell::new(None),
    };
    let mut parser = serde_json::Deserializer::from_slice(text);
    let counted = (&counter).deserialize(&mut parser).and_then(|()| parser.end());
    match (counted, counter.over.take()) {
        (_, Some(refusal)) => Err(refusal),
        (Err(err), None) => Err(Refusal::Invalid(err)),
        (Ok(()), None) => Ok(counter.values.get()),
    }
}

struct Counter {
    limits: JsonLimits,
    values: Cell<usize>,
    depth: Cell<usize>,
    /// Set when a limit is broken; the parse error that stops the walk is then this.
    over: Cell<Option<Refusal>>,
}

impl Counter {
    fn one<E: de::Error>(&self) -> Result<(), E> {
        let values = self.values.get() + 1;
        self.values.set(values);
        if values > self.limits.max_values {
            self.over.set(Some(Refusal::TooMany));
            return Err(E::custom("too many values"));
        }
        Ok(())
    }

    fn nested<E: de::Error, T>(&self, walk: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        self.one()?;
        let depth = self.depth.get() + 1;
        if depth > self.limits.max_depth {
            self.over.set(Some(Refusal::TooDeep));
            return Err(E::custom("too deep"));
        }
        self.depth.set(depth);
        let walked = walk();
        self.depth.set(depth - 1);
        walked
    }
}

impl<'de> DeserializeSeed<'de> for &Counter {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

macro_rules! count_one {
    ($($method:ident($ty:ty);)*) => {$(
        fn $method<E: de::Error>(self, _: $ty) -> Result<(), E> {
            self.one()
        }
    )*};
}

impl<'de> Visitor<'de> for &Counter {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    count_one! {
        visit_bool(bool);
        visit_i64(i64);
        visit_u64(u64);
        visit_f64(f64);
        visit_str(&str);
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.one()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.nested(|| {
            while seq.next_element_seed(self)?.is_some() {}
            Ok(())
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.nested(|| {
            while map.next_key::<de::IgnoredAny>()?.is_some() {
                map.next_value_seed(self)?;
            }
            Ok(())
        })
    }
}

/// The range of `text`, a string the parser borrowed from `base`.
fn range_in(base: &[u8], text: &str) -> Option<(usize, usize)> {
    let start = (text.as_ptr() as usize).checked_sub(base.as_ptr() as usize)?;
    let end = start + text.len();
    (end <= base.len()).then_some((start, end))
}

/// Visits the top-level object, recording each field.
struct Fields<'b> {
    base: &'b [u8],
    /// Build every value that is not a plain string at once.
    build: bool,
}

impl<'de> Visitor<'de> for Fields<'_> {
    type Value = Vec<(Piece, Field)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Vec::new();
        while let Some(key) = map.next_key_seed(Name { base: self.base })? {
            let value = FieldValue {
                base: self.base,
                build: self.build,
            };
            fields.push((key, map.next_value_seed(value)?));
        }
        Ok(fields)
    }
}

/// Reads a field's name, keeping one that needs no unescaping as its range.
#[derive(Clone, Copy)]
struct Name<'b> {
    base: &'b [u8],
}

impl<'de> DeserializeSeed<'de> for Name<'_> {
    type Value = Piece;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Piece, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Name<'_> {
    type Value = Piece;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Piece, E> {
        Ok(match range_in(self.base, text) {
            Some((start, end)) => Piece::Range(start, end),
            None => Piece::Decoded(text.to_owned()),
        })
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Piece, E> {
        Ok(Piece::Decoded(text.to_owned()))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Piece, E> {
        Ok(Piece::Decoded(text))
    }
}

/// Reads a field's value as its text in the body: checked by the parser, not built
/// (unless `build`).
#[derive(Clone, Copy)]
struct FieldValue<'b> {
    base: &'b [u8],
    build: bool,
}

impl<'de> DeserializeSeed<'de> for FieldValue<'_> {
    type Value = Field;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Field, D::Error> {
        let raw = <&'de JsonText>::deserialize(deserializer)?;
        let text = raw.get();
        let Some((start, end)) = range_in(self.base, text) else {
            return Err(de::Error::custom("a value outside the body"));
        };
        if let Some(inner) = text.strip_prefix('"').and_then(|text| text.strip_suffix('"')) {
            if !inner.contains('\\') {
                return Ok(Field::Str(start + 1, end - 1));
            }
            return serde_json::from_str::<String>(text)
                .map(|unescaped| Field::Built(Value::String(unescaped)))
                .map_err(de::Error::custom);
        }
        if self.build {
            return serde_json::from_str(text)
                .map(Field::Built)
                .map_err(de::Error::custom);
        }
        Ok(Field::Raw(start, end, OnceLock::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serde_json's own limits: its recursion limit, and no count.
    const LIMITS: JsonLimits = JsonLimits {
        max_depth: 128,
        max_values: usize::MAX,
    };

    #[test]
    fn a_body_over_the_limits_is_refused_before_anything_is_built() {
        let limits = JsonLimits {
            max_depth: 3,
            max_values: 10,
        };
        assert!(matches!(
            parse(Bytes::from_static(b"[[[1]]]"), limits),
            Ok(Body::Json(_))
        ));
        assert!(matches!(
            parse(Bytes::from_static(b"[[[[1]]]]"), limits),
            Err(Refusal::TooDeep)
        ));
        assert!(matches!(
            parse(Bytes::from_static(b"{\"a\":{\"b\":[{}]}}"), limits),
            Err(Refusal::TooDeep)
        ));
        let nine = Bytes::from_static(b"[1,2,3,4,5,6,7,8,9]");
        assert!(
            matches!(parse(nine, limits), Ok(Body::Json(_))),
            "ten values: the array and nine"
        );
        let ten = Bytes::from_static(b"{\"a\":[1,2,3,4,5,6,7,8,9]}");
        assert!(matches!(parse(ten, limits), Err(Refusal::TooMany)));
        assert!(matches!(
            parse(Bytes::from_static(b"[1,"), limits),
            Err(Refusal::Invalid(_))
        ));
    }

    #[test]
    fn a_field_nobody_reads_is_never_built() {
        let object = object(r#"{"msg":"hi","x":[{},{},{}],"n":1}"#);
        let Field::Raw(_, _, built) = &object.fields[1].1 else {
            panic!("{:?}", object.fields[1])
        };
        assert!(built.get().is_none());
        assert_eq!(object.get("n"), Some(RawValue::Json(&serde_json::json!(1))));
        assert!(built.get().is_none(), "reading n builds n alone");
        assert_eq!(
            object.get("x"),
            Some(RawValue::Json(&serde_json::json!([{}, {}, {}])))
        );
    }

    /// Bodies on both sides of what serde_json accepts: each must be refused, or read
    /// as the same object, as `serde_json::from_slice::<Value>` does.
    #[test]
    fn reads_what_serde_json_reads() {
        let deep = |depth: usize| format!("{{\"a\":{}1{}}}", "[".repeat(depth), "]".repeat(depth));
        let mut bodies: Vec<String> = [
            r#"{"msg":"hello"}"#,
            r#" {"a":1,"b":-2,"c":2.5,"d":true,"e":null,"f":[1,"x"],"g":{"h":"i"}} "#,
            r#"{"esc\"aped":"a\nb","u":"\u00e9","plain":"é"}"#,
            r#"{"a":1,"a":"two","b":3,"a":[3]}"#,
            r#"{"big":18446744073709551616,"neg":-9223372036854775809,"f":1e308}"#,
            r#"{"inf":1e999}"#,
            r#"{"lone":"\ud800"}"#,
            r#"{"pair":"\ud83d\ude00"}"#,
            r#"{"ctl":"a	b"}"#,
            r#"{"bad":"\x"}"#,
            r#"{"a":1,}"#,
            r#"{"a":1} x"#,
            r#"{"a":01}"#,
            r#"{"a"}"#,
            r#"{1:2}"#,
            "{}",
            "{",
        ]
        .iter()
        .map(|body| body.to_string())
        .collect();
        let verdicts: Vec<bool> = (124..=130)
            .map(|depth| serde_json::from_str::<Value>(&deep(depth)).is_ok())
            .collect();
        assert!(
            verdicts.contains(&true) && verdicts.contains(&false),
            "depths straddle the limit"
        );
        bodies.extend((124..=130).map(deep));
        let tree = |read: Result<Body, Refusal>| {
            read.ok().map(|read| match read {
                Body::Object(object) => Value::Object(object.to_map()),
                Body::Json(value) => value,
                other => panic!("{other:?}"),
            })
        };
        for body in bodies {
            let expected = serde_json::from_str::<Value>(&body).ok();
            let read = tree(parse(Bytes::from(body.clone()), LIMITS));
            assert_eq!(read, expected, "body {body}");
            // A small body, built as read without a count, is read the same.
            if is_small(body.len(), LIMITS) {
                let read = tree(parse_small(Bytes::from(body.clone())));
                assert_eq!(read, expected, "small body {body}");
            }
        }
    }

    fn object(body: &'static str) -> JsonObject {
        match parse(Bytes::from_static(body.as_bytes()), LIMITS) {
            Ok(Body::Object(object)) => object,
            other => panic!("{body} is not read as an object: {other:?}"),
        }
    }

    #[test]
    fn a_repeated_name_reads_its_last_value() {
        let object = object(r#"{"a":"1","b":2,"a":"3"}"#);
        assert_eq!(object.get("a"), Some(RawValue::JsonStr("3")));
        assert_eq!(object.get("b"), Some(RawValue::Json(&serde_json::json!(2))));
        assert_eq!(object.get("c"), None);
    }

    #[test]
    fn an_escaped_name_or_value_is_decoded() {
        let object = object(r#"{"\u0061":"x\ty"}"#);
        assert_eq!(
            object.get("a"),
            Some(RawValue::Json(&Value::String("x\ty".into())))
        );
    }
}
