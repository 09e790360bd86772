//! The request as endpoints see it: path params, body, form, query and headers, read
//! body first and looked up by name with a fixed precedence.

mod body;
mod data;
mod json;
mod multipart;
mod query;
mod upload;
mod value;

use std::sync::{Arc, Mutex, OnceLock};

use poem::http::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, COOKIE};
use poem::http::{HeaderMap, Method, Uri};
use serde_json::Value;

pub(crate) use self::body::{read_and_parse, Body, BodyBudget, BodyLimits, Held, Reading};
pub(crate) use self::multipart::UploadLimits;
use self::query::{find_pairs, parse_query, scan_query, NeedsDecoding, Piece};
pub use self::upload::{FromUploads, Upload};
pub use self::value::RawValue;
use crate::cache::{Cache, Caches};
pub use crate::meta::Source;

/// The request seen by an endpoint: method, headers, cookies, the data bag, request
/// id and remote address. Cheap to clone.
///
/// Take it as a parameter, by reference or by value, to read what the named
/// parameters do not cover:
///
/// ```
/// use apiview::prelude::*;
///
/// #[apiview]
/// fn whoami(request: &ApiRequest) -> String {
///     format!("{} {} from {}", request.method(), request.path(), request.remote_addr())
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// # use poem::{Endpoint, Request};
/// let app = App::new(Settings::default()).at("/whoami", whoami).into_endpoint();
/// let request = Request::builder().uri_str("/whoami").finish();
/// let body: serde_json::Value = app.get_response(request).await.into_body().into_json().await.unwrap();
/// assert_eq!(body["result"], "GET /whoami from unknown://unknown");
/// # });
/// ```
#[derive(Clone)]
pub struct ApiRequest(Arc<Inner>);

struct Inner {
    request: poem::Request,
    /// Visible ASCII: a sane id the client sent, or 32 hex digits.
    request_id: HeaderValue,
    body: Body,
    /// Parsed on first lookup: many endpoints never read the query.
    query: OnceLock<Vec<(Piece, Piece)>>,
    /// A form or JSON object body as a tree, built on first use of the payload.
    payload: OnceLock<Value>,
    remote_ip: OnceLock<Option<String>>,
    /// The App's caches, for [`ApiRequest::cache`].
    caches: Arc<Caches>,
    /// The uploaded files the endpoint takes, by parameter name, until its
    /// parameters take them.
    uploads: Mutex<Vec<(String, Upload)>>,
    /// The body's share of `limits.bodies_in_flight_bytes`, held while the request is.
    _charge: Option<body::BodyCharge>,
    /// The API version, resolved before the request was made (`None`: no scheme).
    /// Shared with the App's list of versions: a clone, not an allocation.
    version: Option<Arc<str>>,
}

static NULL: Value = Value::Null;

impl ApiRequest {
    #[inline]
    pub(crate) fn new(
        request: poem::Request,
        request_id: HeaderValue,
        body: Body,
        caches: Arc<Caches>,
        held: Held,
        version: Option<Arc<str>>,
    ) -> Self {
        ApiRequest(Arc::new(Inner {
            request,
            request_id,
            body,
            query: OnceLock::new(),
            payload: OnceLock::new(),
            remote_ip: OnceLock::new(),
            caches,
            uploads: Mutex::new(held.uploads),
            _charge: held.charge,
            version,
        }))
    }

    /// Takes the uploaded files of parameter `name` (each is taken once: an `Upload`
    /// owns its temporary file).
    pub(crate) fn take_uploads(&self, name: &str) -> Vec<Upload> {
        let mut uploads = self
            .0
            .uploads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if uploads.is_empty() {
            return Vec::new();
        }
        let (taken, kept) = std::mem::take(&mut *uploads)
            .into_iter()
            .partition(|(part, _)| part == name);
        *uploads = kept;
        taken.into_iter().map(|(_, upload)| upload).collect()
    }

    /// The parsed body, as it arrived (or as decryption left it).
    pub(crate) fn body(&self) -> &Body {
        &self.0.body
    }

