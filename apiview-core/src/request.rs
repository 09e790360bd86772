//! The request as endpoints see it: path params, body, form, query and headers, read
//! body first and looked up by name with a fixed precedence.

use std::future::Future;
use std::sync::{Arc, OnceLock};

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use poem::http::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, COOKIE};
use poem::http::{HeaderMap, Method, Uri};
use serde_json::{Map, Value};

use crate::cache::{Cache, Caches};
use crate::error::{reasons, BizError};

mod json;

/// A request value found under a name, before it is coerced into a parameter's type.
/// More kinds may come (a match needs a `_` arm); [`RawValue::as_str`] reads any
/// textual one.
///
/// ```
/// use apiview_core::RawValue;
///
/// assert!(RawValue::Text("1").is_filled());
/// assert!(!RawValue::Texts(vec![]).is_filled());
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RawValue<'a> {
    /// A JSON value from the body.
    Json(&'a Value),
    /// A JSON string from the body that had no escapes, borrowed from the body as it
    /// arrived. It coerces exactly as the same string in [`RawValue::Json`] does.
    JsonStr(&'a str),
    /// One textual value: path segment, form field, query parameter, header, cookie.
    Text(&'a str),
    /// A textual key given several times (`?id=1&id=2`).
    Texts(Vec<&'a str>),
    /// A query or form value whose percent-decoding is not UTF-8 (`%FF`): no
    /// parameter type takes it, so that nothing is patched with U+FFFD silently.
    Undecodable,
}

impl<'a> RawValue<'a> {
    /// Present and not empty: not `null`, `""`, `[]` or `{}`.
    ///
    /// ```
    /// use apiview_core::RawValue;
    ///
    /// assert!(!RawValue::Text("").is_filled());
    /// assert!(!RawValue::Json(&serde_json::json!({})).is_filled());
    /// ```
    pub fn is_filled(&self) -> bool {
        match self {
            RawValue::Json(Value::Null) => false,
            RawValue::Json(Value::String(text)) => !text.is_empty(),
            RawValue::Text(text) | RawValue::JsonStr(text) => !text.is_empty(),
            RawValue::Json(Value::Array(items)) => !items.is_empty(),
            RawValue::Json(Value::Object(fields)) => !fields.is_empty(),
            RawValue::Json(_) => true,
            RawValue::Texts(items) => !items.is_empty(),
            RawValue::Undecodable => true,
        }
    }

    /// Present and not JSON `null`.
    ///
    /// ```
    /// use apiview_core::RawValue;
    ///
    /// assert!(RawValue::Text("").is_present());
    /// assert!(!RawValue::Json(&serde_json::Value::Null).is_present());
    /// ```
    pub fn is_present(&self) -> bool {
        !matches!(self, RawValue::Json(Value::Null))
    }

    /// As a JSON value (text stays text).
    ///
    /// ```
    /// use apiview_core::RawValue;
    ///
    /// assert_eq!(RawValue::Texts(vec!["1", "2"]).to_json(), serde_json::json!(["1", "2"]));
    /// ```
    pub fn to_json(&self) -> Value {
        match self {
            RawValue::Json(value) => (*value).clone(),
            RawValue::Text(text) | RawValue::JsonStr(text) => Value::String((*text).to_owned()),
            RawValue::Texts(items) => {
                Value::Array(items.iter().map(|t| Value::String((*t).to_owned())).collect())
            }
            RawValue::Undecodable => Value::Null,
        }
    }

    /// The text of a textual value or of a JSON string; `None` for any other JSON
    /// value and for a key given several times.
    ///
    /// ```
    /// use apiview_core::RawValue;
    ///
    /// assert_eq!(RawValue::Text("abc").as_str(), Some("abc"));
    /// assert_eq!(RawValue::Json(&serde_json::json!(42)).as_str(), None);
    /// ```
    pub fn as_str(&self) -> Option<&'a str> {
        match self {
            RawValue::Text(text) | RawValue::JsonStr(text) => Some(text),
            RawValue::Json(Value::String(text)) => Some(text),
            RawValue::Json(_) | RawValue::Texts(_) | RawValue::Undecodable => None,
        }
    }
}

/// The parsed body.
#[derive(Debug, Default)]
pub(crate) enum Body {
    /// No body, or a body that is neither form nor JSON.
    #[default]
    None,
    /// A JSON object, as it arrived.
    Object(json::JsonObject),
    /// Any other JSON body, or an object built by decryption; only an object
    /// contributes named fields.
    Json(Value),
    /// Urlencoded or multipart text fields, in order.
    Form(Vec<(String, String)>),
}

/// Where a parameter's value comes from. Built by `#[apiview]`, one per parameter.
///
/// ```
/// use apiview_core::Source;
///
/// // What `#[cookie_variable(userid, cookie = "uid", default = "guest")]` generates:
/// let source = Source::Cookie { name: "uid", default: Some("guest") };
/// # let _ = source;
/// ```
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// By name through every source in precedence order. `header` is the name as an
    /// HTTP header (`user_agent` → `user-agent`).
    Field {
        /// The field name.
        name: &'static str,
        /// The same name spelled as an HTTP header.
        header: &'static str,
    },
    /// The whole body (`body_alias`, `_payload`).
    Payload,
    /// A cookie.
    Cookie {
        /// The cookie's name.
        name: &'static str,
        /// Text used when the cookie is absent.
        default: Option<&'static str>,
    },
    /// One header, by HTTP name.
    Header {
        /// The header's name.
        name: &'static str,
    },
    /// A Django `META` value that is not a header (`REMOTE_ADDR`, `REQUEST_METHOD`,
    /// `PATH_INFO`, `QUERY_STRING`).
    Meta {
        /// The META name.
        name: &'static str,
    },
}

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
    caches: Arc<Caches>,
    /// The body's share of `limits.bodies_in_flight_bytes`, held while the request is.
    _charge: Option<BodyCharge>,
}

