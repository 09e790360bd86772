//! The HTTP methods an endpoint's allow-list can name.

use std::fmt;

/// A method of the allow-lists: `#[allow_get]`, `#[methods(get, post)]`, a doc
/// comment's `@methods: get, post` and settings' `default_allow_methods`.
///
/// ```
/// use apiview_grammar::Method;
///
/// assert_eq!(Method::parse("patch"), Some(Method::Patch));
/// assert_eq!(Method::parse("Options"), Some(Method::Options));
/// assert_eq!(Method::parse("fetch"), None);
/// assert_eq!(Method::Delete.as_str(), "delete");
/// assert_eq!(Method::Delete.variant(), "Delete");
/// assert_eq!(Method::Head.to_string(), "head");
/// assert_eq!(Method::names(), "get, post, put, delete, patch, head, options");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// DELETE
    Delete,
    /// PATCH
    Patch,
    /// HEAD
    Head,
    /// OPTIONS
    Options,
}

impl Method {
    /// Every method, in the order the documentation lists them.
    ///
    /// ```
    /// assert_eq!(apiview_grammar::Method::ALL.len(), 7);
    /// ```
    pub const ALL: [Method; 7] = [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Delete,
        Method::Patch,
        Method::Head,
        Method::Options,
    ];

    /// Reads a method name, in any case (`get`, `GET`, `Get`).
    ///
    /// ```
    /// use apiview_grammar::Method;
    ///
    /// assert_eq!(Method::parse("GET"), Some(Method::Get));
    /// assert_eq!(Method::parse(" get"), None);
    /// ```
    pub fn parse(name: &str) -> Option<Method> {
        Method::ALL
            .into_iter()
            .find(|method| method.as_str().eq_ignore_ascii_case(name))
    }

    /// The lowercase name, as the allow-lists and OpenAPI write it.
    ///
    /// ```
    /// assert_eq!(apiview_grammar::Method::Options.as_str(), "options");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
            Method::Delete => "delete",
            Method::Patch => "patch",
            Method::Head => "head",
            Method::Options => "options",
        }
    }

    /// The name of the enum variant (`Get`), which the runtime's method enum shares.
    ///
    /// ```
    /// assert_eq!(apiview_grammar::Method::Patch.variant(), "Patch");
    /// ```
    pub fn variant(self) -> &'static str {
        match self {
            Method::Get => "Get",
            Method::Post => "Post",
            Method::Put => "Put",
            Method::Delete => "Delete",
            Method::Patch => "Patch",
            Method::Head => "Head",
            Method::Options => "Options",
        }
    }

    /// Whether a request of this method carries its fields in a body (POST, PUT,
    /// PATCH), as OpenAPI documents it.
    ///
    /// ```
    /// use apiview_grammar::Method;
    ///
    /// assert!(Method::Put.takes_body());
    /// assert!(!Method::Get.takes_body());
    /// ```
    pub fn takes_body(self) -> bool {
        matches!(self, Method::Post | Method::Put | Method::Patch)
    }

    /// Every name, comma-separated, for "expected one of" messages.
    ///
    /// ```
    /// assert!(apiview_grammar::Method::names().starts_with("get, post"));
    /// ```
    pub fn names() -> String {
        Method::ALL.map(Method::as_str).join(", ")
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Method {
    type Err = UnknownMethod;

    /// As [`Method::parse`].
    ///
    /// ```
    /// use apiview_grammar::Method;
    ///
    /// assert_eq!("head".parse::<Method>(), Ok(Method::Head));
    /// assert!("fetch".parse::<Method>().unwrap_err().to_string().contains("fetch"));
    /// ```
    fn from_str(name: &str) -> Result<Method, UnknownMethod> {
        Method::parse(name).ok_or_else(|| UnknownMethod(name.to_owned()))
    }
}

/// A name that is not one of [`Method::ALL`].
///
/// ```
/// let err = "fetch".parse::<apiview_grammar::Method>().unwrap_err();
/// assert_eq!(err.to_string(), "`fetch` is not an HTTP method; expected one of: get, post, put, delete, patch, head, options");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownMethod(String);

impl fmt::Display for UnknownMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not an HTTP method; expected one of: {}",
            self.0,
            Method::names()
        )
    }
}

impl std::error::Error for UnknownMethod {}
