//! A handler bound to an App: the request's way from the method check to the packed
//! answer.

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};

use futures_util::future::Either;
use futures_util::FutureExt;
use poem::http::header::HeaderValue;
use poem::{Endpoint, IntoResponse, Request, Response};

use super::decrypt::{self, Decode};
use super::pack::{pack, with_allow};
use super::panics;
use super::request_id::{request_id_of, with_request_id, REQUEST_ID};
use super::{Call, Handler, Outcome, Runtime};
use crate::auth::Identity;
use crate::cache::{Cache, Caches};
use crate::error::BizError;
use crate::guard::methods::AllowedMethods;
use crate::guard::throttle::ThrottleCheck;
use crate::guard::version::VersionCheck;
use crate::meta::{AuthUse, TypeShape};
use crate::packer::{Packer, Packers, SimplePacker};
use crate::request::{self, ApiRequest, Body, Held, Reading};
use crate::settings::Settings;

/// A handler bound to an App: its packer and allowed methods resolved.
pub(crate) struct Bound<H> {
    pub(crate) handler: H,
    pub(crate) runtime: Arc<Runtime>,
    pub(crate) packer: Arc<dyn Packer>,
    pub(crate) methods: AllowedMethods,
    /// How an `{encryptedPassword, encryptedData}` body is treated.
    pub(crate) decode: Decode,
    /// The backend of the handler's `#[cache]`, found once.
    cache: Option<Cache>,
    /// The largest body: `#[apiview(body_limit)]`, else `body_limit`.
    body_limit: u64,
    /// The parameters that take uploaded files: the file parts kept.
    upload_names: Box<[&'static str]>,
    /// The API version check (DESIGN §16); `None` with `versioning.scheme = "none"`,
    /// when a request reads nothing for it.
    version: Option<VersionCheck>,
    /// The throttle (DESIGN §13); `None` for an endpoint without `#[throttle]` when
    /// `throttle.default_rate` is empty, when a request reads nothing for it.
    throttle: Option<ThrottleCheck>,
    /// Whether requests run the App's authenticator (DESIGN §14); with
    /// [`AuthUse::None`] the `Authorization` header is never read.
    auth: AuthUse,
    /// Whether the endpoint authenticates before its body is read: it authenticates,
    /// with a head-only authenticator, checks no aclkey (which may be a body field)
    /// and throttles on nothing of the body.
    auth_first: bool,
    /// Whether answers get the `X-Request-Id` header here; inside an App, its request
    /// log sets it on every answer, this one's included.
    echo_request_id: bool,
}

impl<H: Handler> Bound<H> {
    pub(crate) fn new(handler: H, runtime: Arc<Runtime>, packer: Arc<dyn Packer>, decode: Decode) -> Self {
        let methods = AllowedMethods::resolve(handler.meta().methods, &runtime.default_methods);
        let cache = handler
            .meta()
            .cache
            .and_then(|spec| runtime.caches.get(spec.name).cloned());
        let body_limit = handler.meta().body_limit.unwrap_or(runtime.settings.body_limit);
        let upload_names = handler
            .meta()
            .params
            .iter()
            .filter(|param| matches!(param.shape, TypeShape::File | TypeShape::List(&TypeShape::File)))
            .map(|param| param.name)
            .collect();
        let version = runtime
            .versioning
            .clone()
            .map(|versioning| VersionCheck::new(versioning, handler.meta().versions));
        let throttle = ThrottleCheck::new(runtime.throttling.as_ref(), handler.meta());
        let auth_first = handler.meta().auth != AuthUse::None
            && !handler.meta().checks_aclkey
            && runtime
                .authenticator
                .as_ref()
                .is_some_and(|authenticator| !authenticator.reads_body())
            && throttle.as_ref().is_none_or(ThrottleCheck::before_body);
        Bound {
            auth_first,
            auth: handler.meta().auth,
            version,
            throttle,
            handler,
            runtime,
            packer,
            methods,
            decode,
            cache,
            body_limit,
            upload_names,
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
            let refused = self.pack_early(req, request_id, Body::None, error);
            let refused = with_allow(refused, &self.runtime, &self.methods);
            return Either::Left(Either::Left(std::future::ready(refused)));
        }
        // DESIGN §16: after the method check, before the body is read.
        let version = match &self.version {
            None => None,
            Some(check) => match check.version_of(&req) {
                Ok(version) => Some(version),
                Err(err) => {
                    let refused = self.pack_early(req, request_id, Body::None, Outcome::Error(err));
                    return Either::Left(Either::Left(std::future::ready(refused)));
                }
            },
        };
        // DESIGN §13: after the version, before the aclkey and any decryption.
        if let Some(throttle) = &self.throttle {
            let throttled = self.serve_throttled(throttle, req, request_id, version);
            return Either::Left(Either::Right(Box::pin(throttled)));
        }
        if self.reads_no_body(&mut req) {
            let caches = self.runtime.caches.clone();
            let request = ApiRequest::new(req, request_id, Body::None, caches, Held::default(), version);
            return Either::Right(Either::Left(self.run(request, false)));
        }
        Either::Right(Either::Right(Box::pin(
            self.serve_body(req, request_id, version, None),
        )))
    }

