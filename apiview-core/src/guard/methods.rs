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

    /// The methods both lists allow, in this one's order.
    pub(crate) fn shared_with(&self, other: &AllowedMethods) -> AllowedMethods {
        AllowedMethods(self.0.iter().filter(|m| other.allows(m)).cloned().collect())
    }

    /// Whether no method is allowed.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every method one of the lists allows, once, in the order first met: the
    /// methods of a path several endpoints share.
    pub(crate) fn union<'a>(lists: impl IntoIterator<Item = &'a AllowedMethods>) -> AllowedMethods {
        let mut all: Vec<Method> = Vec::new();
        for method in lists.into_iter().flat_map(|list| &list.0) {
            if !all.contains(method) {
                all.push(method.clone());
            }
        }
        AllowedMethods(all)
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

    #[test]
    fn shared_and_union_keep_the_first_order() {
        let read = AllowedMethods::resolve(Some(&[HttpMethod::Get, HttpMethod::Head]), &[]);
        let write = AllowedMethods::resolve(Some(&[HttpMethod::Put, HttpMethod::Patch]), &[]);
        let default = AllowedMethods::resolve(None, &[Method::GET, Method::POST]);
        assert!(read.shared_with(&write).is_empty());
        assert_eq!(default.shared_with(&read).allow_header(), "GET");
        assert_eq!(
            AllowedMethods::union([&read, &write, &default]).allow_header(),
            "GET, HEAD, PUT, PATCH, POST"
        );
    }
}
