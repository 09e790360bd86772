//! The method allow-list (`#[allow_get]`, `#[methods(get, post)]`, or
//! `settings.default_allow_methods`).

use poem::http::Method;

use crate::endpoint::{EndpointMeta, HttpMethod};

/// The methods an endpoint answers, resolved once when the App is built.
///
/// ```
/// use apiview::prelude::*;
/// use apiview::{helpers::methods::AllowedMethods, Handler};
/// use poem::http::Method;
///
/// #[apiview]
/// #[allow_get]
/// fn only_get() {}
///
/// let allowed = AllowedMethods::resolve(only_get.meta(), &[Method::GET, Method::POST]);
/// assert!(allowed.allows(&Method::GET) && !allowed.allows(&Method::POST));
/// assert_eq!(allowed.allow_header(), "GET");
/// ```
#[derive(Debug, Clone)]
pub struct AllowedMethods(Vec<Method>);

impl AllowedMethods {
    /// The endpoint's own list, or the settings' default.
    ///
    /// ```
    /// use apiview::prelude::*;
    /// use apiview::{helpers::methods::AllowedMethods, Handler};
    /// use poem::http::Method;
    ///
    /// #[apiview]
    /// fn default_methods() {}
    ///
    /// let allowed = AllowedMethods::resolve(default_methods.meta(), &[Method::GET, Method::POST]);
    /// assert!(allowed.allows(&Method::POST));
    /// assert_eq!(allowed.allow_header(), "GET, POST");
    /// ```
    pub fn resolve(meta: &EndpointMeta, default: &[Method]) -> Self {
        match meta.methods {
            Some(list) => AllowedMethods(list.iter().copied().map(HttpMethod::to_method).collect()),
            None => AllowedMethods(default.to_vec()),
        }
    }

    /// Whether `method` is allowed.
    ///
    /// ```
    /// use apiview::prelude::*;
    /// use apiview::{helpers::methods::AllowedMethods, Handler};
    /// use poem::http::Method;
    ///
    /// #[apiview]
    /// fn default_methods() {}
    ///
    /// let allowed = AllowedMethods::resolve(default_methods.meta(), &[Method::GET, Method::POST]);
    /// assert!(allowed.allows(&Method::POST));
    /// assert_eq!(allowed.allow_header(), "GET, POST");
    /// ```
    pub fn allows(&self, method: &Method) -> bool {
        self.0.contains(method)
    }

    /// The `Allow` header's value.
    ///
    /// ```
    /// use apiview::prelude::*;
    /// use apiview::{helpers::methods::AllowedMethods, Handler};
    /// use poem::http::Method;
    ///
    /// #[apiview]
    /// fn default_methods() {}
    ///
    /// let allowed = AllowedMethods::resolve(default_methods.meta(), &[Method::GET, Method::POST]);
    /// assert!(allowed.allows(&Method::POST));
    /// assert_eq!(allowed.allow_header(), "GET, POST");
    /// ```
    pub fn allow_header(&self) -> String {
        self.0.iter().map(Method::as_str).collect::<Vec<_>>().join(", ")
    }
}
