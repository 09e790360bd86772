//! The `next` and `previous` links: the request's URL with the page moved, the
//! other query parameters kept.

use super::request::PageRequest;
use crate::meta::PageStyle;
use crate::request::ApiRequest;
use crate::settings::SwaggerSettings;

/// Where the links of a page point: a prefix (`scheme://host[:port]`, or empty
/// for relative links), the endpoint's path, and the request's other query
/// parameters.
///
/// ```
/// use apiview_core::paginate::{Links, PageStyle};
///
/// let links = Links::new("", "/n", Some("page=2&tag=a%26b"), PageStyle::PageNumber);
/// assert_eq!(links.path(), "/n");
/// ```
#[derive(Debug, Clone)]
pub struct Links {
    prefix: String,
    path: String,
    others: Vec<(String, String)>,
}

impl Links {
    /// The links of a request to `path` with `query`, for `style` (whose own
    /// parameters are dropped from the ones kept).
    ///
    /// ```
    /// use apiview_core::paginate::{Links, PageRequest, PageStyle};
    ///
    /// let links = Links::new("https://api.example", "/n", Some("tag=a%26b&offset=5&limit=5"), PageStyle::LimitOffset);
    /// let request = PageRequest::new(PageStyle::LimitOffset, 5, 5);
    /// assert_eq!(links.next(&request, 20).unwrap(), "https://api.example/n?tag=a%26b&offset=10&limit=5");
    /// assert_eq!(links.previous(&request, 20).unwrap(), "https://api.example/n?tag=a%26b&offset=0&limit=5");
    /// ```
    pub fn new(prefix: &str, path: &str, query: Option<&str>, style: PageStyle) -> Links {
        let own = style.query_params();
        let others = form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .filter(|(name, _)| !own.contains(&name.as_ref()))
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        Links {
            prefix: prefix.to_owned(),
            path: path.to_owned(),
            others,
        }
    }

    /// The endpoint's path (cursors are signed for it).
    ///
    /// ```
    /// # use apiview_core::paginate::{Links, PageStyle};
    /// assert_eq!(Links::new("", "/a", None, PageStyle::Cursor).path(), "/a");
    /// ```
    pub fn path(&self) -> &str {
        &self.path
    }

    fn link(&self, set: &[(&str, String)]) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.others {
            query.append_pair(name, value);
        }
        for (name, value) in set {
            query.append_pair(name, value);
        }
        let query = query.finish();
        let mut link = format!("{}{}", self.prefix, self.path);
        if !query.is_empty() {
            link.push('?');
            link.push_str(&query);
        }
        link
    }

    /// The page-number or limit-offset page at `offset`.
    fn at(&self, request: &PageRequest, offset: u64) -> String {
        let limit = request.limit();
        match request.style() {
            PageStyle::PageNumber => {
                let page = (offset / limit + 1).to_string();
                if request.sized() {
                    self.link(&[("page", page), ("page_size", limit.to_string())])
                } else {
                    self.link(&[("page", page)])
                }
            }
            _ => self.link(&[("offset", offset.to_string()), ("limit", limit.to_string())]),
        }
    }

    /// The next page of a collection of `total` items, if there is one.
    ///
    /// ```
    /// # use apiview_core::paginate::{Links, PageRequest, PageStyle};
    /// let links = Links::new("", "/n", None, PageStyle::PageNumber);
    /// assert_eq!(links.next(&PageRequest::new(PageStyle::PageNumber, 0, 10), 11).unwrap(), "/n?page=2");
    /// assert_eq!(links.next(&PageRequest::new(PageStyle::PageNumber, 10, 10), 11), None);
    /// ```
    pub fn next(&self, request: &PageRequest, total: u64) -> Option<String> {
        let next = request.offset().checked_add(request.limit())?;
        (next < total).then(|| self.at(request, next))
    }

    /// The previous page, if this is not the first. Past the last page, the
    /// page-number style points at the last page.
    ///
    /// ```
    /// # use apiview_core::paginate::{Links, PageRequest, PageStyle};
    /// let links = Links::new("", "/n", None, PageStyle::PageNumber);
    /// assert_eq!(links.previous(&PageRequest::new(PageStyle::PageNumber, 0, 10), 30), None);
    /// assert_eq!(links.previous(&PageRequest::new(PageStyle::PageNumber, 90, 10), 30).unwrap(), "/n?page=3");
    /// ```
    pub fn previous(&self, request: &PageRequest, total: u64) -> Option<String> {
        let offset = request.offset();
        if offset == 0 {
            return None;
        }
        let limit = request.limit();
        let previous = match request.style() {
            PageStyle::PageNumber => {
                let last = total.saturating_sub(1) / limit * limit;
                (offset - limit).min(last)
            }
            _ => offset.saturating_sub(limit),
        };
        Some(self.at(request, previous))
    }

    /// The link to a cursor page.
    pub(crate) fn cursor(&self, request: &PageRequest, cursor: &str) -> String {
        if request.sized() {
            self.link(&[
                ("cursor", cursor.to_owned()),
                ("page_size", request.limit().to_string()),
            ])
        } else {
            self.link(&[("cursor", cursor.to_owned())])
        }
    }
}