    /// The same request with another body (the decrypted one), or this request back
    /// when a clone of it is still held elsewhere.
    pub(crate) fn with_body(self, body: Body) -> Result<ApiRequest, ApiRequest> {
        let inner = Arc::try_unwrap(self.0).map_err(ApiRequest)?;
        Ok(ApiRequest(Arc::new(Inner {
            body,
            payload: OnceLock::new(),
            ..inner
        })))
    }

    /// The same request with the body it was built without (read after a check of its
    /// head), or this request back when a clone of it is still held elsewhere.
    pub(crate) fn with_received(self, body: Body, held: Held) -> Result<ApiRequest, ApiRequest> {
        let inner = Arc::try_unwrap(self.0).map_err(ApiRequest)?;
        Ok(ApiRequest(Arc::new(Inner {
            body,
            payload: OnceLock::new(),
            uploads: Mutex::new(held.uploads),
            _charge: held.charge,
            ..inner
        })))
    }

    /// The query string's pairs, in order.
    fn query_pairs(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        let query = self.0.request.uri().query().unwrap_or("");
        self.0
            .query
            .get_or_init(|| parse_query(query))
            .iter()
            .map(move |(key, value)| (key.text(query), value.text(query)))
    }

    /// The query string's value(s) for `name`: read straight from the URI's text when
    /// nothing on the way needs percent-decoding (no allocation), else from the
    /// decoded pairs.
    fn query_value(&self, name: &str) -> Option<RawValue<'_>> {
        let query = self.0.request.uri().query().unwrap_or("");
        match scan_query(query, name) {
            Ok(found) => found,
            Err(NeedsDecoding) => find_pairs(self.query_pairs(), name),
        }
    }

    /// The HTTP method.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// fn show(request: &ApiRequest) -> String {
    ///     request.method().as_str().to_owned()
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # use poem::{Endpoint, Request};
    /// let app = App::new(Settings::default()).at("/show", show).into_endpoint();
    /// let request = Request::builder().method(poem::http::Method::POST).uri_str("/show").finish();
    /// let body: serde_json::Value = app.get_response(request).await.into_body().into_json().await.unwrap();
    /// assert_eq!(body["result"], "POST");
    /// # });
    /// ```
    pub fn method(&self) -> &Method {
        self.0.request.method()
    }

    /// The request URI.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// fn show(request: &ApiRequest) -> String {
    ///     request.uri().to_string()
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # use poem::{Endpoint, Request};
    /// let app = App::new(Settings::default()).at("/show", show).into_endpoint();
    /// let request = Request::builder().uri_str("/show?page=2").finish();
    /// let body: serde_json::Value = app.get_response(request).await.into_body().into_json().await.unwrap();
    /// assert_eq!(body["result"], "/show?page=2");
    /// # });
    /// ```
    pub fn uri(&self) -> &Uri {
        self.0.request.uri()
    }

    /// The request path.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// fn show(request: &ApiRequest) -> String {
    ///     request.path().to_owned()
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # use poem::{Endpoint, Request};
    /// let app = App::new(Settings::default()).at("/show", show).into_endpoint();
    /// let request = Request::builder().uri_str("/show?page=2").finish();
    /// let body: serde_json::Value = app.get_response(request).await.into_body().into_json().await.unwrap();
    /// assert_eq!(body["result"], "/show");
    /// # });
    /// ```
    pub fn path(&self) -> &str {
        self.0.request.uri().path()
    }

    /// The request headers.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// fn show(request: &ApiRequest) -> String {
    ///     request.headers().keys().map(|name| name.as_str()).collect::<Vec<_>>().join(",")
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # use poem::{Endpoint, Request};
    /// let app = App::new(Settings::default()).at("/show", show).into_endpoint();
    /// let request = Request::builder().uri_str("/show").header("x-a", "1").header("x-b", "2").finish();
    /// let body: serde_json::Value = app.get_response(request).await.into_body().into_json().await.unwrap();
    /// // With the request id the App adds when the client sends none.
    /// assert_eq!(body["result"], "x-a,x-b,x-request-id");
    /// # });
    /// ```
    pub fn headers(&self) -> &HeaderMap {
        self.0.request.headers()
    }

    /// One header as text.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// fn show(request: &ApiRequest) -> String {
    ///     request.header("user-agent").unwrap_or("").to_owned()
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # use poem::{Endpoint, Request};
    /// let app = App::new(Settings::default()).at("/show", show).into_endpoint();
    /// let request = Request::builder().uri_str("/show").header("User-Agent", "curl/8").finish();
    /// let body: serde_json::Value = app.get_response(request).await.into_body().into_json().await.unwrap();
    /// assert_eq!(body["result"], "curl/8");
    /// # });
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        let value = self.0.request.headers().get(name)?;
        std::str::from_utf8(value.as_bytes()).ok()
    }

    /// A cookie's value, from the `Cookie` headers.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// fn show(request: &ApiRequest) -> String {
    ///     request.cookie("uid").unwrap_or("guest").to_owned()
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # use poem::{Endpoint, Request};
    /// let app = App::new(Settings::default()).at("/show", show).into_endpoint();
    /// let request = Request::builder().uri_str("/show").header("cookie", "theme=dark; uid=42").finish();
    /// let body: serde_json::Value = app.get_response(request).await.into_body().into_json().await.unwrap();
    /// assert_eq!(body["result"], "42");
    /// # });
    /// ```
    pub fn cookie(&self, name: &str) -> Option<&str> {
        cookie_in(self.0.request.headers(), name)
    }

    /// The request id (the `X-Request-Id` header, or a new 32-hex id); echoed in the
    /// response.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// fn show(request: &ApiRequest) -> String {
    ///     request.request_id().to_owned()
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # use poem::{Endpoint, Request};
    /// let app = App::new(Settings::default()).at("/show", show).into_endpoint();
    /// let request = Request::builder().uri_str("/show").header("x-request-id", "abc-123").finish();
    /// let response = app.get_response(request).await;
    /// assert_eq!(response.headers()["x-request-id"], "abc-123");
    /// let body: serde_json::Value = response.into_body().into_json().await.unwrap();
    /// assert_eq!(body["result"], "abc-123");
    /// # });
    /// ```
    pub fn request_id(&self) -> &str {
        self.0.request_id.to_str().unwrap_or_default()
    }

    /// The peer's address, as text.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// fn show(request: &ApiRequest) -> String {
    ///     request.remote_addr()
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # use poem::{Endpoint, Request};
    /// let app = App::new(Settings::default()).at("/show", show).into_endpoint();
    /// let request = Request::builder().uri_str("/show").finish();
    /// let body: serde_json::Value = app.get_response(request).await.into_body().into_json().await.unwrap();
    /// // No socket in this example, so no peer.
    /// assert_eq!(body["result"], "unknown://unknown");
    /// # });
    /// ```
    pub fn remote_addr(&self) -> String {
        self.0.request.remote_addr().to_string()
    }

    /// The peer's IP address (Django's `REMOTE_ADDR`), for TCP peers.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// fn ip(request: &ApiRequest) -> Option<String> {
    ///     request.remote_ip().map(str::to_owned)
    /// }
    ///
    /// // Not a TCP peer (no socket in this example): no IP.
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # use poem::{Endpoint, Request};
    /// let app = App::new(Settings::default()).at("/ip", ip).into_endpoint();
    /// let request = Request::builder().uri_str("/ip").finish();
    /// let body: serde_json::Value = app.get_response(request).await.into_body().into_json().await.unwrap();
    /// assert_eq!(body["result"], serde_json::Value::Null);
    /// # });
    /// ```
    pub fn remote_ip(&self) -> Option<&str> {
        self.0
            .remote_ip
            .get_or_init(|| {
                self.0
                    .request
                    .remote_addr()
                    .as_socket_addr()
                    .map(|addr| addr.ip().to_string())
            })
            .as_deref()
    }

    /// The cache named `name` in `[cache] backends`, to read, write or invalidate
    /// entries from an endpoint.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// async fn forget(request: &ApiRequest, a: i64) -> apiview::Result<u64> {
    ///     let cache = request.cache("default").expect("the default cache exists");
    ///     cache.invalidate("add:{a}:*", &[("a", &a)]).await
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # use poem::{Endpoint, Request};
    /// let app = App::new(Settings::default()).at("/forget", forget);
    /// let cache = app.cache("default").unwrap();
    /// for key in ["add:1:2", "add:1:3", "add:2:2"] {
    ///     cache.set(key, &0, std::time::Duration::from_secs(60)).await.unwrap();
    /// }
    /// let request = Request::builder().uri_str("/forget?a=1").finish();
    /// let response = app.into_endpoint().get_response(request).await;
    /// let body: serde_json::Value = response.into_body().into_json().await.unwrap();
    /// assert_eq!(body["result"], 2);
    /// assert!(cache.get("add:2:2").await.unwrap().is_some());
    /// # });
    /// ```
    pub fn cache(&self, name: &str) -> Option<&Cache> {
        self.0.caches.get(name)
    }

    /// A path parameter.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// fn show(request: &ApiRequest) -> String {
    ///     request.path_param("id").unwrap_or("").to_owned()
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # use poem::{Endpoint, Request};
    /// let app = App::new(Settings::default()).at("/items/:id", show).into_endpoint();
    /// let request = Request::builder().uri_str("/items/7").finish();
    /// let body: serde_json::Value = app.get_response(request).await.into_body().into_json().await.unwrap();
    /// assert_eq!(body["result"], "7");
    /// # });
    /// ```
    pub fn path_param(&self, name: &str) -> Option<&str> {
        self.0.request.raw_path_param(name)
    }

    /// The API version the request asks for (DESIGN §16): `None` when
    /// `versioning.scheme` is `none`; otherwise the version the request names (in
    /// the path, the query, the `Accept-Version` header or the `Accept` header, as the
    /// scheme says), or `versioning.default` when it names none. A version not in
    /// `versioning.allowed`, or one the endpoint's `#[apiview(versions = [..])]` leaves
    /// out, never reaches the endpoint: it is answered `BadParameter(version)`.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// fn greeting(request: &ApiRequest) -> String {
    ///     match request.version() {
    ///         Some("v2") => "hello, v2".to_owned(),
    ///         Some(other) => format!("hello from {other}"),
    ///         None => "hello, unversioned".to_owned(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # use poem::{Endpoint, Request};
    /// let versioning = "[versioning]\nscheme = 'header'\nallowed = ['v1', 'v2']\ndefault = 'v1'";
    /// let settings = Settings::from_toml_str(versioning).unwrap();
    /// let app = App::new(settings).at("/greeting", greeting).into_endpoint();
    /// let ask = |version: Option<&str>| {
    ///     let request = Request::builder().uri_str("/greeting");
    ///     match version {
    ///         Some(version) => request.header("Accept-Version", version).finish(),
    ///         None => request.finish(),
    ///     }
    /// };
    /// let body: serde_json::Value = app.get_response(ask(Some("v2"))).await.into_body().into_json().await.unwrap();
    /// assert_eq!(body["result"], "hello, v2");
    /// // No version named: the default.
    /// let body: serde_json::Value = app.get_response(ask(None)).await.into_body().into_json().await.unwrap();
    /// assert_eq!(body["result"], "hello from v1");
    /// // Not allowed: the endpoint does not run.
    /// let body: serde_json::Value = app.get_response(ask(Some("v9"))).await.into_body().into_json().await.unwrap();
    /// assert_eq!(body["error"]["code"], 1001060002);
    ///
    /// // Without a scheme, no version.
    /// let app = App::new(Settings::default()).at("/greeting", greeting).into_endpoint();
    /// let body: serde_json::Value = app.get_response(ask(Some("v2"))).await.into_body().into_json().await.unwrap();
    /// assert_eq!(body["result"], "hello, unversioned");
    /// # });
    /// ```
    pub fn version(&self) -> Option<&str> {
        self.0.version.as_deref()
    }

    /// The underlying poem request (its body already read), for `FromRequest`.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// fn show(request: &ApiRequest) -> String {
    ///     request.poem_request().uri().to_string()
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # use poem::{Endpoint, Request};
    /// let app = App::new(Settings::default()).at("/show", show).into_endpoint();
    /// let request = Request::builder().uri_str("/show?x=1").finish();
    /// let body: serde_json::Value = app.get_response(request).await.into_body().into_json().await.unwrap();
    /// assert_eq!(body["result"], "/show?x=1");
    /// # });
    /// ```
    pub fn poem_request(&self) -> &poem::Request {
        &self.0.request
    }

    fn meta(&self, name: &str) -> Option<&str> {
        match name {
            "REMOTE_ADDR" => self.remote_ip(),
            _ => plain_meta(&self.0.request, name),
        }
    }
}

