//! Cache-key templates: `"add:{a}:{b}"`, placeholders filled from an endpoint's
//! parameters.

use std::fmt;

/// A key template split into literal text and placeholder names:
/// `"add:{a}:{b}"` → literals `["add:", ":", ""]`, names `["a", "b"]`. `{{` and
/// `}}` are literal braces.
///
/// ```
/// use apiview_grammar::KeyTemplate;
///
/// let template = KeyTemplate::parse("add:{a}:{b}").unwrap();
/// assert_eq!(template.literals, ["add:", ":", ""]);
/// assert_eq!(template.names, ["a", "b"]);
/// assert_eq!(KeyTemplate::parse("a:{{lit}}").unwrap().literals, ["a:{lit}"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyTemplate {
    /// The literal text around the placeholders (one more than the names).
    pub literals: Vec<String>,
    /// The placeholder names, in order.
    pub names: Vec<String>,
}

/// Why a key template was refused. Its `Display` is the message users see.
///
/// ```
/// use apiview_grammar::{KeyTemplate, KeyTemplateError};
///
/// let err = KeyTemplate::parse("add:{a").unwrap_err();
/// assert_eq!(err, KeyTemplateError::Unclosed { name: "a".into() });
/// assert_eq!(err.to_string(), "placeholder `{a` is not closed with `}`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyTemplateError {
    /// A character that cannot be in a placeholder name: `{a b}`.
    BadNameChar {
        /// The character.
        found: char,
        /// The name read before it.
        name: String,
    },
    /// `{a` without its `}`.
    Unclosed {
        /// The name read.
        name: String,
    },
    /// `{}`.
    EmptyPlaceholder,
    /// A `}` that closes nothing.
    LoneBrace,
    /// `*`, `?` or `[`, which would make keys that match other keys as a glob.
    Glob,
    /// Two placeholders with nothing between them that no value can write.
    NoSeparator {
        /// The placeholder before.
        before: String,
        /// The placeholder after.
        after: String,
    },
}

impl fmt::Display for KeyTemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyTemplateError::BadNameChar { found, name } => {
                write!(f, "`{found}` cannot be part of a placeholder name in `{{{name}`")
            }
            KeyTemplateError::Unclosed { name } => write!(f, "placeholder `{{{name}` is not closed with `}}`"),
            KeyTemplateError::EmptyPlaceholder => {
                f.write_str("empty placeholder `{}`; name a parameter, like `{id}`")
            }
            KeyTemplateError::LoneBrace => f.write_str("a lone `}`; write `}}` for a literal brace"),
            KeyTemplateError::Glob => f.write_str(
                "a key template cannot hold glob characters (`*`, `?`, `[`): they would make keys that match \
                 other keys",
            ),
            KeyTemplateError::NoSeparator { before, after } => write!(
                f,
                "`{{{before}}}` and `{{{after}}}` need a separator between them that no value can write, such \
                 as `:` (values are written with letters, digits and `_.-%!#~`); without one, two pairs of \
                 values would fill the same key"
            ),
        }
    }
}

impl std::error::Error for KeyTemplateError {}

