//! Serving one request: method check, body, the handler's phases, packing. Everything
//! here reads state built once when the App was built.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures_util::future::Either;
use futures_util::FutureExt;
use poem::http::header::{HeaderName, HeaderValue, ALLOW, CONTENT_TYPE};
use poem::http::{Method, StatusCode};
use poem::{Endpoint, IntoResponse, Request, Response};

use std::collections::HashMap;

use rsa::RsaPrivateKey;

use crate::cache::Caches;
use crate::decrypt::Decode;
use crate::endpoint::{Call, Handler, Outcome};
use crate::error::{BizError, ErrorClass, Language};
use crate::helpers::auth::AclKeyDigest;
use crate::helpers::methods::AllowedMethods;
use crate::packer::{PackContext, Packer, Packers};
use crate::request::{self, ApiRequest, Body, BodyBudget, BodyLimits};
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
    pub(crate) body_timeout: Duration,
    pub(crate) body_limits: BodyLimits,
    pub(crate) body_budget: BodyBudget,
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
        let body_timeout = Duration::from_millis(settings.limits.body_timeout_ms);
        let body_limits = BodyLimits::of(&settings);
        let body_budget = BodyBudget::new(settings.limits.bodies_in_flight_bytes);
        Runtime {
            body_timeout,
            body_limits,
            body_budget,
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
    request
        .headers()
        .get(&REQUEST_ID)
        .filter(|value| is_sane_id(value))
}

/// 1 to 128 characters of `[A-Za-z0-9-_.:]`.
pub(crate) fn is_sane_id(value: &HeaderValue) -> bool {
    let id = value.as_bytes();
    !id.is_empty()
        && id.len() <= 128
        && id
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// A new request id: 32 lowercase hex digits, in one allocation that its clones share
/// (the request, the answer and the [`ApiRequest`] each hold one).
pub(crate) fn new_request_id() -> HeaderValue {
    let mut hex = [0u8; 32];
    uuid::Uuid::new_v4().simple().encode_lower(&mut hex);
    HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(hex))
        .unwrap_or_else(|_| unreachable!("hex digits are a valid header value"))
}

/// The request's `X-Request-Id` when it is a sane token, else a new 32-hex id.
pub(crate) fn request_id_of(request: &Request) -> HeaderValue {
    given_request_id(request).cloned().unwrap_or_else(new_request_id)
}

/// A handler bound to an App: its packer and allowed methods resolved.
pub(crate) struct Bound<H> {
    pub(crate) handler: H,
    pub(crate) runtime: Arc<Runtime>,
    pub(crate) packer: Arc<dyn Packer>,
    pub(crate) methods: AllowedMethods,
    /// How an `{encryptedPassword, encryptedData}` body is treated.
    pub(crate) decode: Decode,
    /// The backend of the handler's `#[cache]`, found once.
    cache: Option<crate::cache::Cache>,
    /// Whether answers get the `X-Request-Id` header here; inside an App, its request
    /// log sets it on every answer, this one's included.
    echo_request_id: bool,
}

impl<H: Handler> Bound<H> {
    pub(crate) fn new(handler: H, runtime: Arc<Runtime>, packer: Arc<dyn Packer>, decode: Decode) -> Self {
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

    /// The request's future. Requests without a body (or whose endpoint reads none)
    /// are wrapped into an [`ApiRequest`] before it starts, so that their future does
    /// not also hold the poem request; the others are served by a boxed future.
    fn serve(&self, mut req: Request) -> impl Future<Output = Response> + Send + '_ {
        let request_id = match req.headers().get(&REQUEST_ID) {
            // Inside an App, its request log has set a sane id on the request.
            Some(id) if !self.echo_request_id => id.clone(),
            _ => request_id_of(&req),
        };
        if !self.methods.allows(req.method()) {
            let error = Outcome::Error(BizError::not_supported_http_method());
            let mut response = self.pack_early(req, request_id, Body::None, error);
            if self.runtime.settings.http_status == HttpStatusMode::Semantic {
                if let Ok(value) = HeaderValue::from_str(&self.methods.allow_header()) {
                    response.headers_mut().insert(ALLOW, value);
                }
            }
            return Either::Left(std::future::ready(response));
        }
        let meta = self.handler.meta();
        let decodes = !matches!(self.decode, Decode::Off) && self.runtime.server_key.is_some();
        // An explicit `#[decode_encrypted_data]` refuses a missing body.
        let decodes_nothing = !(decodes && meta.decode_encrypted_data);
        if !(meta.reads_body || decodes) || (body_is_empty(&mut req) && decodes_nothing) {
            let request = ApiRequest::new(req, request_id, Body::None, self.runtime.caches.clone(), None);
            return Either::Right(Either::Left(self.run(request, false)));
        }
        Either::Right(Either::Right(Box::pin(self.serve_body(req, request_id))))
    }

