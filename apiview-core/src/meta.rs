//! What `#[apiview]` knows about an endpoint at compile time, as static data: its
//! methods, parameters and where each comes from, validators, cache and doc-comment
//! blocks. Read by the App when it binds the endpoint and by the OpenAPI document;
//! the bottom layer of the crate, it imports nothing from it.

use poem::http::Method;

/// An HTTP method of an allow-list: the method grammar `#[apiview]` reads at compile
/// time and settings read at start-up, from the shared `apiview-grammar` crate.
///
/// ```
/// use apiview::prelude::*;
/// use apiview::{meta::HttpMethod, Handler};
///
/// #[apiview]
/// #[methods(get, post)]
/// fn both() {}
///
/// assert_eq!(both.meta().methods, Some(&[HttpMethod::Get, HttpMethod::Post][..]));
/// assert_eq!(HttpMethod::parse("PATCH"), Some(HttpMethod::Patch));
/// ```
pub use apiview_grammar::Method as HttpMethod;

/// An allow-list method as poem's method type.
///
/// ```
/// use apiview::meta::{poem_method, HttpMethod};
///
/// assert_eq!(poem_method(HttpMethod::Patch), poem::http::Method::PATCH);
/// ```
pub fn poem_method(method: HttpMethod) -> Method {
    match method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Options => Method::OPTIONS,
    }
}

/// Where a parameter's value comes from. Built by `#[apiview]`, one per parameter.
///
/// ```
/// use apiview::meta::Source;
/// use apiview::prelude::*;
/// use apiview::Handler;
///
/// // What `#[cookie_variable(userid, cookie = "uid", default = "guest")]` generates:
/// let source = Source::Cookie { name: "uid", default: Some("guest") };
///
/// #[apiview]
/// #[cookie_variable(userid, cookie = "uid", default = "guest")]
/// fn whoami(userid: String) -> String {
///     userid
/// }
///
/// let generated = whoami.meta().params[0].source.unwrap();
/// assert_eq!(format!("{generated:?}"), format!("{source:?}"));
/// ```
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// By name through every source in precedence order. `header` is the name as an
    /// HTTP header (`user_agent` → `user-agent`).
    Field {
        /// The field name.
        name: &'static str,
        /// The same name spelled as an HTTP header.
        header: &'static str,
    },
    /// The whole body (`body_alias`, `_payload`).
    Payload,
    /// A cookie.
    Cookie {
        /// The cookie's name.
        name: &'static str,
        /// Text used when the cookie is absent.
        default: Option<&'static str>,
    },
    /// One header, by HTTP name.
    Header {
        /// The header's name.
        name: &'static str,
    },
    /// A Django `META` value that is not a header (`REMOTE_ADDR`, `REQUEST_METHOD`,
    /// `PATH_INFO`, `QUERY_STRING`).
    Meta {
        /// The META name.
        name: &'static str,
    },
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
/// use apiview::meta::TypeShape;
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
    /// An uploaded file: `Upload` (DESIGN §12), a multipart file part.
    File,
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
    /// for a function, whose list `computed` gives when the document is built.
    Choices {
        /// The parameter.
        field: &'static str,
        /// The allowed values, when literal.
        values: Option<&'static str>,
        /// For `#[choices(field, function)]`: calls the function and answers its
        /// values as JSON, or `None` when they do not serialize.
        computed: Option<fn() -> Option<Vec<serde_json::Value>>>,
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

/// Whether an endpoint asks who its caller is (DESIGN §14); decided at compile time,
/// so that an endpoint that does not never reads the `Authorization` header.
///
/// ```
/// assert_eq!(apiview::AuthUse::default(), apiview::AuthUse::None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthUse {
    /// It does not: the App's authenticator never runs for it.
    #[default]
    None,
    /// It takes an `Option<Identity>`: an anonymous caller is served, one with bad
    /// credentials is refused (`BadUserToken`).
    Optional,
    /// Its caller must be known: `LoginRequired` without credentials.
    Required,
}