impl KeyTemplate {
    /// Reads the template's syntax: `{name}` placeholders (letters, digits, `_`),
    /// `{{` and `}}` for literal braces. This is what the runtime needs to fill or
    /// invalidate a key; [`KeyTemplate::check_unambiguous`] adds the rules
    /// `#[cache]` enforces at compile time.
    ///
    /// ```
    /// use apiview_grammar::{KeyTemplate, KeyTemplateError};
    ///
    /// assert_eq!(KeyTemplate::parse("a:{}"), Err(KeyTemplateError::EmptyPlaceholder));
    /// assert_eq!(KeyTemplate::parse("a:}"), Err(KeyTemplateError::LoneBrace));
    /// assert!(matches!(KeyTemplate::parse("a:{x y}"), Err(KeyTemplateError::BadNameChar { found: ' ', .. })));
    /// assert_eq!(KeyTemplate::parse("plain").unwrap().names, Vec::<String>::new());
    /// ```
    pub fn parse(template: &str) -> Result<KeyTemplate, KeyTemplateError> {
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
                            Some(found) => return Err(KeyTemplateError::BadNameChar { found, name }),
                            None => return Err(KeyTemplateError::Unclosed { name }),
                        }
                    }
                    if name.is_empty() {
                        return Err(KeyTemplateError::EmptyPlaceholder);
                    }
                    literals.push(std::mem::take(&mut literal));
                    names.push(name);
                }
                '}' => return Err(KeyTemplateError::LoneBrace),
                c => literal.push(c),
            }
        }
        literals.push(literal);
        Ok(KeyTemplate { literals, names })
    }

    /// The rules that keep two different sets of values from filling the same key,
    /// or a key from matching others as a glob: no `*`, `?` or `[` in the literal
    /// text, and between two placeholders at least one character that no filled
    /// value can write (see [`can_be_in_a_part`]).
    ///
    /// ```
    /// use apiview_grammar::{KeyTemplate, KeyTemplateError};
    ///
    /// let check = |text: &str| KeyTemplate::parse(text).unwrap().check_unambiguous();
    /// assert_eq!(check("a:{x}:{y}"), Ok(()));
    /// assert_eq!(check("{x}/{y}"), Ok(()));
    /// assert_eq!(check("a:*:{x}"), Err(KeyTemplateError::Glob));
    /// assert_eq!(
    ///     check("a:{x}-{y}"),
    ///     Err(KeyTemplateError::NoSeparator { before: "x".into(), after: "y".into() }),
    /// );
    /// ```
    pub fn check_unambiguous(&self) -> Result<(), KeyTemplateError> {
        if self
            .literals
            .iter()
            .any(|literal| literal.contains(['*', '?', '[']))
        {
            return Err(KeyTemplateError::Glob);
        }
        for (index, between) in self.literals.iter().enumerate().take(self.names.len()).skip(1) {
            if between.chars().all(can_be_in_a_part) {
                return Err(KeyTemplateError::NoSeparator {
                    before: self.names[index - 1].clone(),
                    after: self.names[index].clone(),
                });
            }
        }
        Ok(())
    }
}

/// Whether a filled value can hold `c`: values are written with ASCII letters and
/// digits, `_ . -` as themselves, `%` escapes, `!` marking a string that reads like
/// another value, `#` before a digest and `~` for an absent value.
///
/// ```
/// use apiview_grammar::can_be_in_a_part;
///
/// assert!(can_be_in_a_part('a') && can_be_in_a_part('~') && can_be_in_a_part('%'));
/// assert!(!can_be_in_a_part(':') && !can_be_in_a_part('/') && !can_be_in_a_part('é'));
/// ```
pub fn can_be_in_a_part(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '%' | '!' | '#' | '~')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(template: &str) -> Result<(), KeyTemplateError> {
        KeyTemplate::parse(template)?.check_unambiguous()
    }

    #[test]
    fn placeholders_need_a_separator_no_value_can_write() {
        for template in [
            "a:{x}{y}",
            "a:{x}-{y}",
            "{x}_{y}:z",
            "{x}~{y}",
            "{x}.{y}",
            "{a}:{x}%{y}",
        ] {
            let problem = check(template).unwrap_err().to_string();
            assert!(problem.contains("need a separator"), "{template}: {problem}");
        }
        for template in [
            "a:{x}:{y}",
            "{x}/{y}",
            "{x}-:{y}",
            "x{a}y",
            "{a}",
            "n:{a}:{b}:{c}",
        ] {
            assert!(check(template).is_ok(), "{template}");
        }
        let problem = check("a:{x}{y}").unwrap_err().to_string();
        assert!(problem.starts_with("`{x}` and `{y}`"), "{problem}");
    }

    #[test]
    fn glob_characters_anywhere_are_refused() {
        for template in ["a*:{x}", "{x}:?", "[a]:{x}"] {
            assert_eq!(check(template), Err(KeyTemplateError::Glob), "{template}");
        }
    }
}
