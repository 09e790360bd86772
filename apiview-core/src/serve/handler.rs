//! The request in flight ([`Call`]) and what `#[apiview]` generates to serve it
//! ([`Handler`]).

use std::future::Future;
use std::sync::Arc;

use super::{Outcome, Runtime};
use crate::auth::Identity;
use crate::cache::Cache;
use crate::error::BizError;
use crate::meta::EndpointMeta;
use crate::request::ApiRequest;

/// One request being served: the request, the App's runtime state, and the backend
/// of the endpoint's `#[cache]`. Generated code receives it; endpoints read the
/// request through `&ApiRequest` parameters instead.
pub struct Call {
    /// The request.
    pub request: ApiRequest,
    pub(crate) runtime: Arc<Runtime>,
    /// The backend of the endpoint's `#[cache]`, found when it was bound.
    pub(crate) cache: Option<Cache>,
    /// Who sent the request, when the endpoint authenticates (DESIGN §14).
    pub(crate) identity: Option<Identity>,
}

impl Call {
    pub(crate) fn new(request: ApiRequest, runtime: Arc<Runtime>, cache: Option<Cache>) -> Self {
        Call {
            request,
            runtime,
            cache,
            identity: None,
        }
    }
}

/// An endpoint made by `#[apiview]`. Not implemented by hand.
///
/// ```
/// use apiview::prelude::*;
/// use apiview::Handler;
///
/// #[apiview]
/// fn ping() -> &'static str {
///     "pong"
/// }
///
/// fn describe(endpoint: &impl Handler) -> &'static str {
///     endpoint.meta().name
/// }
/// assert_eq!(describe(&ping), "ping");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an apiview endpoint",
    label = "not an `#[apiview]` endpoint",
    note = "put `#[apiview]` on the function (`use apiview::prelude::*;`), then register it with `App::at(path, function)`"
)]
pub trait Handler: Send + Sync + 'static {
    /// The endpoint's compile-time description.
    fn meta(&self) -> &'static EndpointMeta;
    /// The checks that need no private-key work and read only the plain request
    /// (`#[check_aclkey]`): run before the body is decrypted, so that a caller without
    /// a key never costs RSA work, and a key is never read from inside an encrypted
    /// body (DESIGN §2.3).
    ///
    /// ```
    /// use apiview::prelude::*;
    /// use apiview::Handler;
    ///
    /// #[apiview]
    /// #[check_aclkey(aclkey = "k")]
    /// fn guarded() {}
    ///
    /// assert!(guarded.meta().checks_aclkey);
    /// ```
    fn guard(&self, call: &Call) -> Result<(), BizError> {
        let _ = call;
        Ok(())
    }

    /// Runs every phase after [`Handler::guard`], authentication and the body's
    /// decryption: permissions, `rsa_decrypt`, injection, validators, the cache, the
    /// function.
    fn run(&self, call: Call) -> impl Future<Output = Outcome> + Send + '_;
}