static NULL: Value = Value::Null;

impl ApiRequest {
    #[inline]
    pub(crate) fn new(
        request: poem::Request,
        request_id: HeaderValue,
        body: Body,
        caches: Arc<Caches>,
        charge: Option<BodyCharge>,
    ) -> Self {
        ApiRequest(Arc::new(Inner {
            request,
            request_id,
            body,
            query: OnceLock::new(),
            payload: OnceLock::new(),
            remote_ip: OnceLock::new(),
            caches,
            _charge: charge,
        }))
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
    ///     request.headers().len().to_string()
    /// }
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
    /// ```
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.0
            .request
            .headers()
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| std::str::from_utf8(value.as_bytes()).ok())
            .flat_map(|line| line.split(';'))
            .find_map(|pair| {
                let (key, value) = pair.split_once('=')?;
                (key.trim() == name).then(|| value.trim().trim_matches('"'))
            })
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
    /// ```
    pub fn path_param(&self, name: &str) -> Option<&str> {
        self.0.request.raw_path_param(name)
    }

    /// The whole body: the JSON value, or the form as an object; `null` without one.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// fn show(request: &ApiRequest) -> String {
    ///     request.payload().to_string()
    /// }
    /// ```
    pub fn payload(&self) -> &Value {
        match &self.0.body {
            Body::None => &NULL,
            Body::Json(value) => value,
            Body::Object(object) => self.0.payload.get_or_init(|| Value::Object(object.to_map())),
            Body::Form(pairs) => self
                .0
                .payload
                .get_or_init(|| Value::Object(group_pairs(text_pairs(pairs)))),
        }
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
    /// ```
    pub fn poem_request(&self) -> &poem::Request {
        &self.0.request
    }

    /// Looks a field up by name: path params, JSON body fields, form fields, query
    /// string, then headers (`user_agent` matches `User-Agent`).
    ///
    /// ```
    /// # use apiview::prelude::*;
    /// #[apiview]
    /// fn lookup(request: &ApiRequest) -> bool {
    ///     request.field("token").is_some()
    /// }
    /// ```
    pub fn field(&self, name: &str) -> Option<RawValue<'_>> {
        self.lookup(name, &name.replace('_', "-"))
    }

