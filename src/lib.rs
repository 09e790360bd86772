//! # apiview
//!
//! Write a plain function, put `#[apiview]` on it, stack declarative helper
//! attributes, and get a [poem](https://docs.rs/poem) endpoint whose answers are
//! wrapped in the business envelope your clients expect. The Rust successor of the
//! Python package django-apiview.
//!
//! ```
//! use apiview::prelude::*;
//!
//! /// Echo the message back. Its length must be within [2, 4096].
//! ///
//! /// --------
//! /// @methods: post
//! #[apiview]
//! #[allow_post]
//! #[string_length_limit(msg, max_length = 4096, min_length = 2)]
//! async fn echo(msg: String) -> String {
//!     msg
//! }
//!
//! let app = App::new(Settings::default()).at("/echo", echo);
//! let endpoint = app.into_endpoint(); // serve with poem::Server
//! # let _ = endpoint;
//! ```
//!
//! See the README for the attribute and settings references and the envelopes of
//! each packer.

#[cfg(feature = "client")]
pub use apiview_core::client;
pub use apiview_core::{
    app, cache, cipher, endpoint, error, helpers, inject, listener, packer, request, settings, ApiRequest,
    App, AppEndpoint, AppError, BizError, EndpointMeta, ErrorClass, ErrorCode, Handler, Language, Limits,
    PackContext, Packer, Raw, RawValue, Result, Settings, SettingsError, UnpackContext, Words,
};

/// The OpenAPI document and the Swagger UI (`App::swagger()`, `App::openapi()`,
/// `App::model::<T>()` through [`SwaggerExt`]).
pub use apiview_swagger as swagger;
/// `schemars`, for `#[derive(JsonSchema)]` models (`App::model::<T>()`).
pub use apiview_swagger::schemars;
pub use apiview_swagger::SwaggerExt;

/// The endpoint attribute and its helpers.
pub use apiview_macros::{
    allow_delete, allow_get, allow_head, allow_options, allow_patch, allow_post, allow_put, apiview, between,
    body_alias, cache, check_aclkey, choices, cookie_variable, decode_encrypted_data, header_variable,
    meta_variable, methods, requires, rsa_decrypt, string_length_limit,
};

/// `use apiview::prelude::*;` brings the attribute, its helpers, `App`, `Settings`,
/// `ApiRequest`, `BizError`, `Raw` and `SwaggerExt` (`App::swagger()`,
/// `App::openapi()`, `App::model::<T>()`); `apiview::Result` stays qualified, so
/// that it never shadows the standard `Result`.
pub mod prelude {
    pub use crate::{
        allow_delete, allow_get, allow_head, allow_options, allow_patch, allow_post, allow_put, apiview,
        between, body_alias, cache, check_aclkey, choices, cookie_variable, decode_encrypted_data,
        header_variable, meta_variable, methods, requires, rsa_decrypt, string_length_limit, ApiRequest, App,
        BizError, Raw, Settings, SwaggerExt,
    };
}

/// The README's examples, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

#[doc(hidden)]
pub mod __private {
    pub use apiview_core::endpoint::{
        Call, CheckMeta, DocParameter, DocResponse, DocSpec, EndpointMeta, Handler, HttpMethod, Outcome,
        ParamMeta, TypeShape,
    };
    pub use apiview_core::helpers::auth::{check_aclkey, AclKeyList, AclKeys};
    pub use apiview_core::helpers::validators;

    /// What `#[cache]` generates calls to.
    pub mod cache {
        pub use apiview_core::cache::{
            fill_key, key_part, lookup, store, store_batch, CacheSpec, KeyPartError,
        };
    }
    pub use apiview_core::decrypt::rsa_decrypt_field;
    pub use apiview_core::inject::coerce;

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
    pub use apiview_core::request::{ApiRequest, RawValue, Source};
    pub use apiview_core::runtime::serve_standalone;
    pub use apiview_core::{run_blocking, BizError, Raw};
    pub use poem;
    pub use serde_json;

    use poem::IntoResponse;

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
}
