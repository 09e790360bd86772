//! Cache key parts: a value written as escaped key text, and whole keys filled from
//! a template's literals.

use std::fmt;

use serde::ser::{self, Serialize};
use sha2::{Digest, Sha256};

use super::key_writer::Part;
use super::ErasedKeyPart;

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

pub(super) fn push_escaped(key: &mut String, text: &str) {
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

/// Fills a key template's literals with values, escaped as [`key_part`] does, into
/// one string: what `#[cache]` builds its key with. A value that does not serialize
/// is an error naming its placeholder's position; the request is then not cached.
///
/// ```
/// use apiview_core::cache::fill_key;
///
/// assert_eq!(fill_key(&["add:", ":", ""], &[&1, &"x y"]).unwrap(), "add:1:x%20y");
/// assert_eq!(fill_key(&["cls:", ""], &[&f64::NAN]).unwrap(), "cls:NaN");
/// assert_eq!(fill_key(&["cls:", ""], &[&None::<f64>]).unwrap(), "cls:~");
/// ```
pub fn fill_key(literals: &[&str], parts: &[&dyn ErasedKeyPart]) -> Result<String, KeyPartError> {
    let mut key = String::with_capacity(literals.iter().map(|l| l.len()).sum::<usize>() + parts.len() * 8);
    for (index, literal) in literals.iter().enumerate() {
        key.push_str(literal);
        if let Some(part) = parts.get(index) {
            part.push_key_part(&mut key).map_err(|err| err.at(index))?;
        }
    }
    Ok(key)
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

    /// `#[cache]` accepts two placeholders side by side only with a separator that
    /// `apiview_grammar::can_be_in_a_part` says no value can write: the writer here
    /// must keep to those characters, whatever the value.
    #[test]
    fn every_written_character_is_one_the_grammar_allows_in_a_part() {
        #[derive(serde::Serialize)]
        struct Nested<'a> {
            text: &'a str,
            list: Vec<Option<f64>>,
            unit: (),
        }
        let every_char: String = (0u32..0x300).filter_map(char::from_u32).collect();
        let long = "x:".repeat(200);
        let parts = [
            key_part(every_char.as_str()).unwrap(),
            key_part(long.as_str()).unwrap(),
            key_part(&Nested {
                text: "a:b{c}",
                list: vec![Some(-1.5e300), None],
                unit: (),
            })
            .unwrap(),
            key_part(&(-42i64, u64::MAX, true, 'é')).unwrap(),
            key_part(&Option::<u8>::None).unwrap(),
        ];
        for part in &parts {
            if let Some(bad) = part.chars().find(|&c| !apiview_grammar::can_be_in_a_part(c)) {
                panic!("`{bad}` written in the key part {part:?}");
            }
        }
    }
}