    pub(crate) fn lookup<'a>(&'a self, name: &str, header: &str) -> Option<RawValue<'a>> {
        if let Some(value) = self.0.request.raw_path_param(name) {
            return Some(RawValue::Text(value));
        }
        match &self.0.body {
            Body::Object(object) => {
                if let Some(value) = object.get(name) {
                    return Some(value);
                }
            }
            Body::Json(Value::Object(fields)) => {
                if let Some(value) = fields.get(name) {
                    return Some(RawValue::Json(value));
                }
            }
            Body::Form(pairs) => {
                if let Some(value) = find_pairs(text_pairs(pairs), name) {
                    return Some(value);
                }
            }
            Body::Json(_) | Body::None => {}
        }
        if let Some(value) = self.query_value(name) {
            return Some(value);
        }
        self.header(header)
            .or_else(|| if header != name { self.header(name) } else { None })
            .map(RawValue::Text)
    }

    /// Finds a parameter's value at its source.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// fn show(request: &ApiRequest) -> String {
    ///     format!("{:?}", request.get(&apiview::request::Source::Header { name: "user-agent" }))
    /// }
    /// ```
    pub fn get(&self, source: &Source) -> Option<RawValue<'_>> {
        match *source {
            Source::Field { name, header } => self.lookup(name, header),
            Source::Payload => Some(RawValue::Json(self.payload())),
            Source::Cookie { name, default } => self.cookie(name).or(default).map(RawValue::Text),
            Source::Header { name } => self.header(name).map(RawValue::Text),
            Source::Meta { name } => self.meta(name).map(RawValue::Text),
        }
    }

    fn meta(&self, name: &str) -> Option<&str> {
        match name {
            "REMOTE_ADDR" => self.remote_ip(),
            "REQUEST_METHOD" => Some(self.method().as_str()),
            "PATH_INFO" => Some(self.path()),
            "QUERY_STRING" => Some(self.uri().query().unwrap_or("")),
            "CONTENT_TYPE" => self.header(CONTENT_TYPE.as_str()),
            "CONTENT_LENGTH" => self.header(CONTENT_LENGTH.as_str()),
            _ => None,
        }
    }

    /// The merged data bag, django-apiview's `_form`: every header, query key, form
    /// field, JSON body field and path param, later sources overriding earlier ones
    /// in that order. Built on each call; endpoints read single fields instead.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// fn show(request: &ApiRequest) -> String {
    ///     serde_json::Value::Object(request.data()).to_string()
    /// }
    /// ```
    pub fn data(&self) -> Map<String, Value> {
        let mut data = Map::new();
        for (name, value) in self.headers() {
            if let Ok(text) = std::str::from_utf8(value.as_bytes()) {
                data.insert(name.as_str().replace('-', "_"), Value::String(text.to_owned()));
            }
        }
        data.extend(group_pairs(self.query_pairs()));
        match &self.0.body {
            Body::Object(object) => data.extend(object.to_map()),
            Body::Json(Value::Object(fields)) => data.extend(fields.clone()),
            Body::Form(pairs) => data.extend(group_pairs(text_pairs(pairs))),
            Body::Json(_) | Body::None => {}
        }
        if let Ok(params) = self
            .0
            .request
            .path_params::<std::collections::BTreeMap<String, String>>()
        {
            data.extend(
                params
                    .into_iter()
                    .map(|(name, value)| (name, Value::String(value))),
            );
        }
        data
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

fn text_pairs(pairs: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    pairs.iter().map(|(key, value)| (key.as_str(), value.as_str()))
}

fn find_pairs<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>, name: &str) -> Option<RawValue<'a>> {
    gather(pairs.filter(|(key, _)| *key == name).map(|(_, value)| value))
}

