//! Cache keys: templates filled with escaped values, and the glob matching the memory
//! backend needs for `delete_pattern`.

use std::fmt;

use serde::ser::{self, Serialize};
use sha2::{Digest, Sha256};

/// Longer escaped values are replaced by their digest, so that a 10 kB parameter
/// does not make a 30 kB key.
const LONGEST_PART: usize = 128;

/// A value that cannot be part of a cache key: its `Serialize` implementation failed.
/// The request is then computed without the cache, never given a key shared with
/// another value.
///
/// ```
/// use apiview_core::cache::key_part;
///
/// struct Refuses;
/// impl serde::Serialize for Refuses {
///     fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
///         Err(serde::ser::Error::custom("not today"))
///     }
/// }
/// let err = key_part(&Refuses).unwrap_err();
/// assert_eq!(err.placeholder(), 0);
/// assert!(err.to_string().contains("not today"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPartError {
    placeholder: usize,
    message: String,
}

impl KeyPartError {
    /// Which value of the template failed: 0 for the first placeholder.
    pub fn placeholder(&self) -> usize {
        self.placeholder
    }

    pub(crate) fn at(mut self, placeholder: usize) -> Self {
        self.placeholder = placeholder;
        self
    }
}

impl fmt::Display for KeyPartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the value does not serialize: {}", self.message)
    }
}

impl std::error::Error for KeyPartError {}

impl ser::Error for KeyPartError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        KeyPartError {
            placeholder: 0,
            message: message.to_string(),
        }
    }
}

#[doc = include_str!("docs/key_part.md")]
///
/// ```
/// use apiview_core::cache::key_part;
///
/// assert_eq!(key_part(&"add").unwrap(), "add");
/// assert_eq!(key_part(&42).unwrap(), "42");
/// assert_eq!(key_part(&None::<String>).unwrap(), "~");
/// assert_eq!(key_part(&Some(None::<String>)).unwrap(), "~~");
/// assert_eq!(key_part(&serde_json::json!(42)).unwrap(), "42");
/// assert_eq!(key_part(&"42").unwrap(), "!42");
/// assert_eq!(key_part(&f64::INFINITY).unwrap(), "inf");
/// assert_eq!(key_part(&"inf").unwrap(), "!inf");
/// assert_eq!(key_part(&f64::NAN).unwrap(), "NaN");
/// assert_eq!(key_part(&i128::MAX).unwrap(), "170141183460469231731687303715884105727");
/// assert_eq!(key_part(&vec!["a", "b"]).unwrap(), "%5B%22a%22%2C%22b%22%5D");
/// assert_eq!(key_part(&vec!["a,b"]).unwrap(), "%5B%22a%2Cb%22%5D");
/// assert_eq!(key_part(&"1:*?[x]\n").unwrap(), "1%3A%2A%3F%5Bx%5D%0A");
/// assert!(key_part(&"x".repeat(10_000)).unwrap().starts_with('#'));
/// ```
pub fn key_part<T: Serialize + ?Sized>(value: &T) -> Result<String, KeyPartError> {
    let mut part = String::new();
    push_key_part(&mut part, value)?;
    Ok(part)
}

/// Appends the [`key_part`] of `value` to `key`, without a string of its own. On an
/// error `key` is left as it was.
///
/// ```
/// use apiview_core::cache::push_key_part;
///
/// let mut key = String::from("add:");
/// push_key_part(&mut key, &1).unwrap();
/// key.push(':');
/// push_key_part(&mut key, "a b").unwrap();
/// assert_eq!(key, "add:1:a%20b");
/// ```
pub fn push_key_part<T: Serialize + ?Sized>(key: &mut String, value: &T) -> Result<(), KeyPartError> {
    let start = key.len();
    let written = value.serialize(Part {
        out: key,
        nested: false,
    });
    if written.is_err() {
        key.truncate(start);
    }
    written
}

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

/// The serializer behind [`push_key_part`]. At the top (`nested: false`) it writes the
/// part itself; inside a list or a map it writes the list's raw text, which is escaped
/// as a whole when the outermost list ends.
struct Part<'a> {
    out: &'a mut String,
    nested: bool,
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
struct Compound<'a> {
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

/// Escapes raw text for a key (see [`key_part`]).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(&mut out, text);
    out
}

fn push_escaped(key: &mut String, text: &str) {
    let start = key.len();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-') {
            key.push(byte as char);
        } else {
            key.push('%');
            key.push(char::from(b"0123456789ABCDEF"[usize::from(byte >> 4)]));
            key.push(char::from(b"0123456789ABCDEF"[usize::from(byte & 15)]));
        }
    }
    if key.len() - start > LONGEST_PART {
        let digest = Sha256::digest(&key.as_bytes()[start..]);
        key.truncate(start);
        key.push('#');
        for byte in digest {
            key.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
            key.push(char::from(b"0123456789abcdef"[usize::from(byte & 15)]));
        }
    }
}

/// A key template split into literal text and placeholder names:
/// `"add:{a}:{b}"` → literals `["add:", ":", ""]`, names `["a", "b"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The literal text around the placeholders (one more than the names).
    pub literals: Vec<String>,
    /// The placeholder names, in order.
    pub names: Vec<String>,
}

