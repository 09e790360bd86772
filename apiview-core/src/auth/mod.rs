//! Who sends a request (DESIGN §14): the [`Identity`] an [`Authenticate`] finds in it,
//! and the built-in authenticator, [`BearerJwt`]. The serving layer runs the App's
//! authenticator for the endpoints that use it (`#[login_required]`,
//! `#[permission(..)]`, an `Identity` parameter) and for no other.

mod identity;
mod jwt;

use std::future::Future;
use std::pin::Pin;

pub use self::identity::Identity;
pub use self::jwt::BearerJwt;
use crate::error::BizError;
use crate::request::ApiRequest;

/// How a request becomes an [`Identity`]: registered with `App::authenticator`
/// (the built-in [`BearerJwt`] is made from settings' `[auth.jwt]` when there is
/// none). Runs only for the endpoints that use authentication, after the method,
/// version and aclkey checks, before the body's decryption, permissions and validators.
///
/// Answer `Ok(None)` when the request carries no credentials of yours (an endpoint
/// with `#[login_required]` then answers `LoginRequired`, one taking
/// `Option<Identity>` gets `None`), and an error, usually
/// [`BizError::bad_user_token`], when it carries bad ones: every endpoint refuses
/// a bad credential, even one where logging in is optional.
///
/// ```
/// use apiview::prelude::*;
///
/// /// Knows one API token per user, as a table would.
/// struct Tokens;
///
/// impl Authenticate for Tokens {
///     async fn authenticate(&self, request: &ApiRequest) -> apiview::Result<Option<Identity>> {
///         match request.header("x-user-token") {
///             None => Ok(None),
///             Some("t-ann") => Ok(Some(Identity::new("ann", serde_json::json!({"role": "admin"})))),
///             Some(_) => Err(BizError::bad_user_token()),
///         }
///     }
/// }
///
/// #[apiview]
/// #[login_required]
/// fn whoami(me: Identity) -> String {
///     me.id().to_owned()
/// }
///
/// let app = App::new(Settings::default()).authenticator(Tokens).at("/whoami", whoami).into_endpoint();
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// # use poem::{Endpoint, Request};
/// # async fn get(app: &impl Endpoint, token: Option<&str>) -> serde_json::Value {
/// #     let mut request = Request::builder().uri_str("/whoami");
/// #     if let Some(token) = token { request = request.header("x-user-token", token); }
/// #     app.get_response(request.finish()).await.into_body().into_json().await.unwrap()
/// # }
/// assert_eq!(get(&app, Some("t-ann")).await["result"], "ann");
/// assert_eq!(get(&app, None).await["error"]["code"], 1001040009); // LoginRequired
/// assert_eq!(get(&app, Some("t-bob")).await["error"]["code"], 1001040012); // BadUserToken
/// # });
/// ```
pub trait Authenticate: Send + Sync + 'static {
    /// The request's identity, `None` without credentials, an error for bad ones.
    fn authenticate(
        &self,
        request: &ApiRequest,
    ) -> impl Future<Output = Result<Option<Identity>, BizError>> + Send;

    /// Whether it reads the request body (a credential in a body field); `true`
    /// unless said otherwise. An authenticator that reads only the head (headers,
    /// cookies, query) answers `false`: then, on an endpoint without
    /// `#[check_aclkey]` (whose key may be a body field), a request without good
    /// credentials is refused before its body is read, so that it costs no body
    /// (nor an upload spooled to disk). [`BearerJwt`] reads the `Authorization`
    /// header only.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// assert!(!BearerJwt::hs256("a-secret-of-32-bytes-or-more!!!!").reads_body());
    /// ```
    fn reads_body(&self) -> bool {
        true
    }
}

/// What [`Authenticate::authenticate`] returns, boxed so that an App holds any
/// authenticator behind one pointer.
pub(crate) type Authenticating<'a> =
    Pin<Box<dyn Future<Output = Result<Option<Identity>, BizError>> + Send + 'a>>;

/// [`Authenticate`] made object-safe: what an App holds.
pub(crate) trait DynAuthenticate: Send + Sync + 'static {
    fn authenticate_boxed<'a>(&'a self, request: &'a ApiRequest) -> Authenticating<'a>;

    fn reads_body(&self) -> bool;
}

impl<A: Authenticate> DynAuthenticate for A {
    fn authenticate_boxed<'a>(&'a self, request: &'a ApiRequest) -> Authenticating<'a> {
        Box::pin(self.authenticate(request))
    }

    fn reads_body(&self) -> bool {
        Authenticate::reads_body(self)
    }
}
