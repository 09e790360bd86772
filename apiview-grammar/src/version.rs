//! The text of an API version (DESIGN §16): what `#[apiview(versions = [..])]`
//! and settings' `versioning.allowed` may write, and what a request may name.

use std::fmt;

/// The longest version text, in bytes.
pub const MAX_VERSION_LEN: usize = 64;

/// Why a text is not a version.
///
/// ```
/// use apiview_grammar::{check_version, VersionError};
///
/// assert_eq!(check_version(""), Err(VersionError::Empty));
/// assert_eq!(check_version("v 2").unwrap_err().to_string(),
///            "`v 2` is not a version: use letters, digits, `.`, `_` and `-`, like \"v2\" or \"2024-01-01\"");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionError {
    /// No text at all.
    Empty,
    /// Longer than [`MAX_VERSION_LEN`] bytes.
    TooLong,
    /// A character outside `[A-Za-z0-9._-]`.
    BadCharacter(String),
}

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionError::Empty => f.write_str("a version cannot be empty"),
            VersionError::TooLong => write!(f, "a version is at most {MAX_VERSION_LEN} characters"),
            VersionError::BadCharacter(text) => write!(
                f,
                "`{text}` is not a version: use letters, digits, `.`, `_` and `-`, like \"v2\" or \"2024-01-01\""
            ),
        }
    }
}

impl std::error::Error for VersionError {}

/// Checks a version's text: 1 to 64 ASCII letters, digits, `.`, `_` or `-`, so that
/// it travels unchanged in a path segment, a query string, a header and an `Accept`
/// media type parameter.
///
/// ```
/// use apiview_grammar::check_version;
///
/// assert!(check_version("v2").is_ok() && check_version("2024-01-01").is_ok() && check_version("1.0").is_ok());
/// assert!(check_version("v2/x").is_err() && check_version("é").is_err() && check_version(&"v".repeat(65)).is_err());
/// ```
pub fn check_version(text: &str) -> Result<(), VersionError> {
    if text.is_empty() {
        return Err(VersionError::Empty);
    }
    if text.len() > MAX_VERSION_LEN {
        return Err(VersionError::TooLong);
    }
    if !text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(VersionError::BadCharacter(text.to_owned()));
    }
    Ok(())
}