impl Template {
    /// Parses `{name}` placeholders; `{{` and `}}` are literal braces.
    ///
    /// ```
    /// use apiview_core::cache::Template;
    ///
    /// let template = Template::parse("add:{a}:{b}").unwrap();
    /// assert_eq!(template.names, ["a", "b"]);
    /// assert!(Template::parse("add:{a").is_err());
    /// ```
    pub fn parse(template: &str) -> Result<Template, String> {
        let mut literals = Vec::new();
        let mut names = Vec::new();
        let mut literal = String::new();
        let mut chars = template.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) if c.is_alphanumeric() || c == '_' => name.push(c),
                            Some(c) => {
                                return Err(format!(
                                    "`{c}` cannot be part of a placeholder name in `{{{name}`"
                                ))
                            }
                            None => return Err(format!("placeholder `{{{name}` is not closed with `}}`")),
                        }
                    }
                    if name.is_empty() {
                        return Err("empty placeholder `{}`; name a parameter, like `{id}`".into());
                    }
                    literals.push(std::mem::take(&mut literal));
                    names.push(name);
                }
                '}' => return Err("a lone `}`; write `}}` for a literal brace".into()),
                c => literal.push(c),
            }
        }
        literals.push(literal);
        Ok(Template { literals, names })
    }

    /// Fills the template with already escaped parts, one per name.
    ///
    /// ```
    /// use apiview_core::cache::{key_part, Template};
    ///
    /// let template = Template::parse("add:{a}:{b}").unwrap();
    /// assert_eq!(template.fill(&[key_part(&1).unwrap(), key_part(&2).unwrap()]), "add:1:2");
    /// ```
    pub fn fill(&self, parts: &[String]) -> String {
        fill(
            &self.literals.iter().map(String::as_str).collect::<Vec<_>>(),
            parts,
        )
    }
}

/// Joins literal text and escaped parts: `literals[0] parts[0] literals[1] …`.
///
/// ```
/// assert_eq!(apiview_core::cache::fill(&["n:", ""], &["7".to_owned()]), "n:7");
/// ```
pub fn fill(literals: &[&str], parts: &[String]) -> String {
    let mut key = String::with_capacity(literals.iter().map(|l| l.len()).sum::<usize>() + parts.len() * 8);
    for (index, literal) in literals.iter().enumerate() {
        key.push_str(literal);
        if let Some(part) = parts.get(index) {
            key.push_str(part);
        }
    }
    key
}

/// Redis-style glob matching (`*`, `?`, `[abc]`, `[a-z]`, `[^a]`, `\x`), for the
/// memory backend's `delete_pattern`.
///
/// ```
/// use apiview_core::cache::glob_match;
///
/// assert!(glob_match("add:1:*", "add:1:2"));
/// assert!(!glob_match("add:1:*", "add:12:2"));
/// assert!(glob_match("n:?", "n:x") && glob_match("n:[a-c]", "n:b") && !glob_match("n:[^a-c]", "n:b"));
/// ```
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    glob(&pattern, &text)
}

fn glob(pattern: &[char], text: &[char]) -> bool {
    let Some((&first, rest)) = pattern.split_first() else {
        return text.is_empty();
    };
    match first {
        '*' => (0..=text.len()).any(|skip| glob(rest, &text[skip..])),
        '?' => !text.is_empty() && glob(rest, &text[1..]),
        '[' => {
            let Some((&c, text_rest)) = text.split_first() else {
                return false;
            };
            let Some(close) = rest.iter().position(|&p| p == ']') else {
                return c == '[' && glob(rest, text_rest);
            };
            let (class, after) = (&rest[..close], &rest[close + 1..]);
            let (negate, class) = match class.split_first() {
                Some(('^', class)) => (true, class),
                _ => (false, class),
            };
            let mut matched = false;
            let mut index = 0;
            while index < class.len() {
                if index + 2 < class.len() && class[index + 1] == '-' {
                    matched |= class[index] <= c && c <= class[index + 2];
                    index += 3;
                } else {
                    matched |= class[index] == c;
                    index += 1;
                }
            }
            matched != negate && glob(after, text_rest)
        }
        '\\' if !rest.is_empty() => !text.is_empty() && text[0] == rest[0] && glob(&rest[1..], &text[1..]),
        c => !text.is_empty() && text[0] == c && glob(rest, &text[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_is_injective_on_tricky_values() {
        let values = ["a:b", "a%3Ab", "*", "?", "[", "\n", "~", "#", "", " ", "!", "42"];
        let escaped: std::collections::HashSet<String> =
            values.iter().map(|v| key_part(v).unwrap()).collect();
        assert_eq!(escaped.len(), values.len());
        for part in &escaped {
            assert!(
                !part.contains([':', '*', '?', '[', ']', '\n', '{', '}']),
                "{part}"
            );
        }
    }

    #[test]
    fn templates_reject_malformed_placeholders() {
        assert!(Template::parse("a:{}").is_err());
        assert!(Template::parse("a:{x y}").is_err());
        assert!(Template::parse("a:}").is_err());
        assert_eq!(Template::parse("a:{{lit}}").unwrap().literals, ["a:{lit}"]);
    }
}
