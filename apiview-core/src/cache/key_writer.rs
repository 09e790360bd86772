//! The serde serializer behind [`push_key_part`](super::push_key_part): one value
//! written as key text, escaped so that no two values share a key.

use std::fmt;

use serde::ser::{self, Serialize};

use super::key::{push_escaped, KeyPartError};

/// Whether a string's text could be the key text of a value that is not a string: a
/// number (`42`, `1.5e-7`, `inf`, `NaN`), `true`, `false`, or a list or map (`[..`,
/// `{..`). Such a string is marked with `!`. Marking more strings than needed costs
/// nothing but readability; marking fewer would let a string share a key.
fn could_be_another_value(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    match text.as_bytes().first() {
        None => false,
        Some(b'[' | b'{') => true,
        _ => {
            matches!(text, "true" | "false" | "null")
                || matches!(unsigned, "inf" | "NaN")
                || (unsigned.starts_with(|c: char| c.is_ascii_digit())
                    && unsigned
                        .bytes()
                        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-')))
        }
    }
}

/// A float's key text: Rust's shortest round-trip form (`1.0`, `1e300`, `-0.0`), and
/// `inf`, `-inf`, `NaN`, `-NaN` for the values JSON cannot hold.
fn push_float(out: &mut String, debug: fmt::Arguments<'_>, negative_nan: bool) {
    use fmt::Write;
    if negative_nan {
        out.push('-');
    }
    let _ = out.write_fmt(debug);
}

/// The serializer behind [`push_key_part`](super::push_key_part). At the top (`nested: false`) it writes the
/// part itself; inside a list or a map it writes the list's raw text, which is escaped
/// as a whole when the outermost list ends.
pub(super) struct Part<'a> {
    pub(super) out: &'a mut String,
    pub(super) nested: bool,
}

impl<'a> Part<'a> {
    fn text(self, text: &str) -> Result<(), KeyPartError> {
        if self.nested {
            self.out.push('"');
            for c in text.chars() {
                if matches!(c, '"' | '\\') {
                    self.out.push('\\');
                }
                self.out.push(c);
            }
            self.out.push('"');
        } else {
            if could_be_another_value(text) {
                self.out.push('!');
            }
            push_escaped(self.out, text);
        }
        Ok(())
    }

    fn raw(self, text: &str) -> Result<(), KeyPartError> {
        self.out.push_str(text);
        Ok(())
    }

    fn compound(self, open: &'static str, close: &'static str) -> Compound<'a> {
        let start = self.out.len();
        self.out.push_str(open);
        Compound {
            out: self.out,
            start,
            top: !self.nested,
            first: true,
            close,
        }
    }
}

macro_rules! integers {
    ($($method:ident: $ty:ty),*) => {
        $(fn $method(self, value: $ty) -> Result<(), KeyPartError> {
            self.raw(itoa::Buffer::new().format(value))
        })*
    };
}

impl<'a> ser::Serializer for Part<'a> {
    type Ok = ();
    type Error = KeyPartError;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    integers!(
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64, serialize_i128: i128,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64, serialize_u128: u128
    );

    fn serialize_bool(self, value: bool) -> Result<(), KeyPartError> {
        self.raw(if value { "true" } else { "false" })
    }

    fn serialize_f32(self, value: f32) -> Result<(), KeyPartError> {
        push_float(
            self.out,
            format_args!("{value:?}"),
            value.is_nan() && value.is_sign_negative(),
        );
        Ok(())
    }

    fn serialize_f64(self, value: f64) -> Result<(), KeyPartError> {
        push_float(
            self.out,
            format_args!("{value:?}"),
            value.is_nan() && value.is_sign_negative(),
        );
        Ok(())
    }

