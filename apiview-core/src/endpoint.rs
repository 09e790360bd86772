//! What `#[apiview]` generates: a value implementing [`Handler`], with its static
//! [`EndpointMeta`], run by the App for each request.

use std::future::Future;
use std::sync::Arc;

use poem::http::Method;
use serde::Serialize;
use serde_json::Value;

use crate::error::BizError;
use crate::request::{ApiRequest, Source};
use crate::runtime::Runtime;

/// An HTTP method of an allow-list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// DELETE
    Delete,
    /// PATCH
    Patch,
    /// HEAD
    Head,
    /// OPTIONS
    Options,
}

impl HttpMethod {
    /// As poem's method type.
    pub fn to_method(self) -> Method {
        match self {
            HttpMethod::Get => Method::GET,
            HttpMethod::Post => Method::POST,
            HttpMethod::Put => Method::PUT,
            HttpMethod::Delete => Method::DELETE,
            HttpMethod::Patch => Method::PATCH,
            HttpMethod::Head => Method::HEAD,
            HttpMethod::Options => Method::OPTIONS,
        }
    }
}

/// One parameter of an endpoint function.
#[derive(Debug)]
pub struct ParamMeta {
    /// The parameter's name.
    pub name: &'static str,
    /// Where its value comes from; `None` for injection by type (`ApiRequest`,
    /// `#[extract]`).
    pub source: Option<Source>,
    /// The Rust type as written.
    pub rust_type: &'static str,
    /// Whether the request must carry it (not an `Option`, or named by `requires`).
    pub required: bool,
}

/// What `#[apiview]` knows about an endpoint at compile time: for the App (methods,
/// packer) and for the OpenAPI document.
#[derive(Debug)]
pub struct EndpointMeta {
    /// The function's name.
    pub name: &'static str,
    /// The function's module path (the default tag).
    pub module_path: &'static str,
    /// The doc comment's first line.
    pub summary: &'static str,
    /// The doc comment above the `--------` line.
    pub description: &'static str,
    /// The whole doc comment, indentation kept.
    pub doc: &'static str,
    /// The method allow-list; `None` means `settings.default_allow_methods`.
    pub methods: Option<&'static [HttpMethod]>,
    /// `#[apiview(packer = "..")]`.
    pub packer: Option<&'static str>,
    /// `#[apiview(tag = "..")]`.
    pub tag: Option<&'static str>,
    /// `#[apiview(operation_id = "..")]`.
    pub operation_id: Option<&'static str>,
    /// The function's parameters.
    pub params: &'static [ParamMeta],
    /// Whether any phase reads the request body (otherwise it is never parsed).
    pub reads_body: bool,
    /// Whether the endpoint checks an API key.
    pub checks_aclkey: bool,
}

/// An endpoint's answer before packing.
#[derive(Debug)]
pub enum Outcome {
    /// A result, to be packed with `pack_result`.
    Data(Value),
    /// A response sent as is (`Raw`).
    Raw(poem::Response),
    /// An error, to be packed with `pack_error`.
    Error(BizError),
}

impl Outcome {
    /// Serializes a result; a value that does not serialize is a `SysError` (logged).
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Outcome {
        match serde_json::to_value(value) {
            Ok(value) => Outcome::Data(value),
            Err(err) => {
                tracing::error!(%err, "the endpoint's result does not serialize to JSON");
                Outcome::Error(BizError::sys_error())
            }
        }
    }

    /// A `Result` of a serializable value or an error.
    pub fn from_result<T: Serialize, E: Into<BizError>>(result: Result<T, E>) -> Outcome {
        match result {
            Ok(value) => Outcome::from_serialize(&value),
            Err(err) => Outcome::Error(err.into()),
        }
    }
}

/// A response that skips packing (django-apiview's `DoNotPack`): files, streams,
/// redirects.
///
/// ```
/// use apiview::prelude::*;
/// use poem::web::Redirect;
///
/// #[apiview]
/// fn old_home() -> Raw<Redirect> {
///     Raw(Redirect::see_other("/home"))
/// }
/// ```
#[derive(Debug)]
pub struct Raw<R>(pub R);

/// One request being served: the request and the App's runtime state.
pub struct Call {
    /// The request.
    pub request: ApiRequest,
    pub(crate) runtime: Arc<Runtime>,
}

impl Call {
    pub(crate) fn new(request: ApiRequest, runtime: Arc<Runtime>) -> Self {
        Call { request, runtime }
    }

    /// The App's settings.
    pub fn settings(&self) -> &crate::Settings {
        &self.runtime.settings
    }
}

/// An endpoint made by `#[apiview]`. Not implemented by hand.
pub trait Handler: Send + Sync + 'static {
    /// The endpoint's compile-time description.
    fn meta(&self) -> &'static EndpointMeta;
    /// Runs every phase after the method check and body reading: aclkey,
    /// injection, validators, the function.
    fn run<'a>(&'a self, call: &'a Call) -> impl Future<Output = Outcome> + Send + 'a;
}
