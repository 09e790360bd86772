//! Serving one request: method check, body, the handler's phases, packing. Everything
//! here reads state built once when the App was built.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};

use futures_util::FutureExt;
use poem::http::header::{HeaderName, HeaderValue, ALLOW, CONTENT_TYPE};
use poem::http::{Method, StatusCode};
use poem::{Endpoint, IntoResponse, Request, Response};

use std::collections::HashMap;

use rsa::RsaPrivateKey;

use crate::cache::Caches;
use crate::endpoint::{Call, Handler, Outcome};
use crate::error::{BizError, ErrorClass, Language};
use crate::helpers::auth::AclKeyDigest;
use crate::helpers::methods::AllowedMethods;
use crate::packer::{PackContext, Packer, Packers};
use crate::request::{self, ApiRequest, Body};
use crate::settings::{HttpStatusMode, Settings};

/// The response header carrying the request id.
///
/// ```
/// assert_eq!(apiview_core::runtime::REQUEST_ID_HEADER, "x-request-id");
/// ```
pub const REQUEST_ID_HEADER: &str = "x-request-id";
const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// Settings and what is derived from them, built once per App.
pub(crate) struct Runtime {
    pub(crate) settings: Settings,
    pub(crate) caches: Arc<Caches>,
    pub(crate) server_key: Option<Arc<RsaPrivateKey>>,
    pub(crate) rsa_keys: HashMap<String, Arc<RsaPrivateKey>>,
    pub(crate) aclkeys: Vec<AclKeyDigest>,
    pub(crate) default_methods: Vec<Method>,
}

impl Runtime {
    pub(crate) fn new(
        settings: Settings,
        caches: Arc<Caches>,
        server_key: Option<Arc<RsaPrivateKey>>,
        rsa_keys: HashMap<String, Arc<RsaPrivateKey>>,
    ) -> Self {
        let aclkeys = std::iter::once(&settings.aclkey)
            .chain(&settings.aclkeys)
            .filter_map(|key| AclKeyDigest::of(key))
            .collect();
        let default_methods = settings.default_methods();
        Runtime {
            settings,
            caches,
            server_key,
            rsa_keys,
            aclkeys,
            default_methods,
        }
    }

    fn language(&self) -> Language {
        self.settings.language
    }
}

/// The business code of an error answer, in the response's extensions, for the request
/// log. Absent on success (code 0), which spares the common answer an allocation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BusinessCode(pub(crate) i64);

/// The `X-Request-Id` header's name, parsed once.
pub(crate) static REQUEST_ID: HeaderName = HeaderName::from_static(REQUEST_ID_HEADER);

/// The request's `X-Request-Id` when it is a sane token (`None` when a new id is needed).
pub(crate) fn given_request_id(request: &Request) -> Option<&HeaderValue> {
    let value = request.headers().get(&REQUEST_ID)?;
    let id = value.as_bytes();
    let sane = !id.is_empty()
        && id.len() <= 128
        && id
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    sane.then_some(value)
}

/// A new request id: 32 lowercase hex digits.
pub(crate) fn new_request_id() -> HeaderValue {
    let mut buffer = uuid::Uuid::encode_buffer();
    let hex = uuid::Uuid::new_v4().simple().encode_lower(&mut buffer);
    HeaderValue::from_str(hex).unwrap_or_else(|_| unreachable!("hex digits are a valid header value"))
}

/// The request's `X-Request-Id` when it is a sane token, else a new 32-hex id.
pub(crate) fn request_id_of(request: &Request) -> String {
    let value = given_request_id(request).cloned().unwrap_or_else(new_request_id);
    // Both kinds are visible ASCII.
    value.to_str().unwrap_or_default().to_owned()
}

