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
//! let endpoint = app.into_endpoint(); // serve with poem::Server, or call it:
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use poem::{Endpoint, Request};
//! let request = Request::builder().method(poem::http::Method::POST).uri_str("/echo");
//! let request = request.content_type("application/json").body(r#"{"msg":"hi"}"#);
//! let response = endpoint.get_response(request).await;
//! let body: serde_json::Value = response.into_body().into_json().await.unwrap();
//! assert_eq!(body, serde_json::json!({"success": true, "result": "hi"}));
//!
//! let request = Request::builder().method(poem::http::Method::POST).uri_str("/echo");
//! let request = request.content_type("application/x-www-form-urlencoded").body("msg=h");
//! let response = endpoint.get_response(request).await;
//! let body: serde_json::Value = response.into_body().into_json().await.unwrap();
//! assert_eq!(body["error"], serde_json::json!({"code": 1001060004, "message": "String shorter than 2."}));
//! # });
//! ```
//!
//! See the README for the attribute and settings references and the envelopes of
//! each packer.

#[cfg(feature = "client")]
pub use apiview_core::client;
pub use apiview_core::{
    app, auth, cache, cipher, error, listener, meta, packer, paginate, request, settings, ApiRequest, App,
    AppEndpoint, AppError, AuthUse, Authenticate, BearerJwt, BizError, EndpointMeta, ErrorClass, ErrorCode,
    Handler, Identity, Language, Limits, PackContext, Packer, Page, PageRequest, Raw, RawValue, Result,
    Settings, SettingsError, UnpackContext, Upload, Words,
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
    login_required, meta_variable, methods, paginate, permission, requires, rsa_decrypt, string_length_limit,
    throttle,
};

/// `use apiview::prelude::*;` brings the attribute, its helpers, `App`, `Settings`,
/// `ApiRequest`, `BizError`, `Raw`, `Page`, `PageRequest`, `Upload`, `Identity`, `Authenticate`,
/// `BearerJwt` and `SwaggerExt` (`App::swagger()`,
/// `App::openapi()`, `App::model::<T>()`); `apiview::Result` stays qualified, so
/// that it never shadows the standard `Result`.
pub mod prelude {
    pub use crate::{
        allow_delete, allow_get, allow_head, allow_options, allow_patch, allow_post, allow_put, apiview,
        between, body_alias, cache, check_aclkey, choices, cookie_variable, decode_encrypted_data,
        header_variable, login_required, meta_variable, methods, paginate, permission, requires, rsa_decrypt,
        string_length_limit, throttle, ApiRequest, App, Authenticate, BearerJwt, BizError, Identity, Page,
        PageRequest, Raw, Settings, SwaggerExt, Upload,
    };
}

/// The README's examples, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// What the code `#[apiview]` generates names (`::apiview::__private::…`). Not public
/// API.
#[doc(hidden)]
pub mod __private {
    pub use apiview_core::__private::*;

    /// What the generated code names for the OpenAPI document.
    pub mod swagger {
        pub use apiview_swagger::private::*;
    }
}
