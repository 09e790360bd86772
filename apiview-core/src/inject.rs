//! Coercion of request values into parameter types, through serde.
//!
//! Lenient where the wire is textual: `"42"` becomes an `i64`, `"true"`/`"1"` a
//! `bool`, a single value a `Vec` of one, JSON text in a query parameter a struct.

use serde::de::value::{Error, SeqDeserializer};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::Value;

use crate::error::{BizError, Words};
use crate::request::RawValue;

/// Coerces the value found for parameter `name` (or its absence) into `T`.
///
/// Absent (or JSON `null`) is `None` for an `Option`, and `MissingParameter`
/// otherwise; a value that cannot become `T` is `BadParameterType`.
///
/// ```
/// use apiview_core::inject::coerce;
/// use apiview_core::RawValue;
///
/// let n: i64 = coerce("a", Some(RawValue::Text("42"))).unwrap();
/// assert_eq!(n, 42);
/// let ids: Vec<u8> = coerce("ids", Some(RawValue::Texts(vec!["1", "2"]))).unwrap();
/// assert_eq!(ids, [1, 2]);
/// let missing: Option<String> = coerce("x", None).unwrap();
/// assert_eq!(missing, None);
/// assert_eq!(coerce::<u8>("a", Some(RawValue::Text("300"))).unwrap_err().code(), 1001060003);
/// ```
pub fn coerce<T: DeserializeOwned>(name: &str, raw: Option<RawValue<'_>>) -> Result<T, BizError> {
    let result = match &raw {
        None => T::deserialize(Missing),
        Some(RawValue::Json(value)) => T::deserialize(JsonDe(value)),
        Some(RawValue::JsonStr(text)) => T::deserialize(JsonStrDe(text)),
        Some(RawValue::Text(text)) => T::deserialize(TextDe(text)),
        Some(RawValue::Texts(items)) => T::deserialize(TextsDe(items)),
        // Whatever the type, `Option` included: the client sent a value, not UTF-8.
        Some(RawValue::Undecodable) => {
            tracing::debug!(parameter = name, "parameter's percent-decoding is not UTF-8");
            return Err(BizError::bad_parameter_type_for(name, expected_words::<T>()));
        }
    };
    result.map_err(|err| match raw {
        None | Some(RawValue::Json(Value::Null)) => BizError::missing_parameter(name),
        Some(_) => {
            tracing::debug!(parameter = name, %err, "parameter does not coerce");
            BizError::bad_parameter_type_for(name, expected_words::<T>())
        }
    })
}

/// Describes a parameter type in words for error messages (`i64` → "an integer (i64)").
///
/// ```
/// use apiview_core::inject::expected;
///
/// assert_eq!(expected::<u8>(), "an integer (u8)");
/// assert_eq!(expected::<Option<bool>>(), "a boolean (true, false, 1 or 0)");
/// ```
pub fn expected<T: ?Sized>() -> String {
    expected_words::<T>().to_string()
}

/// [`expected`] in each language of the catalogue.
///
/// ```
/// use apiview_core::inject::expected_words;
/// use apiview_core::Language;
///
/// assert_eq!(expected_words::<Vec<u8>>().in_language(Language::ZhHans), "列表（Vec<u8>）");
/// ```
pub fn expected_words<T: ?Sized>() -> Words {
    let name = short_type_name(std::any::type_name::<T>());
    let inner = name
        .strip_prefix("Option<")
        .and_then(|rest| rest.strip_suffix('>'))
        .unwrap_or(&name);
    match inner {
        "String" | "str" | "&str" | "Cow<str>" => Words::fixed("a string", "字符串"),
        "bool" => Words::fixed("a boolean (true, false, 1 or 0)", "布尔值（true、false、1 或 0）"),
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" | "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => {
            Words::new(format!("an integer ({inner})"), format!("整数（{inner}）"))
        }
        "f32" | "f64" => Words::new(format!("a number ({inner})"), format!("数字（{inner}）")),
        other if other.starts_with("Vec<") => {
            Words::new(format!("a list ({other})"), format!("列表（{other}）"))
        }
        other => Words::new(other.to_owned(), other.to_owned()),
    }
}

fn short_type_name(full: &str) -> String {
    let mut out = String::with_capacity(full.len());
    let mut chars = full.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            while out.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                out.pop();
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A parameter that is not in the request: only an `Option` accepts it.
struct Missing;

impl<'de> de::Deserializer<'de> for Missing {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(de::Error::custom("missing"))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_none()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

/// Methods every lenient deserializer shares: a newtype is its content, a tuple is
/// read as a list.
macro_rules! newtype_and_tuple_methods {
    () => {
        fn deserialize_newtype_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            visitor: V,
        ) -> Result<V::Value, Error> {
            visitor.visit_newtype_struct(self)
        }

        fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
            self.deserialize_seq(visitor)
        }
    };
}