/// A handler bound to an App: its packer and allowed methods resolved.
pub(crate) struct Bound<H> {
    pub(crate) handler: H,
    pub(crate) runtime: Arc<Runtime>,
    pub(crate) packer: Arc<dyn Packer>,
    pub(crate) methods: AllowedMethods,
    /// Whether an `{encryptedPassword, encryptedData}` body is decrypted.
    pub(crate) decode: bool,
    /// The backend of the handler's `#[cache]`, found once.
    cache: Option<crate::cache::Cache>,
    /// Whether answers get the `X-Request-Id` header here; inside an App, its request
    /// log sets it on every answer, this one's included.
    echo_request_id: bool,
}

impl<H: Handler> Bound<H> {
    pub(crate) fn new(handler: H, runtime: Arc<Runtime>, packer: Arc<dyn Packer>, decode: bool) -> Self {
        let methods = AllowedMethods::resolve(handler.meta(), &runtime.default_methods);
        let cache = handler
            .meta()
            .cache
            .and_then(|spec| runtime.caches.get(spec.name).cloned());
        Bound {
            handler,
            runtime,
            packer,
            methods,
            decode,
            cache,
            echo_request_id: false,
        }
    }

    async fn serve(&self, mut req: Request) -> Response {
        let request_id = match req.headers().get(&REQUEST_ID) {
            // Inside an App, its request log has set a sane id on the request.
            Some(id) if !self.echo_request_id => id.to_str().unwrap_or_default().to_owned(),
            _ => request_id_of(&req),
        };
        if !self.methods.allows(req.method()) {
            let error = Outcome::Error(BizError::not_supported_http_method());
            let mut response = self.pack_early(req, request_id, error);
            if self.runtime.settings.http_status == HttpStatusMode::Semantic {
                if let Ok(value) = HeaderValue::from_str(&self.methods.allow_header()) {
                    response.headers_mut().insert(ALLOW, value);
                }
            }
            return response;
        }
        let body = if self.handler.meta().reads_body || self.decode {
            let body = match read_and_parse(&mut req, self.runtime.settings.body_limit).await {
                Ok(body) => body,
                Err(err) => return self.pack_early(req, request_id, Outcome::Error(err)),
            };
            match (self.decode, &self.runtime.server_key) {
                (true, Some(key)) => {
                    let explicit = self.handler.meta().decode_encrypted_data;
                    // Boxed: the decryption's future would enlarge every request's.
                    match Box::pin(crate::decrypt::decode_body(&body, key.clone(), explicit)).await {
                        Ok(Some(decoded)) => decoded,
                        Ok(None) => body,
                        Err(err) => {
                            // Packed with the request, so that a safe answer finds its client.
                            let request = ApiRequest::new(req, request_id, body, self.runtime.caches.clone());
                            return self.pack(request.request_id(), Some(&request), Outcome::Error(err));
                        }
                    }
                }
                _ => body,
            }
        } else {
            Body::None
        };
        let request = ApiRequest::new(req, request_id, body, self.runtime.caches.clone());
        let call = Call::new(request.clone(), self.runtime.clone(), self.cache.clone());
        let outcome = match AssertUnwindSafe(self.handler.run(call)).catch_unwind().await {
            Ok(outcome) => outcome,
            Err(panic) => {
                tracing::error!(
                    request_id = request.request_id(),
                    endpoint = self.handler.meta().name,
                    panic = panic_message(&*panic),
                    "endpoint panicked; answered SysError"
                );
                Outcome::Error(BizError::sys_error())
            }
        };
        self.pack(request.request_id(), Some(&request), outcome)
    }

    /// Packs an error raised before the body was parsed, with the request head, so
    /// that a packer that needs the request (safe: the client id) still finds it.
    fn pack_early(&self, req: Request, request_id: String, outcome: Outcome) -> Response {
        let request = ApiRequest::new(req, request_id, Body::None, self.runtime.caches.clone());
        self.pack(request.request_id(), Some(&request), outcome)
    }