/// What goes before a path to make it an absolute URL, as the page links write it
/// (DRF's `request.build_absolute_uri`): for the `url` fields of an answer, so they
/// agree with its `next` and `previous`.
///
/// With `swagger.api_host` set, the document's server: `api_host` (with `http://`
/// when it names no scheme) and `api_basepath`, as a client of the document would
/// write the URL. Without it, the request's `Host` if it is a plain `host[:port]`
/// (the client writes that header, so nothing else is trusted), and the prefix the
/// App is nested under (what the original URI has before the endpoint's path);
/// else no host: relative links.
///
/// ```
/// use apiview::prelude::*;
/// use apiview::settings::SwaggerSettings;
/// use apiview::paginate::link_base;
///
/// #[apiview]
/// fn me(request: &ApiRequest) -> String {
///     format!("{}/users/7/", link_base(request, &SwaggerSettings::default()))
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// # use poem::{Endpoint, Request};
/// let app = App::new(Settings::default()).at("/me", me).into_endpoint();
/// let ask = |host: &'static str| Request::builder().uri_str("/me").header("host", host).finish();
/// let body: serde_json::Value = app.get_response(ask("api.example:8080")).await.into_body().into_json().await.unwrap();
/// assert_eq!(body["result"], "http://api.example:8080/users/7/");
/// // A Host that is not a plain `host[:port]` is not trusted: a relative link.
/// let body: serde_json::Value = app.get_response(ask("evil.example/x?")).await.into_body().into_json().await.unwrap();
/// assert_eq!(body["result"], "/users/7/");
/// # });
/// ```
pub fn link_base(request: &ApiRequest, swagger: &SwaggerSettings) -> String {
    let api_host = swagger.api_host.trim().trim_end_matches('/');
    if !api_host.is_empty() {
        let base = swagger.api_basepath.trim().trim_matches('/');
        let scheme = if api_host.contains("://") { "" } else { "http://" };
        return if base.is_empty() {
            format!("{scheme}{api_host}")
        } else {
            format!("{scheme}{api_host}/{base}")
        };
    }
    let original = request.poem_request().original_uri().path();
    let mount = original.strip_suffix(request.path()).unwrap_or("");
    let host = request
        .header("host")
        .or_else(|| request.uri().authority().map(|authority| authority.as_str()));
    match host {
        Some(host) if sane_host(host) => format!("http://{host}{mount}"),
        _ => mount.to_owned(),
    }
}

/// Whether a `Host` header is a plain `host[:port]` (a DNS name, an IPv4 address
/// or a bracketed IPv6 address, and a port of 1 to 5 digits), fit to be written
/// into a link. A client sets this header, so anything else is not used.
///
/// ```
/// use apiview_core::paginate::sane_host;
///
/// assert!(sane_host("api.example.com") && sane_host("127.0.0.1:8080") && sane_host("[::1]:3000"));
/// assert!(!sane_host("evil.example/x") && !sane_host("a b") && !sane_host("h:99999") && !sane_host(""));
/// assert!(!sane_host("user@host") && !sane_host("host:") && !sane_host(".x") && !sane_host("[::1"));
/// ```
pub fn sane_host(host: &str) -> bool {
    if host.is_empty() || host.len() > 255 {
        return false;
    }
    let (name_ok, port) = if let Some(rest) = host.strip_prefix('[') {
        let Some(end) = rest.find(']') else {
            return false;
        };
        let inner = &rest[..end];
        let ok = !inner.is_empty()
            && inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        match &rest[end + 1..] {
            "" => (ok, None),
            after => match after.strip_prefix(':') {
                Some(port) => (ok, Some(port)),
                None => return false,
            },
        }
    } else {
        let (name, port) = match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        };
        let ok = name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
        (ok, port)
    };
    let port_ok = port.is_none_or(|port| {
        (1..=5).contains(&port.len())
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u16>().is_ok()
    });
    name_ok && port_ok
}