/// The shared methods, and `Some` for an `Option`: for a value that is never `null`.
macro_rules! present_value_methods {
    () => {
        fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_some(self)
        }

        newtype_and_tuple_methods!();
    };
}

/// One textual value.
struct TextDe<'a>(&'a str);

macro_rules! parse_number {
    ($($method:ident => $visit:ident: $ty:ty,)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.0.trim().parse::<$ty>() {
                Ok(number) => visitor.$visit(number),
                Err(err) => Err(de::Error::custom(err)),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for TextDe<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_str(self.0)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let text = self.0.trim();
        if text.eq_ignore_ascii_case("true") || text == "1" {
            visitor.visit_bool(true)
        } else if text.eq_ignore_ascii_case("false") || text == "0" {
            visitor.visit_bool(false)
        } else {
            Err(de::Error::custom("expected true, false, 1 or 0"))
        }
    }

    parse_number! {
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_i128 => visit_i128: i128,
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64,
        deserialize_u128 => visit_u128: u128,
        deserialize_f32 => visit_f32: f32,
        deserialize_f64 => visit_f64: f64,
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.0.is_empty() {
            visitor.visit_unit()
        } else {
            Err(de::Error::custom("expected nothing"))
        }
    }

    newtype_and_tuple_methods!();

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.0.trim_start().starts_with('[') {
            if let Ok(value) = serde_json::from_str::<Value>(self.0) {
                return value.deserialize_seq(visitor).map_err(de::Error::custom);
            }
        }
        visitor.visit_seq(SeqDeserializer::new(std::iter::once(self)))
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let value: Value = serde_json::from_str(self.0).map_err(de::Error::custom)?;
        value.deserialize_map(visitor).map_err(de::Error::custom)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let value: Value = serde_json::from_str(self.0).map_err(de::Error::custom)?;
        value
            .deserialize_struct(name, fields, visitor)
            .map_err(de::Error::custom)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_enum(self.0.into_deserializer())
    }

    forward_to_deserialize_any! {
        char str string bytes byte_buf unit_struct tuple_struct identifier ignored_any
    }
}

impl<'de, 'a> IntoDeserializer<'de, Error> for TextDe<'a> {
    type Deserializer = TextDe<'a>;
    fn into_deserializer(self) -> Self::Deserializer {
        self
    }
}

/// A textual key given several times: a list, never a scalar.
struct TextsDe<'a>(&'a [&'a str]);

impl<'de> de::Deserializer<'de> for TextsDe<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    present_value_methods!();

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_seq(SeqDeserializer::new(self.0.iter().copied().map(TextDe)))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(de::Error::custom("a repeated key is a list, not a single value"))
    }

    forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct tuple_struct map struct enum identifier ignored_any
    }
}

/// A JSON value from the body: strings are read as text (so `"42"` is an integer),
/// a lone value is a list of one, numbers and booleans can be strings.
struct JsonDe<'a>(&'a Value);

macro_rules! via_text_or_json {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.0 {
                Value::String(text) => TextDe(text).$method(visitor),
                value => de::Deserializer::$method(value, visitor).map_err(de::Error::custom),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for JsonDe<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_any(self.0, visitor).map_err(de::Error::custom)
    }

    via_text_or_json! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::String(text) => TextDe(text).deserialize_bool(visitor),
            Value::Number(number) if number.as_u64() == Some(1) => visitor.visit_bool(true),
            Value::Number(number) if number.as_u64() == Some(0) => visitor.visit_bool(false),
            value => de::Deserializer::deserialize_bool(value, visitor).map_err(de::Error::custom),
        }
    }

    /// A JSON value is typed: a string parameter takes a JSON string only, not the
    /// text of a number or a boolean (`{"msg": false}` is not `"false"`).
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_str(self.0, visitor).map_err(de::Error::custom)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    newtype_and_tuple_methods!();

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(items) => visitor.visit_seq(SeqDeserializer::new(items.iter().map(JsonDe))),
            Value::Null => Err(de::Error::custom("expected a list, found null")),
            single => visitor.visit_seq(SeqDeserializer::new(std::iter::once(JsonDe(single)))),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_map(self.0, visitor).map_err(de::Error::custom)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_struct(self.0, name, fields, visitor).map_err(de::Error::custom)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_enum(self.0, name, variants, visitor).map_err(de::Error::custom)
    }

    forward_to_deserialize_any! {
        char bytes byte_buf unit unit_struct tuple_struct identifier ignored_any
    }
}