    /// Reads and parses the body; when the endpoint decrypts bodies, runs the guard
    /// (the aclkey) on the plain request first, then decrypts; then runs the endpoint.
    async fn serve_body(&self, mut req: Request, request_id: HeaderValue) -> Response {
        let runtime = &self.runtime;
        let payload = req.take_body();
        let (body, charge) = if payload.is_empty() {
            (Body::None, None)
        } else {
            let limit = runtime.settings.body_limit;
            let read = request::read_and_parse(
                &req,
                payload,
                limit,
                runtime.body_timeout,
                runtime.body_limits,
                &runtime.body_budget,
            );
            match read.await {
                Ok(read) => read,
                Err(err) => return self.pack_early(req, request_id, Body::None, Outcome::Error(err)),
            }
        };
        let request = ApiRequest::new(req, request_id, body, runtime.caches.clone(), charge);
        let Some(key) = runtime.server_key.clone() else {
            return self.run(request, false).await;
        };
        let explicit = self.handler.meta().decode_encrypted_data;
        let decoded = match &self.decode {
            Decode::Off => return self.run(request, false).await,
            Decode::Plain | Decode::Signed { .. } => {
                // DESIGN §2.3: the aclkey, from the plain request, before any RSA work.
                if let Err(err) = self.guard(&request) {
                    return self.pack(&request, Outcome::Error(err));
                }
                match &self.decode {
                    Decode::Signed { explicit, requests } => {
                        crate::decrypt::decode_signed(&request, key, *explicit, requests).await
                    }
                    _ => crate::decrypt::decode_body(request.body(), key, explicit).await,
                }
            }
        };
        match decoded {
            Ok(Some(body)) => match request.with_body(body) {
                Ok(request) => self.run(request, true).await,
                Err(request) => {
                    tracing::error!("the request is still shared after its guard; answered SysError");
                    self.pack(&request, Outcome::Error(BizError::sys_error()))
                }
            },
            Ok(None) => self.run(request, true).await,
            // Packed with the plain request, so that a safe answer finds its client.
            Err(err) => self.pack(&request, Outcome::Error(err)),
        }
    }

    /// Runs [`Handler::guard`] on the plain request, a panic in it answered as one in
    /// the endpoint is.
    fn guard(&self, request: &ApiRequest) -> Result<(), BizError> {
        let call = Call::new(request.clone(), self.runtime.clone(), self.cache.clone());
        self.guard_call(&call, request)
    }

    fn guard_call(&self, call: &Call, request: &ApiRequest) -> Result<(), BizError> {
        let guarded = || panics::quietly(|| self.handler.guard(call));
        std::panic::catch_unwind(AssertUnwindSafe(guarded))
            .unwrap_or_else(|panic| Err(self.caught(request, "guard", &*panic)))
    }

    /// Logs a panic caught in the endpoint's `phase`, once, with its message and
    /// location: the `SysError` its client gets says nothing of it.
    fn caught(&self, request: &ApiRequest, phase: &str, panic: &(dyn std::any::Any + Send)) -> BizError {
        tracing::error!(
            request_id = request.request_id(),
            endpoint = self.handler.meta().name,
            phase,
            panic = panic_message(panic),
            location = panics::last_location().as_deref().unwrap_or("unknown"),
            "endpoint panicked; answered SysError"
        );
        BizError::sys_error()
    }

    /// Runs the endpoint's phases (its guard first, unless `guarded`) and packs what
    /// they give.
    async fn run(&self, request: ApiRequest, guarded: bool) -> Response {
        let call = Call::new(request.clone(), self.runtime.clone(), self.cache.clone());
        // The guard is synchronous: run before the handler's future exists, so that
        // no future wraps the handler's (each layer copies it).
        if !guarded {
            if let Err(err) = self.guard_call(&call, &request) {
                return self.pack(&request, Outcome::Error(err));
            }
        }
        let outcome = match AssertUnwindSafe(panics::Quiet {
            inner: self.handler.run(call),
        })
        .catch_unwind()
        .await
        {
            Ok(outcome) => outcome,
            Err(panic) => Outcome::Error(self.caught(&request, "run", &*panic)),
        };
        self.pack(&request, outcome)
    }

    /// Packs an error raised before the endpoint ran, with the request (and the body
    /// read so far), so that a packer that needs the request (safe: the client id)
    /// still finds it.
    fn pack_early(&self, req: Request, request_id: HeaderValue, body: Body, outcome: Outcome) -> Response {
        let request = ApiRequest::new(req, request_id, body, self.runtime.caches.clone(), None);
        self.pack(&request, outcome)
    }

    fn pack(&self, request: &ApiRequest, outcome: Outcome) -> Response {
        let response = pack(&self.runtime, &*self.packer, request, outcome);
        self.echo(response, request.request_id())
    }

    fn echo(&self, response: Response, request_id: &str) -> Response {
        if self.echo_request_id {
            with_request_id(response, request_id)
        } else {
            response
        }
    }
}

