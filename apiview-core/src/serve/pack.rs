//! Packing an outcome into the answer: the packer's envelope, the status, the business
//! code for the request log; and the answers of requests no endpoint takes: a path no
//! route takes, a method no endpoint at the path allows.

use std::sync::Arc;

use poem::http::header::{HeaderValue, ALLOW, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use poem::http::StatusCode;
use poem::{Endpoint, Request, Response};

use super::request_id::request_id_of;
use super::{Outcome, Runtime};
use crate::error::{codes, BizError, ErrorClass};
use crate::guard::methods::AllowedMethods;
use crate::packer::{self, PackContext, Packer, SimplePacker};
use crate::request::{ApiRequest, Body, Held};
use crate::settings::HttpStatusMode;

const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// The business code of an error answer, in the response's extensions, for the request
/// log. Absent on success (code 0), which spares the common answer an allocation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BusinessCode(pub(crate) i64);

/// Packs an outcome with `packer` into an answer: JSON, status 200 or (semantic mode)
/// the error's status, and the business code in the extensions for the request log;
/// a `Raw` outcome as it is.
pub(crate) fn pack(
    runtime: &Runtime,
    packer: &dyn Packer,
    request: &ApiRequest,
    outcome: Outcome,
) -> Response {
    let cx = PackContext::new(request, runtime.language());
    // Empty: the built-in packers reserve the answer's exact size, and a body whose
    // length is its capacity becomes the response's bytes without another allocation.
    let mut body = Vec::new();
    let written = match outcome {
        Outcome::Raw(response) => return response,
        Outcome::Json(json) => packer.write_result_json(&json, &cx, &mut body),
        Outcome::Error(err) => Err(err),
    };
    let error = written.err().map(|err| {
        body.clear();
        let (packed, err) = pack_error(packer, err, &cx);
        if packer::write_json(&packed, &mut body).is_err() {
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
    if status == StatusCode::UNAUTHORIZED {
        // RFC 9110 §15.5.2: a 401 names how to authenticate.
        response
            .headers_mut()
            .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    if let Some(err) = error {
        // DESIGN §13: a throttled client is told when to come back, in both modes.
        if err.code() == codes::TOO_MANY_REQUESTS.code {
            if let Some(seconds) = err
                .value("retry_after")
                .and_then(|s| HeaderValue::from_str(s).ok())
            {
                response.headers_mut().insert(RETRY_AFTER, seconds);
            }
        }
        response.extensions_mut().insert(BusinessCode(err.code()));
    }
    response
}

fn pack_error(packer: &dyn Packer, err: BizError, cx: &PackContext) -> (serde_json::Value, BizError) {
    match packer.pack_error(&err, cx) {
        Ok(packed) => (packed, err),
        Err(pack_err) => {
            tracing::error!(%pack_err, original = %err, "the packer failed to pack an error");
            let fallback = SimplePacker
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
        let refusal = BizError::no_matching_route_found();
        let mut response = pack_refusal(&self.runtime, &*self.packer, req, refusal);
        response.set_status(StatusCode::NOT_FOUND);
        Ok(response)
    }
}

/// Packs `error`, raised before any endpoint read the request (its body unread).
pub(crate) fn pack_refusal(
    runtime: &Runtime,
    packer: &dyn Packer,
    req: Request,
    error: BizError,
) -> Response {
    let request_id = request_id_of(&req);
    let caches = runtime.caches.clone();
    let request = ApiRequest::new(req, request_id, Body::None, caches, Held::default(), None);
    pack(runtime, packer, &request, Outcome::Error(error))
}

/// A packed `NotSupportedHttpMethod`, in semantic mode (status 405), names the methods
/// that are allowed in the `Allow` header (RFC 9110 §15.5.6).
pub(crate) fn with_allow(mut response: Response, runtime: &Runtime, methods: &AllowedMethods) -> Response {
    if runtime.settings.http_status == HttpStatusMode::Semantic {
        if let Ok(value) = HeaderValue::from_str(&methods.allow_header()) {
            response.headers_mut().insert(ALLOW, value);
        }
    }
    response
}

fn semantic_status(class: ErrorClass) -> StatusCode {
    match class {
        ErrorClass::Parameter => StatusCode::BAD_REQUEST,
        ErrorClass::Auth => StatusCode::FORBIDDEN,
        ErrorClass::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorClass::Method => StatusCode::METHOD_NOT_ALLOWED,
        ErrorClass::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorClass::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        ErrorClass::NotFound => StatusCode::NOT_FOUND,
        ErrorClass::System => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorClass::Business => StatusCode::OK,
    }
}
