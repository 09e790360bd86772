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
///
/// ```
/// use apiview::prelude::*;
/// use apiview::{endpoint::HttpMethod, Handler};
///
/// #[apiview]
/// #[methods(get, post)]
/// fn both() {}
///
/// assert_eq!(both.meta().methods, Some(&[HttpMethod::Get, HttpMethod::Post][..]));
/// ```
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
    ///
    /// ```
    /// assert_eq!(apiview::endpoint::HttpMethod::Patch.to_method(), poem::http::Method::PATCH);
    /// ```
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
///
/// ```
/// use apiview::prelude::*;
/// use apiview::Handler;
///
/// #[apiview]
/// fn greet(name: String, times: Option<u8>) {}
///
/// let params = greet.meta().params;
/// assert_eq!((params[0].name, params[0].required), ("name", true));
/// assert_eq!((params[1].name, params[1].required), ("times", false));
/// ```
#[derive(Debug)]
pub struct ParamMeta {
    /// The parameter's name.
    pub name: &'static str,
    /// Where its value comes from; `None` for injection by type (`ApiRequest`,
    /// `#[extract]`).
    pub source: Option<Source>,
    /// What its Rust type says about the JSON value, classified by `#[apiview]`.
    pub shape: TypeShape,
    /// Whether the request must carry it (not an `Option`, or named by `requires`).
    pub required: bool,
}

