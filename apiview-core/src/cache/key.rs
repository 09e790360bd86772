//! Cache keys: templates filled with escaped values, and the glob matching the memory
//! backend needs for `delete_pattern`.

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Longer escaped values are replaced by their digest, so that a 10 kB parameter
/// does not make a 30 kB key.
const LONGEST_PART: usize = 128;

/// One template value as key text: strings as they are, other values as JSON,
/// `null` as `~`; then escaped. A string whose text is itself a non-string JSON
/// value (`"42"`, `"true"`, `"[1]"`) is marked with `!`, so that it never shares a key
/// with that value (`42`) when a parameter keeps its JSON type.
///
/// Escaping percent-encodes every byte outside `[A-Za-z0-9_.-]`, so no value can
/// produce a `:` (another key's shape), a glob character or a newline, and distinct
/// values stay distinct. `~` (null), `!` (marked string) and `#` (digest) never come
/// out of escaping.
///
/// ```
/// use apiview_core::cache::key_part;
///
/// assert_eq!(key_part(&"add"), "add");
/// assert_eq!(key_part(&42), "42");
/// assert_eq!(key_part(&None::<String>), "~");
/// assert_eq!(key_part(&serde_json::json!(42)), "42");
/// assert_eq!(key_part(&"42"), "!42");
/// assert_eq!(key_part(&"1:*?[x]\n"), "1%3A%2A%3F%5Bx%5D%0A");
/// assert!(key_part(&"x".repeat(10_000)).starts_with('#'));
/// ```
pub fn key_part<T: Serialize + ?Sized>(value: &T) -> String {
    let mut part = String::new();
    push_key_part(&mut part, value);
    part
}

/// Appends the [`key_part`] of `value` to `key`, without a string of its own.
///
/// ```
/// use apiview_core::cache::push_key_part;
///
/// let mut key = String::from("add:");
/// push_key_part(&mut key, &1);
/// key.push(':');
/// push_key_part(&mut key, "a b");
/// assert_eq!(key, "add:1:a%20b");
/// ```
pub fn push_key_part<T: Serialize + ?Sized>(key: &mut String, value: &T) {
    match serde_json::to_value(value) {
        Ok(Value::Null) | Err(_) => key.push('~'),
        Ok(Value::String(text)) => {
            if reads_as_json_non_string(&text) {
                key.push('!');
            }
            push_escaped(key, &text);
        }
        // Integers are digits and `-`, which escaping keeps: no text to build twice.
        Ok(Value::Number(number)) if number.is_i64() || number.is_u64() => {
            let mut digits = itoa::Buffer::new();
            key.push_str(match number.as_i64() {
                Some(int) => digits.format(int),
                None => digits.format(number.as_u64().unwrap_or_default()),
            });
        }
        Ok(other) => push_escaped(key, &other.to_string()),
    }
}

fn reads_as_json_non_string(text: &str) -> bool {
    let starts_like_json = text
        .trim_start()
        .starts_with(|c: char| c.is_ascii_digit() || matches!(c, '-' | 't' | 'f' | 'n' | '[' | '{'));
    starts_like_json && serde_json::from_str::<Value>(text).is_ok_and(|value| !value.is_string())
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
    /// assert_eq!(template.fill(&[key_part(&1), key_part(&2)]), "add:1:2");
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
        let escaped: std::collections::HashSet<String> = values.iter().map(key_part).collect();
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
