//! The code `#[apiview]` generates compiles without warnings under `deny(warnings)`
//! and a set of stricter lints a user may turn on.

#![deny(warnings)]
#![deny(
    missing_docs,
    missing_debug_implementations,
    unused_qualifications,
    unused_results,
    trivial_casts,
    trivial_numeric_casts,
    unsafe_code,
    elided_lifetimes_in_paths,
    single_use_lifetimes,
    unused_lifetimes,
    let_underscore_drop,
    missing_copy_implementations,
    unused_import_braces,
    redundant_lifetimes,
    unit_bindings,
    unnameable_types,
    keyword_idents,
    rust_2018_idioms,
    non_ascii_idents,
    variant_size_differences,
    unreachable_pub
)]
#![deny(
    clippy::all,
    clippy::allow_attributes,
    clippy::allow_attributes_without_reason
)]

/// The endpoints.
pub mod endpoints {
    use apiview::prelude::*;

    fn allowed_ops() -> Vec<&'static str> {
        vec!["add", "sub"]
    }

    fn lowest() -> i64 {
        -100
    }

    fn keys() -> Vec<String> {
        vec!["secret".to_owned()]
    }

    /// Always returns "pong".
    ///
    /// --------
    /// @methods: get
    #[apiview(tag = "lints")]
    #[allow_get]
    pub async fn ping() -> &'static str {
        "pong"
    }

    /// Adds.
    /// Cached.
    #[apiview]
    #[throttle(rate = "5/s", key = "{ip}:{a}")]
    pub async fn lint_throttled(a: i64) -> i64 {
        a
    }

    #[apiview]
    #[cache(key = "lint:{a}", expire = 5)]
    pub async fn lint_cached(a: i64) -> i64 {
        a
    }

    #[apiview]
    #[requires(a, "token")]
    #[requires(any(a, b))]
    #[between(a, 0, 100)]
    #[between(b, lowest, { 10 * 10 }, include_min = false, allow_none = true)]
    #[between(ratio, -1, 1, include_max = false)]
    #[methods(get, post)]
    pub fn add(a: i64, b: Option<i64>, ratio: f64) -> apiview::Result<i64> {
        Ok(a + b.unwrap_or(0) + i64::from(ratio > 0.5))
    }

    /// Pages.
    #[apiview]
    #[paginate(style = "cursor", page_size = 5, max_page_size = 10)]
    pub async fn lint_paged(page: PageRequest) -> apiview::Result<Page<u64>> {
        Ok(Page::cursor(vec![page.limit()], page.cursor().map(str::to_owned)))
    }

    /// Picks.
    #[apiview(packer = "simple")]
    #[choices(op, ["add", "sub"])]
    #[choices(mode, allowed_ops, allow_none = true)]
    #[string_length_limit(op, min_length = 1, max_length = 3, too_long_message = "too long")]
    #[allow_post]
    pub async fn pick(op: String, mode: Option<String>) -> Vec<String> {
        let mut picked = vec![op];
        picked.extend(mode);
        picked
    }

    /// Who is calling.
    #[apiview]
    #[check_aclkey]
    #[cookie_variable(uid, default = "guest")]
    #[header_variable(agent, "User-Agent")]
    #[meta_variable(addr, "REMOTE_ADDR")]
    #[body_alias(user)]
    pub fn whoami(
        uid: String,
        agent: Option<String>,
        addr: Option<String>,
        user: serde_json::Value,
        req: &ApiRequest,
    ) -> serde_json::Value {
        serde_json::json!({"uid": uid, "agent": agent, "addr": addr, "user": user, "path": req.path()})
    }

    /// Secure.
    #[apiview]
    #[check_aclkey(aclkey = keys, field = "key")]
    pub fn secure(req: ApiRequest) -> Raw<String> {
        Raw(req.path().to_owned())
    }

    /// Nothing.
    #[apiview]
    #[check_aclkey(aclkeys = ["a", "b"])]
    pub const fn nothing() {}

    /// Blocking.
    #[apiview(blocking)]
    #[string_length_limit(msg, max_length = 10)]
    pub fn blocking(msg: String, req: &ApiRequest) -> String {
        format!("{msg} {}", req.path())
    }

    #[apiview]
    #[requires(n)]
    fn private(n: Option<u32>) -> u32 {
        n.unwrap_or_default()
    }

    fn owns(me: &Identity, owner: &str) -> bool {
        me.id() == owner
    }

    async fn open(_me: &Identity) -> apiview::Result<()> {
        Ok(())
    }

    /// Owner only.
    #[apiview]
    #[permission(owns(owner))]
    #[permission(open)]
    pub fn owned(me: &Identity, owner: String, maybe: Option<i64>) -> String {
        format!("{}{owner}{maybe:?}", me.id())
    }

    /// Anyone, known or not.
    #[apiview(blocking)]
    pub fn anyone(me: Option<Identity>, jwt: &BearerJwt) -> bool {
        me.is_some() && jwt.can_issue()
    }

    /// Every endpoint.
    pub fn app() -> App {
        App::new(Settings::default())
            .authenticator(BearerJwt::hs256("lints-secret-of-at-least-32-bytes!!"))
            .at("/owned", owned)
            .at("/anyone", anyone)
            .at("/ping", ping)
            .at("/add", add)
            .at("/pick", pick)
            .at("/whoami", whoami)
            .at("/secure", secure)
            .at("/nothing", nothing)
            .at("/blocking", blocking)
            .at("/private", private)
            .at("/lint_cached", lint_cached)
            .at("/lint_throttled", lint_throttled)
            .at("/lint_paged", lint_paged)
    }
}

#[test]
fn endpoints_compile_without_warnings() {
    let _endpoint = endpoints::app().into_endpoint();
}
