//! The doc-comment model of apiview endpoints (django-apiview's docstring grammar).
//!
//! This version splits a doc comment into its summary and description; the
//! `@methods` / `@parameter` / `@response` blocks below the `--------` line are kept
//! as text for the OpenAPI document, which a later version builds.

#![warn(missing_docs)]

/// An endpoint's doc comment, split as django-apiview splits a docstring.
///
/// ```
/// use apiview_swagger::DocComment;
///
/// let doc = DocComment::parse("Echo the message back.\n\nIts length must be within [2, 4096].\n\n--------\n@methods: post\n");
/// assert_eq!(doc.summary, "Echo the message back.");
/// assert_eq!(doc.description, "Its length must be within [2, 4096].");
/// assert_eq!(doc.spec, "@methods: post");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DocComment {
    /// The first non-empty line.
    pub summary: String,
    /// The lines after the summary and above the separator (a line of 8 or more `-`).
    pub description: String,
    /// Everything below the separator: `@methods`, `@parameter`, `@response` blocks.
    pub spec: String,
}

impl DocComment {
    /// Splits `text` (common indentation already removed; see [`dedent`]).
    ///
    /// ```
    /// let doc = apiview_swagger::DocComment::parse("Ping.\n--------\n@methods: get");
    /// assert_eq!((doc.summary.as_str(), doc.spec.as_str()), ("Ping.", "@methods: get"));
    /// ```
    pub fn parse(text: &str) -> DocComment {
        let text = text.replace("\r\n", "\n");
        let mut lines = text.lines();
        let mut above = Vec::new();
        let mut below = Vec::new();
        let mut separated = false;
        for line in lines.by_ref() {
            if !separated && is_separator(line) {
                separated = true;
                continue;
            }
            if separated {
                below.push(line);
            } else {
                above.push(line);
            }
        }
        let first = above.iter().position(|line| !line.trim().is_empty());
        let (summary, description) = match first {
            Some(index) => (
                above[index].trim().to_owned(),
                above[index + 1..].join("\n").trim().to_owned(),
            ),
            None => (String::new(), String::new()),
        };
        DocComment {
            summary,
            description,
            spec: below.join("\n").trim().to_owned(),
        }
    }
}

/// A line holding 8 or more `-` and nothing else.
///
/// ```
/// assert!(apiview_swagger::is_separator("  --------  "));
/// assert!(!apiview_swagger::is_separator("-------"));
/// ```
pub fn is_separator(line: &str) -> bool {
    let line = line.trim();
    line.len() >= 8 && line.bytes().all(|b| b == b'-')
}

/// Removes the indentation common to every non-empty line, keeping relative
/// indentation (YAML blocks and markdown survive).
///
/// ```
/// assert_eq!(apiview_swagger::dedent(" a\n   b\n\n c"), "a\n  b\n\nc");
/// ```
pub fn dedent(text: &str) -> String {
    let common = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.chars().take_while(|c| c.is_whitespace()).count())
        .min()
        .unwrap_or(0);
    text.lines()
        .map(|line| {
            if line.trim().is_empty() {
                String::new()
            } else {
                line.chars().skip(common).collect()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_separator_means_no_spec() {
        let doc = DocComment::parse("Only a summary.\r\nAnd a description.");
        assert_eq!(doc.summary, "Only a summary.");
        assert_eq!(doc.description, "And a description.");
        assert_eq!(doc.spec, "");
    }

    #[test]
    fn empty_doc_is_empty() {
        assert_eq!(DocComment::parse(""), DocComment::default());
    }

    #[test]
    fn dedent_handles_tabs_and_unicode() {
        assert_eq!(dedent("\t总是\n\t\tpong"), "总是\n\tpong");
        assert_eq!(dedent("\u{3000}全角\n\u{3000}\u{3000}x"), "全角\n\u{3000}x");
    }
}
