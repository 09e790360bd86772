//! The lenient deserializers behind [`coerce`](super::coerce): one per kind of
//! request value.

use serde::de::value::{Error, SeqDeserializer};
use serde::de::{self, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::Value;

/// A parameter that is not in the request: only an `Option` accepts it.
pub(super) struct Missing;

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
pub(super) struct TextDe<'a>(pub(super) &'a str);

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
pub(super) struct TextsDe<'a>(pub(super) &'a [&'a str]);

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
pub(super) struct JsonDe<'a>(pub(super) &'a Value);

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
pub(super) struct JsonStrDe<'a>(pub(super) &'a str);

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
