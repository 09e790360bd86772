//! `#[apiview]` and its helper attributes. Use them through the `apiview` crate.
//!
//! The expansion goes parse → model → check → expand: `attrs/` parses each helper
//! attribute (the helpers are listed once, in the `helpers!` table below),
//! `model.rs` builds the endpoint from the function (`ty.rs` classifies parameter
//! types), `check.rs` applies the rules across attributes, `expand/` generates the
//! code, or on an error `expand/fallback.rs` a stub of it.

mod attr;
mod attrs;
mod check;
mod ctxt;
mod doc;
mod expand;
mod model;
mod ty;

use proc_macro::TokenStream;
use quote::quote;

use crate::ctxt::Ctxt;

/// Turns a function into an apiview endpoint: a value implementing `poem::Endpoint`
/// that `App::at` serves, with parameters filled by name from the request and
/// answers wrapped by the packer.
///
/// Options: `packer = ".."`, `tag = ".."`, `operation_id = ".."`, `versions = [".."]`
/// (the API versions it exists in, DESIGN §16), `blocking`. Helper
/// attributes go below it. See the `apiview` crate's README for the reference.
///
/// ```
/// use apiview::prelude::*;
///
/// /// Always returns "pong".
/// #[apiview(packer = "dmrs", tag = "health")]
/// #[allow_get]
/// async fn ping() -> &'static str {
///     "pong"
/// }
///
/// #[apiview(blocking)]
/// fn checksum(data: String) -> u64 {
///     data.bytes().map(u64::from).sum()
/// }
///
/// let app = App::new(Settings::default()).at("/ping", ping).at("/checksum", checksum);
///
/// # use apiview::meta::HttpMethod;
/// # use apiview::Handler;
/// let meta = ping.meta();
/// assert_eq!((meta.packer, meta.tag), (Some("dmrs"), Some("health")));
/// assert_eq!(meta.summary, "Always returns \"pong\".");
/// assert_eq!(meta.methods, Some(&[HttpMethod::Get][..]));
/// assert!(checksum.meta().methods.is_none(), "settings' default_allow_methods");
/// assert!(app.try_into_endpoint().is_ok());
/// ```
#[proc_macro_attribute]
pub fn apiview(args: TokenStream, item: TokenStream) -> TokenStream {
    let cx = Ctxt::default();
    let endpoint = model::parse(&cx, args.into(), item.clone().into());
    if let Some(endpoint) = &endpoint {
        check::check(&cx, endpoint);
    }
    match (endpoint, cx.check()) {
        (Some(endpoint), Ok(())) => expand::expand(&endpoint).into(),
        (Some(endpoint), Err(errors)) => expand::fallback(&endpoint, errors).into(),
        (None, result) => result.err().unwrap_or_default().into(),
    }
}