/// The values found for one name: none, one, or all of them in order.
fn gather<'a>(mut found: impl Iterator<Item = &'a str>) -> Option<RawValue<'a>> {
    let first = found.next()?;
    let gathered = match found.next() {
        None => RawValue::Text(first),
        Some(second) => {
            let mut all = vec![first, second];
            all.extend(found);
            RawValue::Texts(all)
        }
    };
    let undecodable = match &gathered {
        RawValue::Text(text) => *text == UNDECODABLE,
        RawValue::Texts(texts) => texts.contains(&UNDECODABLE),
        _ => false,
    };
    Some(if undecodable {
        RawValue::Undecodable
    } else {
        gathered
    })
}

fn group_pairs<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Map<String, Value> {
    let mut grouped = Map::new();
    for (key, value) in pairs {
        let value = Value::String(value.to_owned());
        match grouped.get_mut(key) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None => {
                grouped.insert(key.to_owned(), value);
            }
        }
    }
    grouped
}

/// A piece of the query string that has to be percent-decoded before it is compared
/// or returned.
struct NeedsDecoding;

/// `name`'s value(s) in the query string, read as [`parse_query`] reads it, found
/// without decoding or allocating when the query has no `%` and no `+`; `Err` when it
/// has (then a key could decode to `name`).
fn scan_query<'a>(query: &'a str, name: &str) -> Result<Option<RawValue<'a>>, NeedsDecoding> {
    if needs_decoding(query) {
        return Err(NeedsDecoding);
    }
    // Only the pieces that start with `name` are split: `name=value`, or `name` alone
    // (an empty value).
    let values = pieces(query).filter_map(|(start, end)| match query[start..end].strip_prefix(name)? {
        "" => Some(""),
        rest => rest.strip_prefix('='),
    });
    Ok(gather(values))
}

/// Whether percent-decoding changes `text` (a `%` escape, or `+` for a space).
fn needs_decoding(text: &str) -> bool {
    text.bytes().any(|b| b == b'%' || b == b'+')
}

/// A key or value of the query string, or a name in a JSON object body: most need no
/// decoding and stay a range of the text they came in, which spares each an
/// allocation; the others are decoded once.
#[derive(Debug)]
enum Piece {
    Range(usize, usize),
    Decoded(String),
}

impl Piece {
    fn of(query: &str, start: usize, end: usize) -> Piece {
        let text = &query[start..end];
        if needs_decoding(text) {
            // Undecodable text is kept as a mark that no parameter takes (see `gather`).
            Piece::Decoded(decode_form_text(text).unwrap_or_else(|| UNDECODABLE.to_owned()))
        } else {
            Piece::Range(start, end)
        }
    }

    fn text<'a>(&'a self, query: &'a str) -> &'a str {
        match self {
            Piece::Range(start, end) => &query[*start..*end],
            Piece::Decoded(text) => text,
        }
    }

    fn bytes<'a>(&'a self, source: &'a [u8]) -> &'a [u8] {
        match self {
            Piece::Range(start, end) => &source[*start..*end],
            Piece::Decoded(text) => text.as_bytes(),
        }
    }
}

/// Stands for query or form text whose percent-decoding is not UTF-8, among decoded
/// texts: a lone surrogate, which no `&str` holds, cannot be spelled; U+FFFF, a
/// noncharacter no client sends, can.
const UNDECODABLE: &str = "\u{FFFF}";

/// `application/x-www-form-urlencoded` pairs, as `form_urlencoded::parse` reads them:
/// `&`-separated, empty pieces skipped, split at the first `=`, `+` for a space.
fn parse_query(query: &str) -> Vec<(Piece, Piece)> {
    pieces(query)
        .map(|(start, end)| match query[start..end].find('=') {
            Some(eq) => (
                Piece::of(query, start, start + eq),
                Piece::of(query, start + eq + 1, end),
            ),
            None => (Piece::of(query, start, end), Piece::Range(end, end)),
        })
        .collect()
}