impl<'de> IntoDeserializer<'de, Error> for JsonDe<'de> {
    type Deserializer = JsonDe<'de>;
    fn into_deserializer(self) -> Self::Deserializer {
        self
    }
}

/// A JSON string borrowed from the body: read as [`JsonDe`] reads the same string in
/// a `Value`, without building one.
struct JsonStrDe<'a>(&'a str);

macro_rules! via_text {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            TextDe(self.0).$method(visitor)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for JsonStrDe<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_borrowed_str(self.0)
    }

    via_text! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64 deserialize_bool
    }

    present_value_methods!();

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_seq(SeqDeserializer::new(std::iter::once(self)))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_enum(de::value::BorrowedStrDeserializer::new(self.0))
    }

    forward_to_deserialize_any! {
        char str string bytes byte_buf unit unit_struct tuple_struct map struct identifier ignored_any
    }
}

impl<'de> IntoDeserializer<'de, Error> for JsonStrDe<'de> {
    type Deserializer = JsonStrDe<'de>;
    fn into_deserializer(self) -> Self::Deserializer {
        self
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct User {
        name: String,
        age: u8,
    }

    #[test]
    fn text_coerces_to_scalars() {
        assert_eq!(coerce::<f64>("x", Some(RawValue::Text("2.5"))).unwrap(), 2.5);
        assert!(coerce::<bool>("x", Some(RawValue::Text("1"))).unwrap());
        assert!(!coerce::<bool>("x", Some(RawValue::Text("false"))).unwrap());
        assert_eq!(coerce::<Vec<i32>>("x", Some(RawValue::Text("7"))).unwrap(), [7]);
        assert_eq!(
            coerce::<Vec<i32>>("x", Some(RawValue::Text("[1,2]"))).unwrap(),
            [1, 2]
        );
        assert_eq!(
            coerce::<Vec<String>>("x", Some(RawValue::Text("a,b"))).unwrap(),
            ["a,b"]
        );
        let user: User = coerce("u", Some(RawValue::Text(r#"{"name":"ann","age":3}"#))).unwrap();
        assert_eq!(user.age, 3);
    }

    #[test]
    fn json_strings_become_numbers_but_not_the_other_way() {
        let body = json!({"a": "42", "s": 42, "one": 5, "list": ["1", 2], "user": {"name": "bo", "age": 9}});
        let field = |name: &str| body.get(name).map(RawValue::Json);
        assert_eq!(coerce::<i64>("a", field("a")).unwrap(), 42);
        // A JSON number is not a string (text wires only are lenient that way).
        assert_eq!(coerce::<String>("s", field("s")).unwrap_err().code(), 1001060003);
        assert_eq!(coerce::<Vec<u32>>("one", field("one")).unwrap(), [5]);
        assert_eq!(coerce::<Vec<u32>>("list", field("list")).unwrap(), [1, 2]);
        assert_eq!(coerce::<User>("user", field("user")).unwrap().name, "bo");
        assert_eq!(
            coerce::<BTreeMap<String, Value>>("user", field("user"))
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn failures_name_the_parameter() {
        let err = coerce::<i64>("a", Some(RawValue::Text("x"))).unwrap_err();
        assert_eq!(err.code(), 1001060003);
        assert_eq!(err.message(), "Bad parameter type: a. Expected an integer (i64).");
        let err = coerce::<i8>("a", Some(RawValue::Json(&json!(300)))).unwrap_err();
        assert_eq!(err.code(), 1001060003);
        let err = coerce::<i64>("a", Some(RawValue::Json(&json!([1, 2])))).unwrap_err();
        assert_eq!(err.code(), 1001060003);
        let err = coerce::<i64>("a", Some(RawValue::Texts(vec!["1", "2"]))).unwrap_err();
        assert_eq!(err.code(), 1001060003);
        let err = coerce::<String>("a", Some(RawValue::Json(&Value::Null))).unwrap_err();
        assert_eq!(err.code(), 1001060001);
        assert_eq!(
            coerce::<Option<String>>("a", Some(RawValue::Json(&Value::Null))).unwrap(),
            None
        );
    }

    #[test]
    fn type_names_are_short() {
        assert_eq!(
            short_type_name("alloc::vec::Vec<core::option::Option<i64>>"),
            "Vec<Option<i64>>"
        );
        assert_eq!(expected::<Option<String>>(), "a string");
    }
}