    fn serialize_char(self, value: char) -> Result<(), KeyPartError> {
        self.text(value.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, value: &str) -> Result<(), KeyPartError> {
        self.text(value)
    }

    fn serialize_bytes(self, value: &[u8]) -> Result<(), KeyPartError> {
        use ser::SerializeSeq;
        let mut list = self.compound("[", "]");
        for byte in value {
            list.serialize_element(byte)?;
        }
        list.end()
    }

    fn serialize_none(self) -> Result<(), KeyPartError> {
        self.raw("~")
    }

    /// `Some(x)` is written as `x`, unless `x` itself starts with `~` (a `None` or a
    /// unit): then one more `~` keeps `Some(None)` apart from `None`.
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), KeyPartError> {
        let start = self.out.len();
        value.serialize(Part {
            out: self.out,
            nested: self.nested,
        })?;
        if self.out[start..].starts_with('~') {
            self.out.insert(start, '~');
        }
        Ok(())
    }

    fn serialize_unit(self) -> Result<(), KeyPartError> {
        self.raw("~")
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), KeyPartError> {
        self.raw("~")
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), KeyPartError> {
        self.text(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), KeyPartError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), KeyPartError> {
        use ser::SerializeMap;
        let mut map = self.compound("{", "}");
        map.serialize_entry(variant, value)?;
        map.end()
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>, KeyPartError> {
        Ok(self.compound("[", "]"))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Compound<'a>, KeyPartError> {
        Ok(self.compound("[", "]"))
    }

    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'a>, KeyPartError> {
        Ok(self.compound("[", "]"))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, KeyPartError> {
        let mut outer = self.compound("{", "]}");
        outer.label(variant);
        outer.out.push('[');
        Ok(outer)
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a>, KeyPartError> {
        Ok(self.compound("{", "}"))
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'a>, KeyPartError> {
        Ok(self.compound("{", "}"))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, KeyPartError> {
        let mut outer = self.compound("{", "}}");
        outer.label(variant);
        outer.out.push('{');
        Ok(outer)
    }
}

/// A list or a map being written: JSON-like raw text (strings quoted), escaped as a
/// whole when the outermost one ends.
pub(super) struct Compound<'a> {
    out: &'a mut String,
    start: usize,
    top: bool,
    first: bool,
    close: &'static str,
}

impl Compound<'_> {
    fn separate(&mut self) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
    }

    fn nested(&mut self) -> Part<'_> {
        Part {
            out: self.out,
            nested: true,
        }
    }

    /// `"name":`, for a struct's field or an enum's variant.
    fn label(&mut self, name: &str) {
        let _ = self.nested().text(name);
        self.out.push(':');
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), KeyPartError> {
        self.separate();
        value.serialize(self.nested())
    }

    fn finish(self) -> Result<(), KeyPartError> {
        self.out.push_str(self.close);
        if self.top {
            let raw = self.out.split_off(self.start);
            push_escaped(self.out, &raw);
        }
        Ok(())
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = KeyPartError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), KeyPartError> {
        self.element(value)
    }

    fn end(self) -> Result<(), KeyPartError> {
        self.finish()
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = KeyPartError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), KeyPartError> {
        self.element(value)
    }

    fn end(self) -> Result<(), KeyPartError> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = KeyPartError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), KeyPartError> {
        self.element(value)
    }

    fn end(self) -> Result<(), KeyPartError> {
        self.finish()
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = KeyPartError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), KeyPartError> {
        self.element(value)
    }

    fn end(self) -> Result<(), KeyPartError> {
        self.finish()
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = KeyPartError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), KeyPartError> {
        self.element(key)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), KeyPartError> {
        self.out.push(':');
        value.serialize(self.nested())
    }

    fn end(self) -> Result<(), KeyPartError> {
        self.finish()
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = KeyPartError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), KeyPartError> {
        self.separate();
        self.label(name);
        value.serialize(self.nested())
    }

    fn end(self) -> Result<(), KeyPartError> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = KeyPartError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), KeyPartError> {
        self.separate();
        self.label(name);
        value.serialize(self.nested())
    }

    fn end(self) -> Result<(), KeyPartError> {
        self.finish()
    }
}