/// The `(start, end)` of each `&`-separated piece of the query, empty ones skipped.
fn pieces(query: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let bytes = query.as_bytes();
    let mut start = 0;
    std::iter::from_fn(move || {
        while start < bytes.len() {
            let piece_start = start;
            let end = bytes[start..]
                .iter()
                .position(|&b| b == b'&')
                .map_or(bytes.len(), |at| start + at);
            start = end + 1;
            if end > piece_start {
                return Some((piece_start, end));
            }
        }
        None
    })
}

/// The budget of `limits.bodies_in_flight_bytes`: bytes of bodies being parsed or
/// served, and of the trees parsed from them, all requests together.
///
/// A body is charged once it has arrived, not while it arrives: a client sending
/// slowly holds no share (`limits.body_timeout_ms` bounds it, `body_limit` its size).
/// A JSON body is counted first, which builds nothing, and charged for itself and the
/// trees it can become, reckoned at two `Value`s per JSON value (the tree, and the
/// parameter deserialized from it); a form for twice its size. A request waits for its
/// share holding none, so that no two requests can wait on each other.
#[derive(Debug)]
pub(crate) struct BodyBudget {
    bytes: Arc<tokio::sync::Semaphore>,
    capacity: usize,
}

/// A request's share of the [`BodyBudget`], given back when the request is done.
pub(crate) type BodyCharge = tokio::sync::OwnedSemaphorePermit;

/// What one JSON value may cost once parsed and deserialized into a parameter.
const VALUE_WEIGHT: usize = 2 * std::mem::size_of::<Value>();

impl BodyBudget {
    pub(crate) fn new(bytes: u64) -> Self {
        let capacity = usize::try_from(u32::try_from(bytes).unwrap_or(u32::MAX)).unwrap_or(usize::MAX);
        BodyBudget {
            bytes: Arc::new(tokio::sync::Semaphore::new(capacity)),
            capacity,
        }
    }

    /// Waits for `bytes` of the budget (all of it at most).
    async fn take(&self, bytes: usize) -> BodyCharge {
        let share = bytes.clamp(1, self.capacity) as u32;
        self.bytes
            .clone()
            .acquire_many_owned(share)
            .await
            .unwrap_or_else(|_| unreachable!("the budget's semaphore is never closed"))
    }
}

/// Bodies larger than this are parsed on the blocking pool, so that a burst of large
/// bodies does not hold the async workers other requests need.
const PARSE_OFF_WORKERS: usize = 256 * 1024;

/// Reads a request's body within `limits.body_timeout_ms`, then parses it charged to
/// the budget, waiting for its share within `limits.body_timeout_ms` too.
pub(crate) async fn read_and_parse(
    request: &poem::Request,
    body: poem::Body,
    limit: u64,
    timeout: std::time::Duration,
    limits: BodyLimits,
    budget: &BodyBudget,
) -> Result<(Body, Option<BodyCharge>), BizError> {
    let declared = declared_length(request);
    if let Some(length) = declared {
        if length > limit {
            return Err(BizError::too_large_request(length, limit));
        }
    }
    let bytes = within(timeout, collect_body(body, limit, declared)).await??;
    let charge = |bytes| within(timeout, budget.take(bytes));
    let (body, charge) = match BodyKind::of(request.content_type(), limits) {
        BodyKind::Json { declared } => match parse_json(bytes.clone(), limits.json, charge).await? {
            Ok(parsed) => parsed,
            Err(json::Refusal::Invalid(_)) if !declared => return Ok((Body::None, None)),
            Err(refusal) => return Err(refused(refusal, &bytes)),
        },
        BodyKind::Form => {
            // The pairs are decoded copies of the body.
            let charge = charge(2 * bytes.len()).await?;
            (
                parse_form(&bytes, limits.max_form_fields).map(Body::Form)?,
                charge,
            )
        }
        BodyKind::Multipart => {
            let charge = charge(2 * bytes.len()).await?;
            let content_type = request.content_type().unwrap_or_default();
            // Boxed: its future is large, and would otherwise enlarge every request's.
            let parsed = Box::pin(parse_multipart(content_type, bytes, limits.max_form_fields)).await?;
            (parsed, charge)
        }
        BodyKind::Ignored => return Ok((Body::None, None)),
    };
    Ok((body, Some(charge)))
}

