//! What the code `#[apiview]` generates names, and nothing else: one door, reached as
//! `::apiview::__private::…`, so that generated code never depends on what its crate
//! imported. Not public API: it changes with the macro.

use poem::IntoResponse;

pub use crate::coerce::coerce;
pub use crate::error::BizError;
pub use crate::guard::aclkey::{AclKeyList, AclKeys};
pub use crate::guard::validators;
pub use crate::meta::{
    CheckMeta, DocParameter, DocResponse, DocSpec, EndpointMeta, HttpMethod, ParamMeta, Source,
};
pub use crate::request::{ApiRequest, RawValue};
pub use crate::serve::decrypt::rsa_decrypt_field;
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

/// A `Raw` answer.
pub fn raw_outcome<R: IntoResponse>(raw: Raw<R>) -> Outcome {
    Outcome::Raw(raw.0.into_response())
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

/// An `#[extract]` parameter that poem's `FromRequest` refused.
pub fn extract_failed(name: &str, err: poem::Error) -> BizError {
    tracing::debug!(parameter = name, %err, "#[extract] failed");
    BizError::bad_parameter_because(name, err)
}