/// Packs an outcome with `packer` into an answer: JSON, status 200 or (semantic mode)
/// the error's status, and the business code in the extensions for the request log;
/// a `Raw` outcome as it is.
fn pack(runtime: &Runtime, packer: &dyn Packer, request: &ApiRequest, outcome: Outcome) -> Response {
    let cx = PackContext::new(request, runtime.language());
    // Empty: the built-in packers reserve the answer's exact size, and a body whose
    // length is its capacity becomes the response's bytes without another allocation.
    let mut body = Vec::new();
    let written = match outcome {
        Outcome::Raw(response) => return response,
        Outcome::Data(value) => packer.write_result(value, &cx, &mut body),
        Outcome::Json(json) => packer.write_result_json(&json, &cx, &mut body),
        Outcome::Error(err) => Err(err),
    };
    let error = written.err().map(|err| {
        body.clear();
        let (packed, err) = pack_error(packer, err, &cx);
        if crate::packer::write_json(&packed, &mut body).is_err() {
            body.clear();
            body.extend_from_slice(
                br#"{"success":false,"error":{"code":1001000000,"message":"System Error"}}"#,
            );
        }
        err
    });
    let status = match (&error, runtime.settings.http_status) {
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
    response
}

fn pack_error(packer: &dyn Packer, err: BizError, cx: &PackContext) -> (serde_json::Value, BizError) {
    match packer.pack_error(&err, cx) {
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

/// Answers what no route matched: a packed `NoMatchingRouteFound`, by the App's
/// default packer, with status 404 in both modes: no endpoint raised it, and a
/// proxy, a monitor or a crawler should see the path does not exist.
#[derive(Clone)]
pub(crate) struct NoRoute {
    pub(crate) runtime: Arc<Runtime>,
    pub(crate) packer: Arc<dyn Packer>,
}

impl Endpoint for NoRoute {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let request_id = request_id_of(&req);
        let request = ApiRequest::new(req, request_id, Body::None, self.runtime.caches.clone(), None);
        let outcome = Outcome::Error(BizError::no_matching_route_found());
        let mut response = pack(&self.runtime, &*self.packer, &request, outcome);
        response.set_status(StatusCode::NOT_FOUND);
        Ok(response)
    }
}

/// Whether the request's body is known to be empty (`Content-Length: 0`, or none).
fn body_is_empty(req: &mut Request) -> bool {
    let body = req.take_body();
    let empty = body.is_empty();
    req.set_body(body);
    empty
}

impl<H: Handler> Endpoint for Bound<H> {
    type Output = Response;

    // Not an `async fn`: a wrapper future would hold one more copy of the request.
    fn call(&self, req: Request) -> impl std::future::Future<Output = poem::Result<Response>> + Send {
        self.serve(req).map(Ok)
    }
}

fn semantic_status(class: ErrorClass) -> StatusCode {
    match class {
        ErrorClass::Parameter => StatusCode::BAD_REQUEST,
        ErrorClass::Auth => StatusCode::FORBIDDEN,
        ErrorClass::Method => StatusCode::METHOD_NOT_ALLOWED,
        ErrorClass::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorClass::NotFound => StatusCode::NOT_FOUND,
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

/// Panics caught in endpoints are logged once, with their message and location, by
/// the request's own error event: the process's panic hook would print a backtrace
/// per request (27 KB with `RUST_BACKTRACE=1`), which a client could trigger at will.
pub(crate) mod panics {
    use std::cell::{Cell, RefCell};
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Once;
    use std::task::{Context, Poll};

    thread_local! {
        /// Whether this thread is running an endpoint's code now.
        static IN_ENDPOINT: Cell<bool> = const { Cell::new(false) };
        /// Where the last quiet panic on this thread happened.
        static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
    }

    /// Installs, once per process, a hook that stays quiet for panics inside an
    /// endpoint and hands any other panic to the hook that was there before.
    pub(crate) fn install_hook() {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if IN_ENDPOINT.with(Cell::get) {
                    let location = info.location().map(|at| format!("{}:{}", at.file(), at.line()));
                    LOCATION.with(|last| *last.borrow_mut() = location);
                } else {
                    previous(info);
                }
            }));
        });
    }

    /// The location of the last panic caught quietly on this thread.
    pub(crate) fn last_location() -> Option<String> {
        LOCATION.with(|last| last.borrow_mut().take())
    }

    /// Marks this thread as running endpoint code until dropped, even by a panic.
    struct Marked(bool);

    impl Marked {
        fn new() -> Self {
            Marked(IN_ENDPOINT.with(|flag| flag.replace(true)))
        }
    }

    impl Drop for Marked {
        fn drop(&mut self) {
            IN_ENDPOINT.with(|flag| flag.set(self.0));
        }
    }

    /// Runs `f` as endpoint code: a panic in it is left to the endpoint's catch.
    pub(crate) fn quietly<R>(f: impl FnOnce() -> R) -> R {
        let _marked = Marked::new();
        f()
    }

    pin_project_lite::pin_project! {
        /// A future whose polls run [`quietly`].
        pub(crate) struct Quiet<F> {
            #[pin]
            pub(crate) inner: F,
        }
    }

    impl<F: Future> Future for Quiet<F> {
        type Output = F::Output;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
            let _marked = Marked::new();
            self.project().inner.poll(cx)
        }
    }
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
    let mut bound = Bound::new(handler.clone(), runtime, packer, Decode::Off);
    bound.echo_request_id = true;
    bound.serve(req).await.into_response()
}