/// What `#[cache(..)]` says, as generated code hands it to the runtime.
#[derive(Debug)]
pub struct CacheSpec {
    /// The key template as written.
    pub template: &'static str,
    /// The template's literal text around its placeholders.
    pub literals: &'static [&'static str],
    /// The placeholder names.
    pub names: &'static [&'static str],
    /// Seconds to live; `None` means `cache.default_expire`.
    pub expire: Option<u64>,
    /// The backend's name.
    pub name: &'static str,
    /// Whether to read the cache.
    pub get_from_cache: bool,
    /// Whether to write the cache.
    pub set_to_cache: bool,
    /// Whether each element of a list result (or value of a map) is stored under its
    /// own key, filled from its fields.
    pub batch: bool,
    /// Whether backend failures are logged misses (`true`) or `CacheError`.
    pub ignore_errors: bool,
    /// Whether the endpoint has `#[check_aclkey]`: every caller who reaches the cache
    /// passed it, and may skip the cache read with the disable header.
    pub aclkey_checked: bool,
}

/// Where a value of a `#[throttle]` key comes from (DESIGN §13).
///
/// ```
/// use apiview::meta::ThrottleValue;
/// use apiview::prelude::*;
/// use apiview::Handler;
///
/// #[apiview]
/// #[throttle(rate = "5/m", key = "{ip}:{user}")]
/// fn login(user: String) {}
///
/// let values = login.meta().throttles[0].values;
/// assert!(matches!(values[0], ThrottleValue::ClientIp));
/// assert!(matches!(values[1], ThrottleValue::Request(apiview::meta::Source::Field { name: "user", .. })));
/// ```
#[derive(Debug, Clone, Copy)]
pub enum ThrottleValue {
    /// `{ip}`: the client address, as `throttle.trusted_proxies` decides.
    ClientIp,
    /// A parameter or the `#[check_aclkey]` field: its raw request value, before
    /// validation and coercion.
    Request(Source),
}