/// A helper written above `#[apiview]`, or without it: helpers only work below it,
/// where `#[apiview]` reads them.
fn misplaced(helper: &str, item: TokenStream) -> TokenStream {
    let item2: proc_macro2::TokenStream = item.into();
    let has_apiview = syn::parse2::<syn::ItemFn>(item2.clone())
        .map(|func| func.attrs.iter().any(|attr| attrs::attr_name(attr) == "apiview"))
        .unwrap_or(false);
    let message = if has_apiview {
        format!(
            "#[{helper}] must be written below #[apiview]: #[apiview] reads its helpers, and attributes above it run before it"
        )
    } else {
        format!("#[{helper}] only works on an #[apiview] function, written below #[apiview]")
    };
    let error = syn::Error::new(proc_macro2::Span::call_site(), message).to_compile_error();
    quote!(#error #item2).into()
}

/// The one table of helper attributes: each becomes a `#[proc_macro_attribute]` (which
/// only reports a helper written where `#[apiview]` cannot read it) and a [`Helper`]
/// that `attrs::parse_helper` must handle.
macro_rules! helpers {
    ($($(#[$doc:meta])* $name:ident => $variant:ident,)*) => {
        $(
            $(#[$doc])*
            #[proc_macro_attribute]
            pub fn $name(_args: TokenStream, item: TokenStream) -> TokenStream {
                misplaced(stringify!($name), item)
            }
        )*

        /// A helper attribute `#[apiview]` reads below it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        enum Helper {
            $($variant,)*
        }

        impl Helper {
            const ALL: &'static [Helper] = &[$(Helper::$variant),*];

            /// The attribute's name: `string_length_limit`.
            fn name(self) -> &'static str {
                match self {
                    $(Helper::$variant => stringify!($name),)*
                }
            }
        }
    };
}

helpers! {
    /// `#[requires(a, b)]`, `#[requires(any(phone, email))]`: fields that must be present.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// #[requires(a, any(phone, email), "token")]
    /// fn register(a: Option<i64>, phone: Option<String>, email: Option<String>) -> bool {
    ///     a.is_some() && (phone.is_some() || email.is_some())
    /// }
    ///
    /// # use apiview::Handler;
    /// use apiview::meta::CheckMeta;
    /// let meta = register.meta();
    /// // `a` is an `Option`, but `requires` makes the request carry it.
    /// assert!(meta.params[0].required);
    /// // Checked in written order: `a`, then one of `phone`/`email`, then `token`.
    /// assert!(matches!(meta.checks[0], CheckMeta::Requires { fields: ["a"], any: false }));
    /// assert!(matches!(meta.checks[1], CheckMeta::Requires { fields: ["phone", "email"], any: true }));
    /// // A required field need not be a parameter: "token" is only checked for.
    /// assert!(matches!(meta.checks[2], CheckMeta::Requires { fields: ["token"], any: false }));
    /// ```
    requires => Requires,
    /// `#[choices(op, ["add", "sub"])]`, `#[choices(op, allowed_ops)]`, `allow_none = true`.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// fn allowed_ops() -> Vec<&'static str> {
    ///     vec!["add", "sub"]
    /// }
    ///
    /// #[apiview]
    /// #[choices(op, ["add", "sub"])]
    /// #[choices(mode, allowed_ops, allow_none = true)]
    /// fn pick(op: String, mode: Option<String>) -> String {
    ///     mode.unwrap_or(op)
    /// }
    ///
    /// # use apiview::Handler;
    /// use apiview::meta::CheckMeta;
    /// let checks = pick.meta().checks;
    /// assert!(matches!(checks[0], CheckMeta::Choices { field: "op", values: Some(r#"["add","sub"]"#), computed: None }));
    /// // A function's values are computed: per request, and once for the document.
    /// let CheckMeta::Choices { field: "mode", values: None, computed: Some(compute) } = checks[1] else { panic!() };
    /// assert_eq!(compute(), Some(vec![serde_json::json!("add"), serde_json::json!("sub")]));
    /// ```
    choices => Choices,
    /// `#[between(a, 0, 100)]`, `include_min = false`, `include_max = false`, `allow_none = true`.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// fn max_b() -> f64 {
    ///     1e6
    /// }
    ///
    /// #[apiview]
    /// #[between(a, 0, 100)]
    /// #[between(b, 0, max_b, include_min = false)]
    /// fn add(a: i64, b: f64) -> f64 {
    ///     a as f64 + b
    /// }
    ///
    /// # use apiview::Handler;
    /// use apiview::meta::CheckMeta;
    /// let checks = add.meta().checks;
    /// assert!(matches!(
    ///     checks[0],
    ///     CheckMeta::Between { field: "a", min: Some("0"), max: Some("100"), include_min: true, .. }
    /// ));
    /// assert!(matches!(checks[1], CheckMeta::Between { field: "b", max: None, include_min: false, .. }));
    /// ```
    between => Between,
    /// `#[string_length_limit(msg, max_length = 4096, min_length = 2)]`.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// #[string_length_limit(msg, max_length = 4096, min_length = 2, too_short_message = "Say more.")]
    /// fn echo(msg: String) -> String {
    ///     msg
    /// }
    ///
    /// # use apiview::Handler;
    /// use apiview::meta::CheckMeta;
    /// assert!(matches!(
    ///     echo.meta().checks[0],
    ///     CheckMeta::StringLength { field: "msg", min_length: Some(2), max_length: Some(4096) }
    /// ));
    /// ```
    string_length_limit => StringLengthLimit,
    /// `#[check_aclkey]`, `(aclkey = "..")`, `(aclkeys = [".."])`, `(aclkey = my_fn)`, `(field = "aclkey")`.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// #[check_aclkey] // settings.aclkey / settings.aclkeys
    /// fn secure() -> &'static str {
    ///     "ok"
    /// }
    ///
    /// #[apiview]
    /// #[check_aclkey(aclkeys = ["key-1", "key-2"], field = "token")]
    /// fn partner() -> &'static str {
    ///     "ok"
    /// }
    ///
    /// # use apiview::Handler;
    /// assert!(secure.meta().checks_aclkey && partner.meta().checks_aclkey);
    /// ```
    check_aclkey => CheckAclkey,
    /// `#[login_required]`: only a caller the App's authenticator knows is served;
    /// others get `LoginRequired` (a bad token: `BadUserToken`). DESIGN §14.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// #[login_required]
    /// fn inbox() -> Vec<String> {
    ///     Vec::new()
    /// }
    ///
    /// # use apiview::Handler;
    /// assert_eq!(inbox.meta().auth, apiview::AuthUse::Required);
    /// ```
    login_required => LoginRequired,
    /// `#[permission(can_edit)]`, `#[permission(can_edit(id, title))]`: calls
    /// `can_edit(&Identity, <the listed parameters, by reference>)`, which returns
    /// `bool` (`false`: `NoPermissionError`) or `Result<(), E>`, or is an `async fn`
    /// returning one. Implies `#[login_required]`; several must all pass. DESIGN §14.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// fn is_owner(me: &Identity, id: &u64, title: Option<&str>) -> bool {
    ///     me.id() == id.to_string() && title != Some("locked")
    /// }
    ///
    /// async fn not_banned(me: &Identity) -> apiview::Result<()> {
    ///     match me.claim("banned") {
    ///         Some(_) => Err(BizError::new(4001, "Banned.")),
    ///         None => Ok(()),
    ///     }
    /// }
    ///
    /// #[apiview]
    /// #[permission(is_owner(id, title))]
    /// #[permission(not_banned)]
    /// fn rename(id: u64, title: Option<String>) -> u64 {
    ///     id
    /// }
    ///
    /// # use apiview::Handler;
    /// assert_eq!(rename.meta().permissions, ["is_owner", "not_banned"]);
    /// ```
    permission => Permission,
    /// Allows GET.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// #[allow_get]
    /// fn ping() -> &'static str {
    ///     "pong"
    /// }
    ///
    /// # use apiview::Handler;
    /// use apiview::meta::HttpMethod;
    /// assert_eq!(ping.meta().methods, Some(&[HttpMethod::Get][..]));
    /// ```
    allow_get => AllowGet,
    /// Allows POST.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// #[allow_post]
    /// fn create(name: String) -> String {
    ///     name
    /// }
    ///
    /// # use apiview::Handler;
    /// use apiview::meta::HttpMethod;
    /// assert_eq!(create.meta().methods, Some(&[HttpMethod::Post][..]));
    /// ```
    allow_post => AllowPost,
    /// Allows PUT.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// #[allow_put]
    /// fn replace(name: String) -> String {
    ///     name
    /// }
    ///
    /// # use apiview::Handler;
    /// use apiview::meta::HttpMethod;
    /// assert_eq!(replace.meta().methods, Some(&[HttpMethod::Put][..]));
    /// ```
    allow_put => AllowPut,
    /// Allows DELETE.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// #[allow_delete]
    /// fn remove(id: u64) -> u64 {
    ///     id
    /// }
    ///
    /// # use apiview::Handler;
    /// use apiview::meta::HttpMethod;
    /// assert_eq!(remove.meta().methods, Some(&[HttpMethod::Delete][..]));
    /// ```
    allow_delete => AllowDelete,
    /// Allows PATCH.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// #[allow_patch]
    /// fn rename(id: u64, name: String) -> String {
    ///     format!("{id}: {name}")
    /// }
    ///
    /// # use apiview::Handler;
    /// use apiview::meta::HttpMethod;
    /// assert_eq!(rename.meta().methods, Some(&[HttpMethod::Patch][..]));
    /// ```
    allow_patch => AllowPatch,
    /// Allows HEAD.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// #[allow_get]
    /// #[allow_head]
    /// fn exists() -> bool {
    ///     true
    /// }
    ///
    /// # use apiview::Handler;
    /// use apiview::meta::HttpMethod;
    /// assert_eq!(exists.meta().methods, Some(&[HttpMethod::Get, HttpMethod::Head][..]));
    /// ```
    allow_head => AllowHead,
    /// Allows OPTIONS.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// #[allow_options]
    /// fn preflight() {}
    ///
    /// # use apiview::Handler;
    /// use apiview::meta::HttpMethod;
    /// assert_eq!(preflight.meta().methods, Some(&[HttpMethod::Options][..]));
    /// ```
    allow_options => AllowOptions,
    /// `#[methods(get, post)]`: the method allow-list.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// #[methods(get, post)]
    /// fn both() -> &'static str {
    ///     "either"
    /// }
    ///
    /// # use apiview::Handler;
    /// use apiview::meta::HttpMethod;
    /// assert_eq!(both.meta().methods, Some(&[HttpMethod::Get, HttpMethod::Post][..]));
    /// ```
    methods => Methods,
    /// `#[body_alias(user)]`: the whole body as parameter `user`.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// #[body_alias(user)]
    /// fn show(user: serde_json::Value) -> serde_json::Value {
    ///     user
    /// }
    ///
    /// # use apiview::Handler;
    /// use apiview::meta::Source;
    /// assert!(matches!(show.meta().params[0].source, Some(Source::Payload)));
    /// ```
    body_alias => BodyAlias,
    /// `#[cookie_variable(uid)]`, `(userid, cookie = "uid", default = "..")`: a cookie as a parameter.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// #[cookie_variable(uid)]
    /// #[cookie_variable(theme, cookie = "ui-theme", default = "light")]
    /// fn prefs(uid: Option<String>, theme: String) -> String {
    ///     format!("{uid:?} {theme}")
    /// }
    ///
    /// # use apiview::Handler;
    /// use apiview::meta::Source;
    /// let params = prefs.meta().params;
    /// assert!(matches!(params[0].source, Some(Source::Cookie { name: "uid", default: None })));
    /// let theme = Source::Cookie { name: "ui-theme", default: Some("light") };
    /// assert_eq!(format!("{:?}", params[1].source), format!("{:?}", Some(theme)));
    /// ```
    cookie_variable => CookieVariable,
    /// `#[meta_variable(agent, "HTTP_USER_AGENT")]`: a Django META value as a parameter.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// #[meta_variable(agent, "HTTP_USER_AGENT")]
    /// #[meta_variable(ip, "REMOTE_ADDR")]
    /// fn client(agent: Option<String>, ip: Option<String>) -> String {
    ///     format!("{agent:?} {ip:?}")
    /// }
    ///
    /// # use apiview::Handler;
    /// use apiview::meta::Source;
    /// let params = client.meta().params;
    /// // A META name that is a header is read as that header.
    /// assert!(matches!(params[0].source, Some(Source::Header { name: "user-agent" })));
    /// assert!(matches!(params[1].source, Some(Source::Meta { name: "REMOTE_ADDR" })));
    /// ```
    meta_variable => MetaVariable,
    /// `#[cache(key = "add:{a}:{b}", expire = 60)]`: the result cached under a key
    /// filled from the parameters; options `name`, `get_from_cache`, `set_to_cache`,
    /// `batch`, `ignore_errors`.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// #[cache(key = "add:{a}:{b}", expire = 60)]
    /// fn add(a: i64, b: i64) -> i64 {
    ///     a + b
    /// }
    ///
    /// # use apiview::Handler;
    /// let cache = add.meta().cache.unwrap();
    /// assert_eq!((cache.template, cache.names, cache.expire), ("add:{a}:{b}", &["a", "b"][..], Some(60)));
    /// assert_eq!(cache.name, "default");
    /// ```
    cache => Cache,
    /// `#[rsa_decrypt(password)]`, `(password, key = "keys/other.pem")`: the field
    /// arrives base64 RSA-encrypted (OAEP-SHA256; PKCS#1 v1.5 too with settings'
    /// `safe.allow_pkcs1v15 = true`) and the function receives the plain text. The key
    /// is settings' `safe.server_private_key`. It is decrypted after the aclkey check,
    /// whatever the order the attributes are written in.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// #[rsa_decrypt(password)]
    /// fn login(user: String, password: String) -> bool {
    ///     user == "ann" && password == "s3cret"
    /// }
    ///
    /// # use apiview::Handler;
    /// let meta = login.meta();
    /// assert!(meta.rsa_decrypt_server_key && meta.reads_body);
    /// ```
    rsa_decrypt => RsaDecrypt,
    /// `#[decode_encrypted_data]`: the body is `{encryptedPassword, encryptedData}`,
    /// decrypted with the server key and its fields merged into the request data
    /// before validation (automatic on safe-packed endpoints when the server has a
    /// key).
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// #[decode_encrypted_data]
    /// fn transfer(to: String, amount: u64) -> String {
    ///     format!("{amount} to {to}")
    /// }
    ///
    /// # use apiview::Handler;
    /// assert!(transfer.meta().decode_encrypted_data);
    /// ```
    decode_encrypted_data => DecodeEncryptedData,
    /// `#[header_variable(agent, "User-Agent")]`: a header as a parameter.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// #[header_variable(agent, "User-Agent")]
    /// fn agent(agent: Option<String>) -> Option<String> {
    ///     agent
    /// }
    ///
    /// # use apiview::Handler;
    /// use apiview::meta::Source;
    /// // HTTP header names are case-insensitive; the macro keeps them in lowercase.
    /// assert!(matches!(agent.meta().params[0].source, Some(Source::Header { name: "user-agent" })));
    /// ```
    header_variable => HeaderVariable,
    /// `#[paginate]`, `(style = "page_number" | "limit_offset" | "cursor", page_size = N,
    /// max_page_size = N)`: the endpoint takes a `PageRequest` and returns a `Page<T>`
    /// (or `Result<Page<T>, E>`), answered in Django REST framework's shape
    /// `{"count", "next", "previous", "results"}` inside the packer's envelope. An
    /// option not written is settings' `[pagination]` value.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// #[paginate(style = "cursor", page_size = 10)]
    /// fn feed(page: PageRequest) -> Page<u64> {
    ///     let from: u64 = page.cursor().and_then(|c| c.parse().ok()).unwrap_or(0);
    ///     let items: Vec<u64> = (from..from + page.limit()).collect();
    ///     Page::cursor(items, Some((from + page.limit()).to_string()))
    /// }
    ///
    /// # use apiview::Handler;
    /// use apiview::meta::PageStyle;
    /// let paginate = feed.meta().paginate.unwrap();
    /// assert_eq!((paginate.style, paginate.page_size), (Some(PageStyle::Cursor), Some(10)));
    /// ```
    paginate => Paginate,
    /// `#[throttle(rate = "10/m", scope = "login", key = "{aclkey}")]`: at most N
    /// requests per second, minute, hour or day (`N/s|m|h|d`), counted per `key`
    /// (default `{ip}`, the client address) under `scope` (default the function's
    /// path), in settings' `throttle.backend`. Over it: `TooManyRequests`
    /// (1001010007) with `Retry-After`. Key names are parameters, the
    /// `#[check_aclkey]` field or `{ip}`, read raw before validation. Several may be
    /// stacked: a request passes when every one admits it. Checked after the method
    /// and version, before the aclkey and any decryption, whatever the order written.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// #[throttle(rate = "5/m", scope = "login", key = "{user}")]
    /// #[throttle(rate = "100/d", scope = "login")]
    /// fn login(user: String) -> String {
    ///     user
    /// }
    ///
    /// # use apiview::Handler;
    /// use apiview::meta::{Source, ThrottleValue};
    /// let [per_user, per_address] = login.meta().throttles else { unreachable!() };
    /// assert_eq!((per_user.rate, per_user.scope, per_user.key), ("5/m", "login", "{user}"));
    /// assert!(matches!(per_user.values, [ThrottleValue::Request(Source::Field { name: "user", .. })]));
    /// // The default key: the client address.
    /// assert_eq!((per_address.rate, per_address.key), ("100/d", "{ip}"));
    /// assert!(matches!(per_address.values, [ThrottleValue::ClientIp]));
    /// ```
    throttle => Throttle,
}
