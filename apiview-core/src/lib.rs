//! The runtime of [apiview](https://docs.rs/apiview): request data and injection,
//! errors, packers, helpers, settings and the App. Users depend on the `apiview`
//! facade, which re-exports what is public here.

#![warn(missing_docs)]

pub mod app;
pub mod cache;
pub mod cipher;
#[cfg(feature = "client")]
pub mod client;
#[doc(hidden)]
pub mod decrypt;
pub mod endpoint;
pub mod error;
pub mod helpers;
pub mod inject;
pub mod listener;
pub mod packer;
pub mod request;
pub mod runtime;
pub mod settings;

pub use app::{App, AppEndpoint, AppError};
pub use endpoint::{
    Call, CheckMeta, DocParameter, DocResponse, DocSpec, EndpointMeta, Handler, HttpMethod, Outcome,
    ParamMeta, Raw,
};
pub use error::{BizError, ErrorClass, ErrorCode, Language, Result, Words};
pub use packer::{PackContext, Packer, UnpackContext};
pub use request::{ApiRequest, RawValue, Source};
pub use settings::{HttpStatusMode, Limits, Settings, SettingsError};

/// Runs a blocking endpoint body on tokio's blocking pool; a panic there is
/// returned as the panic's message.
#[doc(hidden)]
pub async fn run_blocking<R: Send + 'static>(
    body: impl FnOnce() -> R + Send + 'static,
) -> std::result::Result<R, String> {
    tokio::task::spawn_blocking(move || runtime::panics::quietly(body))
        .await
        .map_err(|err| match err.try_into_panic() {
            Ok(panic) => runtime::panic_message(&*panic).to_owned(),
            Err(err) => err.to_string(),
        })
}
