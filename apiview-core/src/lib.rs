//! The runtime of [apiview](https://docs.rs/apiview): request data and injection,
//! errors, packers, helpers, settings and the App. Users depend on the `apiview`
//! facade, which re-exports what is public here.
//!
//! The modules are layers: each imports only from the layers below it (see the
//! README's "Architecture" section; `cargo test --test layers` checks it).

#![warn(missing_docs)]

pub mod meta;

pub mod error;
pub mod settings;

pub mod cipher;
pub mod listener;

pub mod cache;
pub(crate) mod coerce;
pub mod paginate;
pub mod request;

pub mod auth;

pub(crate) mod guard;
pub mod packer;

pub(crate) mod serve;

pub mod app;
#[cfg(feature = "client")]
pub mod client;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use app::{App, AppEndpoint, AppError};
pub use auth::{Authenticate, BearerJwt, Identity};
pub use error::{BizError, ErrorClass, ErrorCode, Language, Result, Words};
pub use meta::{
    AuthUse, CheckMeta, DocParameter, DocResponse, DocSpec, EndpointMeta, HttpMethod, ParamMeta,
    ResultSchema, Source, ThrottleSpec,
};
pub use packer::{PackContext, Packer, UnpackContext};
pub use paginate::{Page, PageRequest};
pub use request::{ApiRequest, RawValue, Upload};
pub use serve::{Handler, Raw};
pub use settings::{HttpStatusMode, Limits, PaginationSettings, Settings, SettingsError};
