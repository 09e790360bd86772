//! The poem endpoint an App becomes: its routes, behind CORS when settings allow
//! origins, behind the request log.

use std::future::Future;

use futures_util::future::Either;
use futures_util::FutureExt;
use poem::{Endpoint, Request, Response, Route};

use super::request_log::RequestLog;

/// The poem endpoint an App becomes: its routes, behind the request log. A type of its
/// own rather than a `BoxEndpoint`, which would cost every request one more boxed
/// future; box it yourself where a `BoxEndpoint` is needed.
///
/// ```
/// use apiview::prelude::*;
/// use poem::{Endpoint, EndpointExt, Request};
///
/// #[apiview]
/// fn ping() -> &'static str {
///     "pong"
/// }
///
/// let endpoint: apiview::AppEndpoint = App::new(Settings::default()).at("/ping", ping).into_endpoint();
/// let boxed: poem::endpoint::BoxEndpoint<'static> = endpoint.boxed();
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let response = boxed.get_response(Request::builder().uri_str("/ping").finish()).await;
/// let body: serde_json::Value = response.into_body().into_json().await.unwrap();
/// assert_eq!(body["result"], "pong");
/// # });
/// ```
pub struct AppEndpoint(pub(super) RequestLog);

impl Endpoint for AppEndpoint {
    type Output = Response;

    // Not an `async fn`: a wrapper future would hold one more copy of the request.
    fn call(&self, req: Request) -> impl Future<Output = poem::Result<Response>> + Send {
        self.0.call(req)
    }
}

/// The App's routes, behind poem's CORS middleware when `[cors]` allows origins.
// One per App, never moved on the request path: its size costs nothing.
#[allow(clippy::large_enum_variant)]
pub(super) enum Routes {
    Plain(Route),
    Cors(poem::middleware::CorsEndpoint<Route>),
}

impl Endpoint for Routes {
    type Output = Response;

    fn call(&self, req: Request) -> impl Future<Output = poem::Result<Response>> + Send {
        match self {
            Routes::Plain(route) => Either::Left(route.call(req)),
            Routes::Cors(cors) => Either::Right(cors.get_response(req).map(Ok)),
        }
    }
}