/// One `#[throttle(rate = "..", scope = "..", key = "..")]`, as generated code hands
/// it to the runtime.
///
/// ```
/// use apiview::prelude::*;
/// use apiview::Handler;
///
/// #[apiview]
/// #[throttle(rate = "10/m", scope = "login")]
/// #[throttle(rate = "100/d")]
/// fn login() {}
///
/// let [burst, daily] = login.meta().throttles else { unreachable!() };
/// assert_eq!((burst.rate, burst.count, burst.period_s, burst.scope), ("10/m", 10, 60, "login"));
/// // No scope written: the function's path, a counter of its own.
/// assert_eq!((daily.rate, daily.scope, daily.key), ("100/d", concat!(module_path!(), "::login"), "{ip}"));
/// ```
#[derive(Debug)]
pub struct ThrottleSpec {
    /// The rate, written canonically (`10/m`).
    pub rate: &'static str,
    /// Requests allowed per period.
    pub count: u64,
    /// The period, in seconds.
    pub period_s: u64,
    /// The counter's name: `scope = ".."`, else the function's path
    /// (`module_path!()::name`), which no other endpoint and no written scope shares.
    pub scope: &'static str,
    /// The key template as written (`{ip}` when none is).
    pub key: &'static str,
    /// The template's literal text around its placeholders.
    pub literals: &'static [&'static str],
    /// The placeholder names.
    pub names: &'static [&'static str],
    /// Where each placeholder's value comes from.
    pub values: &'static [ThrottleValue],
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
    /// The field `#[check_aclkey]` reads the key from (`aclkey` unless
    /// `field = ".."` says otherwise), when it checks one: the OpenAPI document's
    /// `apiKey` security scheme.
    ///
    /// ```
    /// use apiview::prelude::*;
    /// use apiview::Handler;
    ///
    /// #[apiview]
    /// #[check_aclkey(field = "api_key")]
    /// fn guarded() {}
    ///
    /// assert_eq!(guarded.meta().aclkey_field, Some("api_key"));
    /// ```
    pub aclkey_field: Option<&'static str>,
    /// Whether the endpoint asks who its caller is (DESIGN §14): `#[login_required]`,
    /// a `#[permission(..)]` or an `Identity` parameter make it
    /// [`AuthUse::Required`], an `Option<Identity>` parameter alone
    /// [`AuthUse::Optional`].
    ///
    /// ```
    /// use apiview::prelude::*;
    /// use apiview::{AuthUse, Handler};
    ///
    /// #[apiview]
    /// #[login_required]
    /// fn mine() {}
    ///
    /// #[apiview]
    /// fn maybe(me: Option<Identity>) {}
    ///
    /// #[apiview]
    /// fn public() {}
    ///
    /// assert_eq!((mine.meta().auth, maybe.meta().auth, public.meta().auth), (AuthUse::Required, AuthUse::Optional, AuthUse::None));
    /// ```
    pub auth: AuthUse,
    /// The functions of the endpoint's `#[permission(..)]`s, as written.
    ///
    /// ```
    /// use apiview::prelude::*;
    /// use apiview::Handler;
    ///
    /// fn is_admin(me: &Identity) -> bool {
    ///     me.claim("admin").is_some()
    /// }
    ///
    /// #[apiview]
    /// #[permission(is_admin)]
    /// fn purge() {}
    ///
    /// assert_eq!(purge.meta().permissions, ["is_admin"]);
    /// ```
    pub permissions: &'static [&'static str],
    /// `#[cache(..)]`.
    pub cache: Option<&'static CacheSpec>,
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
    /// The JSON schema of what the function returns, for the success envelope's
    /// result in the OpenAPI document; `None` for a `Raw` answer, which its
    /// `@response` blocks describe. Document-time only: never called on a request.
    pub result: Option<fn() -> ResultSchema>,
    /// Whether code of the user's may answer an error with a code of its own: the
    /// function returns a `Result`, or the endpoint runs a `#[permission]` or an
    /// authenticator. The OpenAPI document cannot know those codes (unless `@response`
    /// ERROR blocks declare them), so the error code it documents for this endpoint is
    /// an open `enum`: the codes it knows, or any other integer.
    ///
    /// ```
    /// use apiview::prelude::*;
    /// use apiview::Handler;
    ///
    /// #[apiview]
    /// fn checked(a: i64) -> apiview::Result<i64> {
    ///     if a < 0 { Err(BizError::new(4000001, "negative")) } else { Ok(a) }
    /// }
    ///
    /// #[apiview]
    /// fn total(a: i64) -> i64 {
    ///     a
    /// }
    ///
    /// assert!(checked.meta().fallible);
    /// assert!(!total.meta().fallible);
    /// ```
    pub fallible: bool,
    /// `#[paginate(..)]`.
    pub paginate: Option<PaginateMeta>,
    /// `#[apiview(body_limit = N)]`: the largest body this endpoint accepts, in bytes,
    /// instead of the settings' `body_limit` (an upload endpoint raises it).
    ///
    /// ```
    /// use apiview::prelude::*;
    /// use apiview::Handler;
    ///
    /// #[apiview(body_limit = 20_971_520)]
    /// async fn attach(file: Upload) -> u64 {
    ///     file.size()
    /// }
    ///
    /// assert_eq!(attach.meta().body_limit, Some(20_971_520));
    /// ```
    pub body_limit: Option<u64>,
    /// `#[apiview(versions = [..])]`: the API versions the endpoint exists in
    /// (DESIGN §16); `None`: every version of `versioning.allowed`.
    ///
    /// ```
    /// use apiview::prelude::*;
    /// use apiview::Handler;
    ///
    /// #[apiview(versions = ["v2", "v3"])]
    /// fn fresh() {}
    ///
    /// #[apiview]
    /// fn always() {}
    ///
    /// assert_eq!(fresh.meta().versions, Some(&["v2", "v3"][..]));
    /// assert_eq!(always.meta().versions, None);
    /// ```
    pub versions: Option<&'static [&'static str]>,
    /// `#[apiview(content_type = "text/html")]`: the media type of a `Raw` answer, for
    /// the document (a successful answer is that, an error the packed JSON).
    ///
    /// ```
    /// use apiview::prelude::*;
    /// use apiview::Handler;
    ///
    /// #[apiview(content_type = "text/html")]
    /// fn page() -> Raw<poem::web::Html<&'static str>> {
    ///     Raw(poem::web::Html("<p>hi</p>"))
    /// }
    ///
    /// assert_eq!(page.meta().content_type, Some("text/html"));
    /// ```
    pub content_type: Option<&'static str>,
    /// The `#[throttle]` attributes, in written order (DESIGN §13); empty: the
    /// endpoint is throttled by `throttle.default_rate` only, if set.
    pub throttles: &'static [ThrottleSpec],
}