/// A cookie's value, from the `Cookie` headers.
fn cookie_in<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| std::str::from_utf8(value.as_bytes()).ok())
        .flat_map(|line| line.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key.trim() == name).then(|| value.trim().trim_matches('"'))
        })
}

/// A Django `META` value other than `REMOTE_ADDR`.
fn plain_meta<'a>(request: &'a poem::Request, name: &str) -> Option<&'a str> {
    let header = |name: &str| {
        let value = request.headers().get(name)?;
        std::str::from_utf8(value.as_bytes()).ok()
    };
    match name {
        "REQUEST_METHOD" => Some(request.method().as_str()),
        "PATH_INFO" => Some(request.uri().path()),
        "QUERY_STRING" => Some(request.uri().query().unwrap_or("")),
        "CONTENT_TYPE" => header(CONTENT_TYPE.as_str()),
        "CONTENT_LENGTH" => header(CONTENT_LENGTH.as_str()),
        _ => None,
    }
}

/// A header, cookie or `META` value of a request whose body is not read yet (the
/// throttle of DESIGN §13 reads them before the body); `None` for a field or the
/// payload, which the body may hold.
pub(crate) fn read_before_body<'a>(
    request: &'a poem::Request,
    source: &Source,
) -> Option<std::borrow::Cow<'a, str>> {
    use std::borrow::Cow;
    match *source {
        Source::Header { name } => {
            let value = request.headers().get(name)?;
            std::str::from_utf8(value.as_bytes()).ok().map(Cow::Borrowed)
        }
        Source::Cookie { name, default } => cookie_in(request.headers(), name).or(default).map(Cow::Borrowed),
        Source::Meta { name: "REMOTE_ADDR" } => request
            .remote_addr()
            .as_socket_addr()
            .map(|addr| Cow::Owned(addr.ip().to_string())),
        Source::Meta { name } => plain_meta(request, name).map(Cow::Borrowed),
        Source::Field { .. } | Source::Payload => None,
    }
}

/// A query parameter given more than once, or whose text does not percent-decode.
#[derive(Debug)]
pub(crate) struct NotOneText;

/// One query parameter's text, found as the data bag finds it (percent-decoded):
/// borrowed from the URI, with no allocation, unless the query needs decoding.
pub(crate) fn query_text<'a>(
    query: &'a str,
    name: &str,
) -> Option<Result<std::borrow::Cow<'a, str>, NotOneText>> {
    use std::borrow::Cow;
    match scan_query(query, name) {
        Ok(found) => found.map(|value| match value {
            RawValue::Text(text) => Ok(Cow::Borrowed(text)),
            _ => Err(NotOneText),
        }),
        Err(NeedsDecoding) => {
            let pairs = parse_query(query);
            let found = find_pairs(
                pairs
                    .iter()
                    .map(|(key, value)| (key.text(query), value.text(query))),
                name,
            )?;
            Some(match found {
                RawValue::Text(text) => Ok(Cow::Owned(text.to_owned())),
                _ => Err(NotOneText),
            })
        }
    }
}

impl std::fmt::Debug for ApiRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiRequest")
            .field("method", self.method())
            .field("uri", self.uri())
            .field("request_id", &self.request_id())
            .finish_non_exhaustive()
    }
}