    fn pack(&self, request_id: &str, request: Option<&ApiRequest>, outcome: Outcome) -> Response {
        let cx = PackContext::new(request_id, self.runtime.language(), request);
        let mut body = Vec::with_capacity(128);
        let written = match outcome {
            Outcome::Raw(response) => return self.echo(response, request_id),
            Outcome::Data(value) => self.packer.write_result(value, &cx, &mut body),
            Outcome::Json(json) => self.packer.write_result_json(&json, &cx, &mut body),
            Outcome::Error(err) => Err(err),
        };
        let error = written.err().map(|err| {
            body.clear();
            let (packed, err) = self.pack_error(err, &cx);
            if crate::packer::write_json(&packed, &mut body).is_err() {
                body.clear();
                body.extend_from_slice(
                    br#"{"success":false,"error":{"code":1001000000,"message":"System Error"}}"#,
                );
            }
            err
        });
        let status = match (&error, self.runtime.settings.http_status) {
            (Some(err), HttpStatusMode::Semantic) => semantic_status(err.class()),
            _ => StatusCode::OK,
        };
        let mut response = Response::builder()
            .status(status)
            .header(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE))
            .body(body);
        if let Some(err) = error {
            response.extensions_mut().insert(BusinessCode(err.code()));
        }
        self.echo(response, request_id)
    }

    fn echo(&self, response: Response, request_id: &str) -> Response {
        if self.echo_request_id {
            with_request_id(response, request_id)
        } else {
            response
        }
    }

    fn pack_error(&self, err: BizError, cx: &PackContext) -> (serde_json::Value, BizError) {
        match self.packer.pack_error(&err, cx) {
            Ok(packed) => (packed, err),
            Err(pack_err) => {
                tracing::error!(%pack_err, original = %err, "the packer failed to pack an error");
                let fallback = crate::packer::SimplePacker
                    .pack_error(&pack_err, cx)
                    .unwrap_or(serde_json::Value::Null);
                (fallback, pack_err)
            }
        }
    }
}

async fn read_and_parse(req: &mut Request, limit: u64) -> Result<Body, BizError> {
    let body = req.take_body();
    if body.is_empty() {
        return Ok(Body::None);
    }
    // Boxed: only requests with a body pay for reading one, in allocation and in
    // the size of the request's future.
    Box::pin(async {
        let bytes = request::read_body(req, body, limit).await?;
        request::parse_body(req.content_type(), bytes).await
    })
    .await
}

impl<H: Handler> Endpoint for Bound<H> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        Ok(self.serve(req).await)
    }
}

fn semantic_status(class: ErrorClass) -> StatusCode {
    match class {
        ErrorClass::Parameter => StatusCode::BAD_REQUEST,
        ErrorClass::Auth => StatusCode::FORBIDDEN,
        ErrorClass::Method => StatusCode::METHOD_NOT_ALLOWED,
        ErrorClass::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorClass::System => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorClass::Business => StatusCode::OK,
    }
}

fn with_request_id(mut response: Response, request_id: &str) -> Response {
    if !response.headers().contains_key(&REQUEST_ID) {
        if let Ok(value) = HeaderValue::from_str(request_id) {
            response.headers_mut().insert(&REQUEST_ID, value);
        }
    }
    response
}

pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    if let Some(text) = panic.downcast_ref::<&'static str>() {
        text
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text
    } else {
        "(a panic without a message)"
    }
}

#[doc(hidden)]
/// Serves a handler used on its own, outside an App: default settings, the packer
/// its attribute names (a built-in one) or `simple`.
pub async fn serve_standalone<H: Handler + Clone>(handler: &H, req: Request) -> Response {
    static RUNTIME: OnceLock<Arc<Runtime>> = OnceLock::new();
    let runtime = RUNTIME
        .get_or_init(|| {
            let settings = Settings::default();
            let caches = Caches::from_settings(&settings.cache).unwrap_or_default();
            Arc::new(Runtime::new(settings, Arc::new(caches), None, HashMap::new()))
        })
        .clone();
    let packers = Packers::default();
    let packer = handler
        .meta()
        .packer
        .and_then(|name| packers.get(name).cloned())
        .unwrap_or_else(|| Arc::new(crate::packer::SimplePacker));
    let mut bound = Bound::new(handler.clone(), runtime, packer, false);
    bound.echo_request_id = true;
    bound.serve(req).await.into_response()
}