/// How `#[paginate]` pages: the query parameters it reads and the links it writes.
///
/// ```
/// use apiview_core::meta::PageStyle;
///
/// assert_eq!(PageStyle::parse("limit_offset"), Some(PageStyle::LimitOffset));
/// assert_eq!(PageStyle::Cursor.name(), "cursor");
/// assert_eq!(PageStyle::PageNumber.query_params(), ["page", "page_size"]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PageStyle {
    /// `?page=2&page_size=20`.
    #[default]
    PageNumber,
    /// `?limit=20&offset=40`.
    LimitOffset,
    /// `?cursor=..&page_size=20`: an opaque, signed position.
    Cursor,
}

impl PageStyle {
    /// Every style, in the order the settings reference lists them.
    pub const ALL: [PageStyle; 3] = [PageStyle::PageNumber, PageStyle::LimitOffset, PageStyle::Cursor];

    /// The style named `name` (`page_number`, `limit_offset`, `cursor`).
    pub fn parse(name: &str) -> Option<PageStyle> {
        PageStyle::ALL.into_iter().find(|style| style.name() == name)
    }

    /// The style's name, as `#[paginate(style = "..")]` and settings write it.
    pub fn name(self) -> &'static str {
        match self {
            PageStyle::PageNumber => "page_number",
            PageStyle::LimitOffset => "limit_offset",
            PageStyle::Cursor => "cursor",
        }
    }

    /// The query parameters the style reads, the position first.
    pub fn query_params(self) -> [&'static str; 2] {
        match self {
            PageStyle::PageNumber => ["page", "page_size"],
            PageStyle::LimitOffset => ["offset", "limit"],
            PageStyle::Cursor => ["cursor", "page_size"],
        }
    }
}

/// What `#[paginate(style = "..", page_size = N, max_page_size = N)]` wrote; `None`
/// is settings' `[pagination]` value.
///
/// ```
/// use apiview::prelude::*;
/// use apiview::Handler;
/// use apiview::meta::PageStyle;
///
/// #[apiview]
/// #[paginate(style = "limit_offset", max_page_size = 50)]
/// fn numbers(page: PageRequest) -> Page<u64> {
///     Page::new((page.offset()..page.offset() + page.limit()).collect(), 1000)
/// }
///
/// let paginate = numbers.meta().paginate.unwrap();
/// assert_eq!(paginate.style, Some(PageStyle::LimitOffset));
/// assert_eq!((paginate.page_size, paginate.max_page_size), (None, Some(50)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PaginateMeta {
    /// `style = ".."`.
    pub style: Option<PageStyle>,
    /// `page_size = N`: the size when the request names none.
    pub page_size: Option<u64>,
    /// `max_page_size = N`: larger requested sizes are clamped to it.
    pub max_page_size: Option<u64>,
}

/// The JSON schema of an endpoint's result, as `#[apiview]` has the OpenAPI document
/// build it from the return type through `schemars` (`Result<T, _>` → `T`, `()` →
/// null). A type that does not implement `schemars::JsonSchema` is `{}` (any value):
/// the endpoint compiles all the same.
///
/// ```
/// use apiview::prelude::*;
/// use apiview::Handler;
///
/// #[apiview]
/// fn add(a: i64, b: i64) -> apiview::Result<i64> {
///     Ok(a + b)
/// }
///
/// struct Opaque;
/// impl serde::Serialize for Opaque {
///     fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
///         s.serialize_str("opaque")
///     }
/// }
///
/// #[apiview]
/// fn opaque() -> Opaque {
///     Opaque
/// }
///
/// let schema = (add.meta().result.unwrap())();
/// assert_eq!(schema.schema["type"], "integer");
/// assert_eq!((opaque.meta().result.unwrap())().schema, serde_json::json!({}));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ResultSchema {
    /// The schema itself: inline for a scalar or a container of scalars, a `$ref`
    /// into `#/components/schemas/` for a named model.
    pub schema: serde_json::Value,
    /// The named schemas it refers to, for `components/schemas`.
    pub components: Vec<(String, serde_json::Value)>,
}