/// What a parameter's Rust type says about the JSON value it is read from,
/// classified by `#[apiview]` on the syntax tree. Wrappers (`Option`, `Box`, `Arc`,
/// `Rc`, `Cow`, cells and locks, references) are looked through. The variants are
/// not named after types (`String`, `Any`, `Map`): a type error in a user's crate
/// would then print those types with their whole path.
///
/// ```
/// use apiview::prelude::*;
/// use apiview::endpoint::TypeShape;
/// use apiview::Handler;
///
/// #[apiview]
/// fn tag(ids: Option<Vec<u32>>, price: f64) {}
///
/// let params = tag.meta().params;
/// assert_eq!(params[0].shape, TypeShape::List(&TypeShape::Integer { signed: false, bits: 32 }));
/// assert_eq!(params[1].shape, TypeShape::Float { bits: 64 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeShape {
    /// `()`.
    Null,
    /// `String`, `str`, `PathBuf`, …
    Text,
    /// `char`.
    Character,
    /// `bool`.
    Boolean,
    /// An integer type (`isize` and `usize` are 64 bits).
    Integer {
        /// `i*` rather than `u*`.
        signed: bool,
        /// 8, 16, 32, 64 or 128.
        bits: u8,
    },
    /// `f32` or `f64`.
    Float {
        /// 32 or 64.
        bits: u8,
    },
    /// `Vec<T>`, `[T]`, `[T; N]` and the other sequences.
    List(&'static TypeShape),
    /// `HashSet<T>`, `BTreeSet<T>`, `IndexSet<T>`.
    UniqueList(&'static TypeShape),
    /// A map with string keys: the shape of its values.
    Dictionary(&'static TypeShape),
    /// `serde_json::Map`.
    Object,
    /// A tuple.
    Tuple(&'static [TypeShape]),
    /// Another named type (its last path segment), which may be a registered model.
    Named(&'static str),
    /// `serde_json::Value`, or a type the code says nothing about.
    Unknown,
}

/// One `@parameter: NAME {{{ YAML }}}` block of a doc comment.
#[derive(Debug)]
pub struct DocParameter {
    /// The parameter's name.
    pub name: &'static str,
    /// Its `in:` (`body`, `formData`, `query`, `path`, `header`, `cookie`).
    pub location: &'static str,
    /// The whole YAML block, as JSON text (validated at compile time).
    pub spec: &'static str,
}

/// One `@response: STATUS OK|ERROR "description" {{{ YAML }}}` block.
#[derive(Debug)]
pub struct DocResponse {
    /// The HTTP status.
    pub status: u16,
    /// `OK` (a result, packed with `pack_result`) or `ERROR` (packed with `pack_error`).
    pub ok: bool,
    /// The description.
    pub description: &'static str,
    /// The business data, as JSON text (`null` for an empty block).
    pub example: &'static str,
}

/// What the doc comment below its `--------` line says, parsed at compile time.
#[derive(Debug)]
pub struct DocSpec {
    /// `@methods`, when given (it agrees with the allow-list: a compile error
    /// otherwise).
    pub methods: Option<&'static [HttpMethod]>,
    /// The `@parameter` blocks.
    pub parameters: &'static [DocParameter],
    /// The `@response` blocks.
    pub responses: &'static [DocResponse],
}

/// A validator, as the OpenAPI document infers schemas from it.
#[derive(Debug)]
pub enum CheckMeta {
    /// `#[requires(..)]` / `#[requires(any(..))]`.
    Requires {
        /// The fields.
        fields: &'static [&'static str],
        /// Whether one of them suffices (`any`).
        any: bool,
    },
    /// `#[choices(field, [..])]`; `values` is the literal list as JSON text, `None`
    /// for a function.
    Choices {
        /// The parameter.
        field: &'static str,
        /// The allowed values, when literal.
        values: Option<&'static str>,
    },
    /// `#[between(field, min, max)]`; bounds as literal text, `None` when computed.
    Between {
        /// The parameter.
        field: &'static str,
        /// The lower bound.
        min: Option<&'static str>,
        /// The upper bound.
        max: Option<&'static str>,
        /// Whether the lower bound is allowed.
        include_min: bool,
        /// Whether the upper bound is allowed.
        include_max: bool,
    },
    /// `#[string_length_limit(..)]`.
    StringLength {
        /// The parameter.
        field: &'static str,
        /// Fewest characters.
        min_length: Option<usize>,
        /// Most characters.
        max_length: Option<usize>,
    },
}

/// What `#[apiview]` knows about an endpoint at compile time: for the App (methods,
/// packer) and for the OpenAPI document.
///
/// ```
/// use apiview::prelude::*;
/// use apiview::Handler;
///
/// /// Say hello.
/// ///
/// /// Greets by name.
/// #[apiview(tag = "greetings")]
/// fn hello(name: String) -> String {
///     format!("hello {name}")
/// }
///
/// let meta = hello.meta();
/// assert_eq!((meta.name, meta.summary, meta.description), ("hello", "Say hello.", "Greets by name."));
/// assert_eq!(meta.tag, Some("greetings"));
/// ```
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
    /// `#[cache(..)]`.
    pub cache: Option<&'static crate::cache::CacheSpec>,
    /// `#[decode_encrypted_data]`.
    pub decode_encrypted_data: bool,
    /// Whether an `#[rsa_decrypt]` uses the server key.
    pub rsa_decrypt_server_key: bool,
    /// The PEM files named by `#[rsa_decrypt(.., key = "..")]`.
    pub rsa_keys: &'static [&'static str],
    /// The doc comment's `@methods`, `@parameter` and `@response` blocks.
    pub spec: DocSpec,
    /// The validators, in written order.
    pub checks: &'static [CheckMeta],
}

/// An endpoint's answer before packing.
///
/// ```
/// use apiview::endpoint::Outcome;
///
/// assert!(matches!(Outcome::from_serialize("pong"), Outcome::Json(_)));
/// ```
#[derive(Debug)]
pub enum Outcome {
    /// A result, to be packed with `pack_result`.
    Data(Value),
    /// A result already serialized as JSON text (an endpoint's return value, a cache
    /// hit), packed with [`Packer::write_result_json`](crate::Packer::write_result_json).
    Json(bytes::Bytes),
    /// A response sent as is (`Raw`).
    Raw(poem::Response),
    /// An error, to be packed with `pack_error`.
    Error(BizError),
}

impl Outcome {
    /// Serializes a result to JSON text, once: packers write it into their envelope
    /// as it is (no `Value` tree in between). A value that does not serialize is a
    /// `SysError` (logged).
    ///
    /// ```
    /// use apiview::endpoint::Outcome;
    ///
    /// let Outcome::Json(json) = Outcome::from_serialize(&[1, 2]) else { unreachable!() };
    /// assert_eq!(&json[..], b"[1,2]");
    /// ```
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Outcome {
        // Most results are short: written on the stack first, then copied into bytes of
        // their exact size (one allocation, where a growing buffer turned into bytes
        // takes two).
        let mut stack = [0u8; 256];
        let mut cursor = std::io::Cursor::new(&mut stack[..]);
        if serde_json::to_writer(&mut cursor, value).is_ok() {
            let len = cursor.position() as usize;
            return Outcome::Json(bytes::Bytes::copy_from_slice(&stack[..len]));
        }
        match serde_json::to_vec(value) {
            Ok(json) => Outcome::Json(json.into()),
            Err(err) => {
                tracing::error!(%err, "the endpoint's result does not serialize to JSON");
                Outcome::Error(BizError::sys_error())
            }
        }
    }

    /// A `Result` of a serializable value or an error.
    ///
    /// ```
    /// use apiview::{endpoint::Outcome, BizError};
    ///
    /// let outcome = Outcome::from_result::<u8, BizError>(Err(BizError::bad_parameter("a")));
    /// assert!(matches!(outcome, Outcome::Error(err) if err.code() == 1001060002));
    /// ```
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
///
/// ```
/// // Generated code receives a `Call`; endpoints read the request through
/// // `&ApiRequest` parameters instead.
/// fn settings_of(call: &apiview::endpoint::Call) -> &apiview::Settings {
///     call.settings()
/// }
/// # let _ = settings_of;
/// ```
pub struct Call {
    /// The request.
    pub request: ApiRequest,
    pub(crate) runtime: Arc<Runtime>,
    /// The backend of the endpoint's `#[cache]`, found when it was bound.
    pub(crate) cache: Option<crate::cache::Cache>,
}

impl Call {
    pub(crate) fn new(
        request: ApiRequest,
        runtime: Arc<Runtime>,
        cache: Option<crate::cache::Cache>,
    ) -> Self {
        Call {
            request,
            runtime,
            cache,
        }
    }

    /// The App's settings.
    ///
    /// ```
    /// fn packer_of(call: &apiview::endpoint::Call) -> &str {
    ///     &call.settings().packer
    /// }
    /// # let _ = packer_of;
    /// ```
    pub fn settings(&self) -> &crate::Settings {
        &self.runtime.settings
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

    /// Runs every phase after [`Handler::guard`] and the body's decryption:
    /// `rsa_decrypt`, injection, validators, the cache, the function.
    fn run(&self, call: Call) -> impl Future<Output = Outcome> + Send + '_;
}