    /// Whether the request is served without reading a body: its endpoint reads
    /// none, or it has none (and nothing requires one).
    fn reads_no_body(&self, req: &mut Request) -> bool {
        let meta = self.handler.meta();
        let decodes = !matches!(self.decode, Decode::Off) && self.runtime.server_key.is_some();
        // An explicit `#[decode_encrypted_data]` refuses a missing body.
        let decodes_nothing = !(decodes && meta.decode_encrypted_data);
        !(meta.reads_body || decodes) || (body_is_empty(req) && decodes_nothing)
    }

    /// A throttled endpoint's request (DESIGN §13): counted before the body is read
    /// when its keys need nothing from the body, so that a throttled client costs no
    /// body parsing; else right after the body, before the aclkey.
    async fn serve_throttled(
        &self,
        throttle: &ThrottleCheck,
        mut req: Request,
        request_id: HeaderValue,
        version: Option<Arc<str>>,
    ) -> Response {
        let after_body = if throttle.before_body() {
            if let Err(err) = throttle.check(&req, None).await {
                return self.pack_early(req, request_id, Body::None, Outcome::Error(err));
            }
            None
        } else {
            Some(throttle)
        };
        if self.reads_no_body(&mut req) {
            let caches = self.runtime.caches.clone();
            let request = ApiRequest::new(req, request_id, Body::None, caches, Held::default(), version);
            if let Some(throttle) = after_body {
                if let Err(err) = throttle.check(request.poem_request(), Some(&request)).await {
                    return self.pack(&request, Outcome::Error(err));
                }
            }
            return self.run(request, false).await;
        }
        self.serve_body(req, request_id, version, after_body).await
    }

    /// Reads and parses the body; counts the request against `throttle`, if given;
    /// then serves the request. An endpoint that authenticates with a head-only
    /// authenticator (and checks no aclkey) authenticates first, so that a request
    /// without good credentials costs no body.
    async fn serve_body(
        &self,
        mut req: Request,
        request_id: HeaderValue,
        version: Option<Arc<str>>,
        throttle: Option<&ThrottleCheck>,
    ) -> Response {
        let payload = req.take_body();
        if self.auth_first {
            return self
                .serve_authenticated_first(req, payload, request_id, version)
                .await;
        }
        let (body, held) = if payload.is_empty() {
            (Body::None, Held::default())
        } else {
            match request::read_and_parse(&req, payload, self.reading()).await {
                Ok(read) => read,
                Err(err) => return self.pack_early(req, request_id, Body::None, Outcome::Error(err)),
            }
        };
        let request = ApiRequest::new(req, request_id, body, self.runtime.caches.clone(), held, version);
        if let Some(throttle) = throttle {
            if let Err(err) = throttle.check(request.poem_request(), Some(&request)).await {
                return self.pack(&request, Outcome::Error(err));
            }
        }
        self.serve_request(request, None).await
    }

    /// How this endpoint's body is read.
    fn reading(&self) -> Reading<'_> {
        let runtime = &*self.runtime;
        Reading {
            limit: self.body_limit,
            timeout: runtime.body_timeout,
            limits: runtime.body_limits,
            budget: &runtime.body_budget,
            uploads: &runtime.upload_limits,
            upload_names: &self.upload_names,
        }
    }

    /// Authenticates on the request's head, then reads its body: a request without
    /// good credentials is answered before a byte of its body is read.
    async fn serve_authenticated_first(
        &self,
        req: Request,
        payload: poem::Body,
        request_id: HeaderValue,
        version: Option<Arc<str>>,
    ) -> Response {
        let caches = self.runtime.caches.clone();
        let head = ApiRequest::new(req, request_id, Body::None, caches, Held::default(), version);
        let identity = match self.authenticate(&head).await {
            Ok(identity) => identity,
            Err(err) => return self.pack(&head, Outcome::Error(err)),
        };
        let (body, held) = if payload.is_empty() {
            (Body::None, Held::default())
        } else {
            match request::read_and_parse(head.poem_request(), payload, self.reading()).await {
                Ok(read) => read,
                Err(err) => return self.pack(&head, Outcome::Error(err)),
            }
        };
        match head.with_received(body, held) {
            Ok(request) => self.serve_request(request, Some(identity)).await,
            Err(head) => {
                tracing::error!("the request is still shared after its authentication; answered SysError");
                self.pack(&head, Outcome::Error(BizError::sys_error()))
            }
        }
    }

