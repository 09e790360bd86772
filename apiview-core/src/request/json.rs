//! A JSON object body, read in one pass by serde_json's own parser, so it accepts
//! and refuses exactly what `serde_json::from_slice::<Value>` does. Strings without
//! escapes (most names and most values) stay ranges of the body instead of each
//! becoming an allocated `String` in an ordered map; other values are parsed as
//! usual. The whole tree is built only when `payload()` or `data()` asks.

use std::fmt;

use bytes::Bytes;
use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{Body, Piece, RawValue};

/// A top-level field's value (or, while reading, its name).
#[derive(Debug)]
enum Field {
    /// A string without escapes: the range of its text (quotes excluded) in the body.
    Str(usize, usize),
    /// Any other value, an escaped string included, parsed.
    Parsed(Value),
}

/// A JSON object body and where its top-level fields are.
#[derive(Debug)]
pub(crate) struct JsonObject {
    text: Bytes,
    /// In the body's order. A repeated name keeps every occurrence; the last one is
    /// the value, as it is in a parsed object.
    fields: Vec<(Piece, Field)>,
}

/// Parses a JSON body: an object as a [`JsonObject`], any other value as a tree.
pub(crate) fn parse(text: Bytes) -> Result<Body, serde_json::Error> {
    if text.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return serde_json::from_slice(&text).map(Body::Json);
    }
    let mut parser = serde_json::Deserializer::from_slice(&text);
    let fields = parser.deserialize_map(Fields { base: &text })?;
    parser.end()?;
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
            Field::Parsed(value) => RawValue::Json(value),
        })
    }

    /// The object as a parsed map, equal to what `serde_json` builds from the body.
    pub(crate) fn to_map(&self) -> Map<String, Value> {
        let mut map = Map::new();
        for (key, field) in &self.fields {
            let value = match field {
                Field::Str(start, end) => Value::String(self.str_at(*start, *end).to_owned()),
                Field::Parsed(value) => value.clone(),
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
}

impl<'de> Visitor<'de> for Fields<'_> {
    type Value = Vec<(Piece, Field)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Vec::new();
        while let Some(key) = map.next_key_seed(FieldValue { base: self.base })? {
            let key = match key {
                Field::Str(start, end) => Piece::Range(start, end),
                Field::Parsed(Value::String(key)) => Piece::Decoded(key),
                Field::Parsed(_) => return Err(de::Error::custom("an object key is not a string")),
            };
            fields.push((key, map.next_value_seed(FieldValue { base: self.base })?));
        }
        Ok(fields)
    }
}

/// Reads one value (a name or a field's value), keeping a string that needs no
/// unescaping as its range.
#[derive(Clone, Copy)]
struct FieldValue<'b> {
    base: &'b [u8],
}

impl<'de> DeserializeSeed<'de> for FieldValue<'_> {
    type Value = Field;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Field, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// Every kind but a string goes through `Value`'s own `Deserialize`, so the value is
/// the one `serde_json` builds.
macro_rules! as_value {
    ($($method:ident($ty:ty);)*) => {$(
        fn $method<E: de::Error>(self, value: $ty) -> Result<Field, E> {
            Value::deserialize(value.into_deserializer()).map(Field::Parsed)
        }
    )*};
}

impl<'de> Visitor<'de> for FieldValue<'_> {
    type Value = Field;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Field, E> {
        Ok(match range_in(self.base, text) {
            Some((start, end)) => Field::Str(start, end),
            None => Field::Parsed(Value::String(text.to_owned())),
        })
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Field, E> {
        Ok(Field::Parsed(Value::String(text.to_owned())))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Field, E> {
        Ok(Field::Parsed(Value::String(text)))
    }

    as_value! {
        visit_bool(bool);
        visit_i64(i64);
        visit_u64(u64);
        visit_f64(f64);
    }

    fn visit_unit<E: de::Error>(self) -> Result<Field, E> {
        Ok(Field::Parsed(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Field, A::Error> {
        let value = Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        Ok(Field::Parsed(value))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Field, A::Error> {
        let value = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(Field::Parsed(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for body in bodies {
            let expected = serde_json::from_str::<Value>(&body).ok();
            let read = parse(Bytes::from(body.clone())).ok().map(|read| match read {
                Body::Object(object) => Value::Object(object.to_map()),
                Body::Json(value) => value,
                other => panic!("{other:?}"),
            });
            assert_eq!(read, expected, "body {body}");
        }
    }

    fn object(body: &'static str) -> JsonObject {
        match parse(Bytes::from_static(body.as_bytes())) {
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
