//! The method allow-list (`#[allow_get]`, `#[methods(get, post)]`, or
//! `settings.default_allow_methods`).

use poem::http::Method;

use crate::meta::{poem_method, HttpMethod};

/// The methods an endpoint answers, resolved once when the App is built.
#[derive(Debug, Clone)]
pub(crate) struct AllowedMethods(Vec<Method>);

impl AllowedMethods {
    /// The endpoint's own list (its `EndpointMeta::methods`), or the settings' default.
    pub(crate) fn resolve(own: Option<&[HttpMethod]>, default: &[Method]) -> Self {
        match own {
            Some(list) => AllowedMethods(list.iter().copied().map(poem_method).collect()),
            None => AllowedMethods(default.to_vec()),
        }
    }

    /// Whether `method` is allowed.
    pub(crate) fn allows(&self, method: &Method) -> bool {
        self.0.contains(method)
    }

    /// The `Allow` header's value.
    pub(crate) fn allow_header(&self) -> String {
        self.0.iter().map(Method::as_str).collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
mod tests {
    use poem::http::Method;

    use super::AllowedMethods;
    use crate::meta::HttpMethod;

    #[test]
    fn an_endpoint_list_replaces_the_default() {
        let own = AllowedMethods::resolve(Some(&[HttpMethod::Get]), &[Method::GET, Method::POST]);
        assert!(own.allows(&Method::GET) && !own.allows(&Method::POST));
        assert_eq!(own.allow_header(), "GET");
        let default = AllowedMethods::resolve(None, &[Method::GET, Method::POST]);
        assert!(default.allows(&Method::POST));
        assert_eq!(default.allow_header(), "GET, POST");
    }
}
