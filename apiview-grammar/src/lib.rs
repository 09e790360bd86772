//! The small grammars that both `#[apiview]` (at compile time) and the runtime read,
//! in one place so that they cannot drift apart: the HTTP method names of the
//! allow-lists ([`Method`]), cache-key templates ([`KeyTemplate`]), API versions
//! ([`check_version`]) and throttle rates ([`Rate`]).
//!
//! Only `std`: the macro crate and the core both depend on it.
//!
//! ```
//! use apiview_grammar::{KeyTemplate, Method};
//!
//! assert_eq!(Method::parse("POST"), Some(Method::Post));
//! let template = KeyTemplate::parse("add:{a}:{b}").unwrap();
//! assert_eq!(template.names, ["a", "b"]);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod key;
mod method;
mod rate;
mod version;

pub use key::{can_be_in_a_part, KeyTemplate, KeyTemplateError};
pub use method::{Method, UnknownMethod};
pub use rate::{check_scope, Rate, RateError, RateUnit, MAX_RATE_COUNT};
pub use version::{check_version, VersionError, MAX_VERSION_LEN};
