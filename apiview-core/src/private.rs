//! What the code `#[apiview]` generates names, and nothing else: one door, reached as
//! `::apiview::__private::…`, so that generated code never depends on what its crate
//! imported. Not public API: it changes with the macro.

use poem::IntoResponse;

pub use crate::auth::{BearerJwt, Identity};
pub use crate::coerce::coerce;
pub use crate::error::BizError;
pub use crate::guard::aclkey::{AclKeyList, AclKeys};
pub use crate::guard::validators;
pub use crate::meta::{
    AuthUse, CheckMeta, DocParameter, DocResponse, DocSpec, EndpointMeta, HttpMethod, ParamMeta,
    ResultSchema, Source, ThrottleSpec, ThrottleValue, TypeShape,
};
pub use crate::paginate::{Page, PageRequest, PageStyle, PaginateMeta};
pub use crate::request::{ApiRequest, FromUploads, RawValue};
pub use crate::serve::decrypt::rsa_decrypt_field;
pub use crate::serve::page::{page_outcome, page_request};
pub use crate::serve::panics::run_blocking;
pub use crate::serve::{serve_standalone, Call, Handler, Outcome, Raw};
pub use {poem, serde_json};

/// What `#[cache]` generates calls to.
pub mod cache {
    pub use crate::cache::{fill_key, key_part, KeyPartError};
    pub use crate::meta::CacheSpec;
    pub use crate::serve::cache::{lookup, store, store_batch};
}

/// `#[check_aclkey]`: the request's key against the attribute's keys, or settings'
/// `aclkey`/`aclkeys` ([`AclKeys::Settings`]).
pub fn check_aclkey<I, K>(call: &Call, field: &str, keys: AclKeys<I>) -> Result<(), BizError>
where
    I: IntoIterator<Item = K>,
    K: AsRef<str>,
{
    crate::guard::aclkey::check(&call.request, field, keys, &call.runtime.aclkeys)
}

/// A parameter type filled from request data. The generated code coerces
/// through [`coerce_param`], so that a type serde cannot deserialize is reported
/// at the parameter with what to write, not as a bound of `coerce` in serde's
/// internal paths.
#[diagnostic::on_unimplemented(
    message = "the parameter type `{Self}` cannot be filled from request data",
    label = "apiview deserializes this parameter from the request",
    note = "derive `serde::Deserialize` for `{Self}`, or mark the parameter `#[extract]` if it is a poem extractor"
)]
pub trait FromRequestData: serde::de::DeserializeOwned {}

impl<T: serde::de::DeserializeOwned> FromRequestData for T {}

/// [`coerce`] for a [`FromRequestData`] type; inlined, so the call is `coerce`'s.
#[inline(always)]
pub fn coerce_param<T: FromRequestData>(name: &str, raw: Option<RawValue<'_>>) -> Result<T, BizError> {
    coerce::<T>(name, raw)
}

/// An `Upload`, `Option<Upload>` or `Vec<Upload>` parameter: the file parts of its
/// name, taken from the request.
pub fn upload_param<T: FromUploads>(call: &Call, name: &str) -> Result<T, BizError> {
    T::from_uploads(name, call.request.take_uploads(name))
}

/// What `Raw<R>` wraps: a poem response. Its `#[diagnostic::on_unimplemented]`
/// says what to write when `R` is not one.
#[diagnostic::on_unimplemented(
    message = "`Raw<{Self}>` is answered as it is, and `{Self}` is not a poem response",
    label = "`{Self}` does not implement `poem::IntoResponse`",
    note = "implement `poem::IntoResponse` for `{Self}`, or return `{Self}` without `Raw` to have it packed as JSON"
)]
pub trait RawResponse: IntoResponse {}

impl<R: IntoResponse> RawResponse for R {}

/// A `Raw` answer.
pub fn raw_outcome<R: RawResponse>(raw: Raw<R>) -> Outcome {
    Outcome::Raw(raw.0.into_response())
}

/// A `Result<Raw<R>, E>` answer: the response as it is, or the error packed.
pub fn raw_result_outcome<R: RawResponse, E: Into<BizError>>(result: Result<Raw<R>, E>) -> Outcome {
    match result {
        Ok(raw) => raw_outcome(raw),
        Err(err) => Outcome::Error(err.into()),
    }
}

/// A panic on the blocking pool: logged with the request id, answered SysError.
pub fn blocking_panicked(call: &Call, panic: &str) -> BizError {
    tracing::error!(
        request_id = call.request.request_id(),
        panic,
        "endpoint panicked; answered SysError"
    );
    BizError::sys_error()
}

