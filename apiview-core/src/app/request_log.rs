//! The request log: every request gets an id (echoed as `X-Request-Id`) and the safe
//! default headers; with `info` enabled for the target `apiview_core::app`, a span and
//! one `answered` event.

use std::future::Future;
use std::time::Instant;

use futures_util::future::Either;
use futures_util::FutureExt;
use poem::http::header::{Entry as HeaderEntry, HeaderValue, CACHE_CONTROL, X_CONTENT_TYPE_OPTIONS};
use poem::{Endpoint, Request, Response};
use tracing::Instrument;

use super::endpoint::Routes;
use crate::serve::request_id::{is_sane_id, new_request_id, REQUEST_ID};
use crate::serve::BusinessCode;

/// The log target, as the README documents it: the module the log was written in
/// before it had a file of its own.
const TARGET: &str = "apiview_core::app";

/// Gives every request an id (echoed as `X-Request-Id`, whatever answers it) and, when
/// `info` events of this module are enabled, a tracing span logging method, path,
/// status, business code and latency. With them disabled, no span, clock read or
/// span-entering wrapper costs the request anything.
pub(super) struct RequestLog {
    pub(super) routes: Routes,
    /// `App::data`'s values, cloned onto every request.
    pub(super) data: Option<poem::http::Extensions>,
}

impl Endpoint for RequestLog {
    type Output = Response;

    // Not an `async fn`: the request is handed to the inner endpoint before the
    // future starts, so that this future does not hold a copy of it.
    fn call(&self, mut req: Request) -> impl Future<Output = poem::Result<Response>> + Send {
        // The id goes on the request as a header, as a proxy would set it: the
        // endpoint, its extractors and its packer read the same id from there.
        // One look-up of the header, whether it is kept or replaced.
        let request_id = match req.headers_mut().entry(&REQUEST_ID) {
            HeaderEntry::Occupied(given) if is_sane_id(given.get()) => given.get().clone(),
            HeaderEntry::Occupied(mut insane) => {
                let id = new_request_id();
                insane.insert(id.clone());
                id
            }
            HeaderEntry::Vacant(absent) => absent.insert(new_request_id()).clone(),
        };
        if let Some(data) = &self.data {
            req.extensions_mut().extend(data.clone());
        }
        let answer = if tracing::enabled!(target: TARGET, tracing::Level::INFO) {
            // Boxed: only a logging server pays for the span's wrapper future.
            Either::Left(Box::pin(self.logged(req, request_id.clone())))
        } else {
            Either::Right(self.routes.call(req))
        };
        // A combinator rather than an `async` block, which would hold the inner
        // future twice (as captured and as awaited).
        answer.map(move |answer| {
            let mut response = answer.unwrap_or_else(|err| err.into_response());
            let headers = response.headers_mut();
            headers.entry(&REQUEST_ID).or_insert(request_id);
            // Safe defaults (§11): no content sniffing, nothing kept by caches on the way.
            headers
                .entry(X_CONTENT_TYPE_OPTIONS)
                .or_insert(HeaderValue::from_static("nosniff"));
            headers
                .entry(CACHE_CONTROL)
                .or_insert(HeaderValue::from_static("no-store"));
            Ok(response)
        })
    }
}

impl RequestLog {
    async fn logged(&self, req: Request, request_id: HeaderValue) -> poem::Result<Response> {
        let started = Instant::now();
        let span = tracing::info_span!(
            target: TARGET,
            "request",
            method = %req.method(),
            path = req.uri().path(),
            request_id = request_id.to_str().unwrap_or_default(),
        );
        async move {
            let response = self.routes.get_response(req).await;
            let code = response
                .extensions()
                .get::<BusinessCode>()
                .map_or(0, |code| code.0);
            tracing::info!(
                target: TARGET,
                status = response.status().as_u16(),
                code,
                latency_us = started.elapsed().as_micros() as u64,
                "answered"
            );
            Ok(response)
        }
        .instrument(span)
        .await
    }
}