/// Parses a JSON body with its share of the budget taken before any tree is built: a
/// small body for the most it can become, a larger one for what counting (which
/// builds nothing) finds. The outer error is the server's, the inner the body's.
async fn parse_json<C, F>(
    bytes: Bytes,
    limits: json::JsonLimits,
    charge: C,
) -> Result<Result<(Body, BodyCharge), json::Refusal>, BizError>
where
    C: FnOnce(usize) -> F,
    F: Future<Output = Result<BodyCharge, BizError>>,
{
    if json::is_small(bytes.len(), limits) {
        // At most one value per byte.
        let charge = charge(bytes.len().saturating_mul(1 + VALUE_WEIGHT)).await?;
        return Ok(json::parse_small(bytes).map(|body| (body, charge)));
    }
    let values = match off_workers_if_large(bytes.len(), {
        let bytes = bytes.clone();
        move || json::count(&bytes, limits)
    })
    .await?
    {
        Ok(values) => values,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let charge = charge(bytes.len().saturating_add(values.saturating_mul(VALUE_WEIGHT))).await?;
    let parsed = off_workers_if_large(bytes.len(), move || json::parse_counted(bytes)).await?;
    Ok(parsed.map(|body| (body, charge)))
}

/// `work` within `timeout` (a body's arrival, a wait for the budget): refused as a
/// body that did not arrive in time. Most work is done at its first poll, and then no
/// timer is made at all.
async fn within<T>(timeout: std::time::Duration, work: impl Future<Output = T>) -> Result<T, BizError> {
    let mut work = std::pin::pin!(work);
    if let std::task::Poll::Ready(done) = futures_util::poll!(work.as_mut()) {
        return Ok(done);
    }
    tokio::time::timeout(timeout, work).await.map_err(|_elapsed| {
        tracing::debug!(
            ?timeout,
            "the request body did not arrive (or was not admitted) in time"
        );
        BizError::bad_parameter_for("_payload", reasons::BODY_TIMEOUT)
    })
}

/// Runs `work` on the blocking pool when the body it reads (`len` bytes) is large.
async fn off_workers_if_large<T: Send + 'static>(
    len: usize,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, BizError> {
    if len <= PARSE_OFF_WORKERS {
        return Ok(work());
    }
    tokio::task::spawn_blocking(work).await.map_err(|err| {
        tracing::error!(%err, "parsing a request body on the blocking pool failed");
        BizError::sys_error()
    })
}

fn declared_length(request: &poem::Request) -> Option<u64> {
    request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<u64>().ok())
}

async fn collect_body(body: poem::Body, limit: u64, declared: Option<u64>) -> Result<Bytes, BizError> {
    let mut stream = body.into_bytes_stream();
    // A body that arrives in one chunk (most do) is kept as it is, not copied.
    let mut first = Bytes::new();
    let mut rest = BytesMut::new();
    let mut size: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|err| {
            tracing::debug!(%err, "reading the request body failed");
            BizError::bad_parameter_for("_payload", reasons::BODY_UNREADABLE)
        })?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(BizError::too_large_request(size, limit));
        }
        if size == chunk.len() as u64 {
            first = chunk;
        } else {
            if rest.is_empty() {
                // Sized once by the declared length, so that no growth copies it again.
                let expected = declared.map_or(0, |length| length.min(limit) as usize);
                rest.reserve(expected.max(size as usize));
                rest.extend_from_slice(&first);
                first = Bytes::new();
            }
            rest.extend_from_slice(&chunk);
        }
    }
    Ok(if rest.is_empty() { first } else { rest.freeze() })
}