    /// Serves a request whose body is read: when the endpoint decrypts bodies, runs
    /// the guard (the aclkey) on the plain request first and authenticates (unless
    /// `authenticated` says who the caller is already), then decrypts; then runs the
    /// endpoint.
    async fn serve_request(&self, request: ApiRequest, authenticated: Option<Option<Identity>>) -> Response {
        let key = match (&self.decode, &self.runtime.server_key) {
            (Decode::Plain | Decode::Signed { .. }, Some(key)) => key.clone(),
            _ => {
                return match authenticated {
                    Some(identity) => self.run_as(request, false, identity).await,
                    None => self.run(request, false).await,
                }
            }
        };
        // DESIGN §2.3: the aclkey, from the plain request, before any RSA work; then
        // who the caller is (§14), before it too.
        if let Err(err) = self.guard(&request) {
            return self.pack(&request, Outcome::Error(err));
        }
        let identity = match authenticated {
            Some(identity) => identity,
            None => match self.authenticate(&request).await {
                Ok(identity) => identity,
                Err(err) => return self.pack(&request, Outcome::Error(err)),
            },
        };
        let decoded = match &self.decode {
            Decode::Signed { explicit, requests } => {
                decrypt::decode_signed(&request, key, *explicit, requests).await
            }
            _ => {
                let explicit = self.handler.meta().decode_encrypted_data;
                decrypt::decode_body(request.body(), key, explicit).await
            }
        };
        match decoded {
            Ok(Some(body)) => match request.with_body(body) {
                Ok(request) => self.run_as(request, true, identity).await,
                Err(request) => {
                    tracing::error!("the request is still shared after its guard; answered SysError");
                    self.pack(&request, Outcome::Error(BizError::sys_error()))
                }
            },
            Ok(None) => self.run_as(request, true, identity).await,
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
            panic = panics::panic_message(panic),
            location = panics::last_location().as_deref().unwrap_or("unknown"),
            "endpoint panicked; answered SysError"
        );
        BizError::sys_error()
    }

    /// Phase "authentication" (DESIGN §14), for an endpoint that uses it: the App's
    /// authenticator, then `LoginRequired` when the endpoint requires an identity and
    /// the request has none. A panic in the authenticator is answered as one in the
    /// endpoint is.
    async fn authenticate(&self, request: &ApiRequest) -> Result<Option<Identity>, BizError> {
        if self.auth == AuthUse::None {
            return Ok(None);
        }
        // Outside an App (`serve_standalone`) there is none: nobody is known.
        let found = match &self.runtime.authenticator {
            None => None,
            Some(authenticator) => {
                let authenticating = panics::Quiet {
                    inner: authenticator.authenticate_boxed(request),
                };
                match AssertUnwindSafe(authenticating).catch_unwind().await {
                    Ok(found) => found?,
                    Err(panic) => return Err(self.caught(request, "authenticate", &*panic)),
                }
            }
        };
        match (found, self.auth) {
            (None, AuthUse::Required) => Err(BizError::login_required()),
            (found, _) => Ok(found),
        }
    }

    /// Runs the endpoint's phases (its guard first, unless `guarded`; then, for an
    /// endpoint that authenticates, the authenticator) and packs what they give. An
    /// endpoint that does not authenticate pays for none of it.
    fn run(&self, request: ApiRequest, guarded: bool) -> impl Future<Output = Response> + Send + '_ {
        if guarded || self.auth == AuthUse::None {
            return Either::Left(self.run_as(request, guarded, None));
        }
        Either::Right(Box::pin(async move {
            if let Err(err) = self.guard(&request) {
                return self.pack(&request, Outcome::Error(err));
            }
            match self.authenticate(&request).await {
                Ok(identity) => self.run_as(request, true, identity).await,
                Err(err) => self.pack(&request, Outcome::Error(err)),
            }
        }))
    }

    /// Runs [`Handler::run`] (after the guard, unless `guarded`) for the caller
    /// `identity`, and packs what it gives.
    async fn run_as(&self, request: ApiRequest, guarded: bool, identity: Option<Identity>) -> Response {
        let mut call = Call::new(request.clone(), self.runtime.clone(), self.cache.clone());
        call.identity = identity;
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
        let caches = self.runtime.caches.clone();
        let request = ApiRequest::new(req, request_id, body, caches, Held::default(), None);
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
    fn call(&self, req: Request) -> impl Future<Output = poem::Result<Response>> + Send {
        self.serve(req).map(Ok)
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
        .unwrap_or_else(|| Arc::new(SimplePacker));
    let mut bound = Bound::new(handler.clone(), runtime, packer, Decode::Off);
    bound.echo_request_id = true;
    bound.serve(req).await.into_response()
}