/// An `#[extract]` parameter that poem's `FromRequest` refused: the request's fault
/// (`BadParameter`), or the server's when poem says so with a 5xx status, such as
/// `Data<&T>` of a type the App was never given (`SysError`, logged for the
/// operator: no client can fix it).
pub fn extract_failed(name: &str, err: poem::Error) -> BizError {
    if err.status().is_server_error() {
        tracing::error!(parameter = name, %err, "#[extract] failed on the server's side (a `Data<&T>` needs App::data of that type)");
        return BizError::sys_error();
    }
    tracing::debug!(parameter = name, %err, "#[extract] failed");
    BizError::bad_parameter_because(name, err)
}

/// What a `#[paginate]` endpoint returns: `Page<T>` or `Result<Page<T>, E>`.
#[diagnostic::on_unimplemented(
    message = "a `#[paginate]` endpoint returns `Page<T>` or `Result<Page<T>, E>`, not `{Self}`",
    label = "not a `Page<T>`",
    note = "build the page with `Page::new(items, total)` or `Page::cursor(items, next_cursor)`"
)]
pub trait IntoPage {
    /// The items' type.
    type Item: serde::Serialize;
    /// The page, or the endpoint's error.
    fn into_page(self) -> Result<Page<Self::Item>, BizError>;
}

impl<T: serde::Serialize> IntoPage for Page<T> {
    type Item = T;
    fn into_page(self) -> Result<Page<T>, BizError> {
        Ok(self)
    }
}

impl<T: serde::Serialize, E: Into<BizError>> IntoPage for Result<Page<T>, E> {
    type Item = T;
    fn into_page(self) -> Result<Page<T>, BizError> {
        self.map_err(Into::into)
    }
}

/// An `Identity` parameter (DESIGN §14): the caller the runtime authenticated, or
/// `LoginRequired` (the runtime refuses such a request first; this is the backstop).
pub fn identity(call: &Call) -> Result<&Identity, BizError> {
    call.identity.as_ref().ok_or_else(BizError::login_required)
}

/// An `Option<Identity>` parameter.
pub fn optional_identity(call: &Call) -> Option<Identity> {
    call.identity.clone()
}

/// A `BearerJwt` parameter: the App's (checked at start-up).
pub fn bearer_jwt(call: &Call) -> Result<&BearerJwt, BizError> {
    call.runtime.jwt.as_ref().ok_or_else(|| {
        tracing::error!("an endpoint takes a BearerJwt, and the App has none; answered SysError");
        BizError::sys_error()
    })
}

/// What a `#[permission(..)]` function returns (or, `async`, resolves to).
#[diagnostic::on_unimplemented(
    message = "a permission function returns `bool` or `Result<(), E>` with `E: Into<BizError>` (or is an `async fn` returning one), not `{Self}`",
    label = "returns `{Self}`",
    note = "`false` answers NoPermissionError; an `Err` answers its error"
)]
pub trait PermissionAnswer {
    /// `Ok(())` lets the request through.
    fn into_permission(self) -> Result<(), BizError>;
}

impl PermissionAnswer for bool {
    fn into_permission(self) -> Result<(), BizError> {
        if self {
            Ok(())
        } else {
            Err(BizError::no_permission())
        }
    }
}

impl<E: Into<BizError>> PermissionAnswer for Result<(), E> {
    fn into_permission(self) -> Result<(), BizError> {
        self.map_err(Into::into)
    }
}

/// What a permission function returned, awaited when it is a future: chosen by
/// autoref specialization, `(&PermissionCheck::new(value)).permission()`, as the
/// macro cannot see whether the function is `async`.
pub struct PermissionCheck<T>(std::cell::Cell<Option<T>>);

impl<T> PermissionCheck<T> {
    /// Holds what the permission function returned.
    pub fn new(value: T) -> Self {
        PermissionCheck(std::cell::Cell::new(Some(value)))
    }

    fn take(&self) -> T {
        self.0.take().expect("a permission is checked once")
    }
}

/// An `async` permission function's answer.
pub trait AsyncPermission<F: std::future::Future> {
    /// Awaits the answer.
    #[allow(clippy::type_complexity)]
    fn permission(&self) -> futures_util::future::Map<F, fn(F::Output) -> Result<(), BizError>>
    where
        F::Output: PermissionAnswer;
}

impl<F: std::future::Future> AsyncPermission<F> for PermissionCheck<F> {
    fn permission(&self) -> futures_util::future::Map<F, fn(F::Output) -> Result<(), BizError>>
    where
        F::Output: PermissionAnswer,
    {
        futures_util::FutureExt::map(self.take(), PermissionAnswer::into_permission as fn(_) -> _)
    }
}

/// A plain permission function's answer.
pub trait SyncPermission<T> {
    /// The answer, as a ready future.
    fn permission(&self) -> std::future::Ready<Result<(), BizError>>
    where
        T: PermissionAnswer;
}

impl<T> SyncPermission<T> for &PermissionCheck<T> {
    fn permission(&self) -> std::future::Ready<Result<(), BizError>>
    where
        T: PermissionAnswer,
    {
        std::future::ready(self.take().into_permission())
    }
}