/// What a body may hold once read: `[limits]` and `parse_untyped_bodies`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyLimits {
    pub(crate) json: json::JsonLimits,
    pub(crate) max_form_fields: usize,
    pub(crate) parse_untyped: bool,
}

impl BodyLimits {
    pub(crate) fn of(settings: &crate::settings::Settings) -> Self {
        let limits = &settings.limits;
        let size = |value: u64| usize::try_from(value).unwrap_or(usize::MAX);
        BodyLimits {
            json: json::JsonLimits {
                max_depth: size(limits.max_json_depth),
                max_values: size(limits.max_json_values),
            },
            max_form_fields: size(limits.max_form_fields),
            parse_untyped: settings.parse_untyped_bodies,
        }
    }
}

/// How a body is read, by its `Content-Type`, as django-apiview does: JSON when
/// declared JSON (an error if it does not parse), urlencoded and multipart forms, and
/// any other body as JSON when it happens to parse — but `text/plain`, which a
/// browser sends cross-site without asking, only when `parse_untyped_bodies` says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    /// JSON; `declared`: by its `Content-Type`, so that invalid JSON is an error.
    Json {
        declared: bool,
    },
    Form,
    Multipart,
    Ignored,
}

impl BodyKind {
    fn of(content_type: Option<&str>, limits: BodyLimits) -> BodyKind {
        let essence = content_type
            .map(|value| value.split(';').next().unwrap_or("").trim())
            .unwrap_or_default();
        let is = |media_type: &str| essence.eq_ignore_ascii_case(media_type);
        let json_suffix = essence
            .len()
            .checked_sub(5)
            .and_then(|at| essence.get(at..))
            .is_some_and(|suffix| suffix.eq_ignore_ascii_case("+json"));
        if is("application/json") || json_suffix {
            BodyKind::Json { declared: true }
        } else if is("application/x-www-form-urlencoded") {
            BodyKind::Form
        } else if is("multipart/form-data") {
            BodyKind::Multipart
        } else if is("text/plain") && !limits.parse_untyped {
            BodyKind::Ignored
        } else {
            BodyKind::Json { declared: false }
        }
    }
}

fn refused(refusal: json::Refusal, bytes: &[u8]) -> BizError {
    match refusal {
        json::Refusal::Invalid(err) => {
            tracing::debug!(%err, "the JSON body does not parse");
            BizError::parse_json_error(bytes)
        }
        json::Refusal::TooDeep => BizError::bad_parameter_for("_payload", reasons::JSON_TOO_DEEP),
        json::Refusal::TooMany => BizError::bad_parameter_for("_payload", reasons::JSON_TOO_MANY_VALUES),
    }
}

/// An urlencoded body's pairs, at most `max_fields` of them. A key or value whose
/// percent-decoding is not UTF-8 is marked, not patched with U+FFFD: a parameter
/// reading it is refused.
fn parse_form(bytes: &[u8], max_fields: usize) -> Result<Vec<(String, String)>, BizError> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(BizError::bad_parameter_for("_payload", reasons::FORM_NOT_UTF8));
    };
    let mut pairs = Vec::new();
    for (start, end) in pieces(text) {
        if pairs.len() == max_fields {
            return Err(BizError::bad_parameter_for(
                "_payload",
                reasons::TOO_MANY_FORM_FIELDS,
            ));
        }
        let piece = &text[start..end];
        let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
        // Undecodable text is kept as a mark that no parameter takes (see `gather`).
        let decoded = |text| decode_form_text(text).unwrap_or_else(|| UNDECODABLE.to_owned());
        pairs.push((decoded(key), decoded(value)));
    }
    Ok(pairs)
}

/// `+` as a space, then percent-decoding; `None` when the bytes are not UTF-8.
fn decode_form_text(text: &str) -> Option<String> {
    if !needs_decoding(text) {
        return Some(text.to_owned());
    }
    let spaced = text.replace('+', " ");
    let decoded = percent_encoding::percent_decode_str(&spaced).decode_utf8().ok()?;
    Some(decoded.into_owned())
}

async fn parse_multipart(content_type: &str, bytes: Bytes, max_parts: usize) -> Result<Body, BizError> {
    let malformed = |detail: &str| {
        tracing::debug!(detail, "malformed multipart body");
        BizError::bad_parameter_for("_payload", reasons::MULTIPART_MALFORMED)
    };
    let boundary = multer::parse_boundary(content_type).map_err(|err| malformed(&err.to_string()))?;
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(bytes) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut pairs = Vec::new();
    let mut parts = 0;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|err| malformed(&err.to_string()))?
    {
        parts += 1;
        if parts > max_parts {
            return Err(BizError::bad_parameter_for(
                "_payload",
                reasons::TOO_MANY_FORM_FIELDS,
            ));
        }
        let is_file = field.file_name().is_some();
        let name = field.name().map(str::to_owned);
        // File parts are not parameters; read them to move on to the next part.
        let text = if is_file {
            field.bytes().await.map(|_| None)
        } else {
            field.text().await.map(Some)
        }
        .map_err(|err| malformed(&err.to_string()))?;
        if let (Some(name), Some(text)) = (name, text) {
            pairs.push((name, text));
        }
    }
    Ok(Body::Form(pairs))
}

#[cfg(test)]
mod tests {
    use super::{find_pairs, parse_query, scan_query, UNDECODABLE};

    const QUERIES: [&str; 16] = [
        "a=1&b=2",
        "a=b=c",
        "&&a=1&&",
        "=x&y",
        "a",
        "a+b=c%20d+e",
        "%zz=%4",
        "%C3%A9=%E2%82%AC",
        "a=%FF%FE",
        "a=1&a=2&a=",
        "",
        "&",
        "é=ü",
        "b=%41&a=1",
        "a=1&%61=2",
        "a=1&b=2&a=3",
    ];

    #[test]
    fn scanning_the_query_finds_what_the_decoded_pairs_find() {
        let mut scanned = 0;
        for query in QUERIES {
            let pieces = parse_query(query);
            let pairs = || {
                pieces
                    .iter()
                    .map(|(key, value)| (key.text(query), value.text(query)))
            };
            for name in ["a", "b", "y", "", "é", "a b", "%61"] {
                let expected = find_pairs(pairs(), name).map(|value| value.to_json());
                if let Ok(found) = scan_query(query, name) {
                    scanned += 1;
                    assert_eq!(
                        found.map(|value| value.to_json()),
                        expected,
                        "{name:?} in {query:?}"
                    );
                }
            }
        }
        // Most queries need no decoding: the scan answers them itself.
        assert!(scanned >= 70, "only {scanned} lookups answered by the scan");
    }

    /// As `form_urlencoded` reads them, but for text that does not decode to UTF-8,
    /// which is marked instead of patched with U+FFFD.
    #[test]
    fn query_pieces_read_as_form_urlencoded_reads_them() {
        for query in QUERIES {
            let strict = |text: std::borrow::Cow<'_, str>| {
                if text.contains('\u{FFFD}') {
                    UNDECODABLE.to_owned()
                } else {
                    text.into_owned()
                }
            };
            let expected: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
                .map(|(key, value)| (strict(key), strict(value)))
                .collect();
            let parsed: Vec<(String, String)> = parse_query(query)
                .iter()
                .map(|(key, value)| (key.text(query).to_owned(), value.text(query).to_owned()))
                .collect();
            assert_eq!(parsed, expected, "query {query:?}");
        }
    }
}
