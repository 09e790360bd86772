//! The code `#[apiview]` generates spells every path it uses: endpoints compile in a
//! module without the standard prelude, with nothing imported, next to items that
//! shadow common prelude names.

mod hygiene {
    #![no_implicit_prelude]

    // Shadows of prelude and std names the generated code must not pick up.
    #[allow(dead_code)]
    struct Option;
    #[allow(dead_code)]
    struct Result;
    #[allow(dead_code)]
    struct Some;
    #[allow(dead_code)]
    struct None;
    #[allow(dead_code)]
    struct Ok;
    #[allow(dead_code)]
    struct Err;
    #[allow(dead_code)]
    struct Vec;
    #[allow(dead_code)]
    struct Box;
    #[allow(dead_code)]
    struct Clone;
    #[allow(dead_code)]
    struct Send;
    #[allow(dead_code)]
    struct Future;
    #[allow(dead_code)]
    struct Call;
    #[allow(dead_code)]
    struct Outcome;
    #[allow(dead_code)]
    struct BizError;
    #[allow(dead_code)]
    mod apiview {}
    #[allow(dead_code)]
    mod core {}
    #[allow(dead_code)]
    mod std {}
    #[allow(dead_code)]
    mod poem {}
    #[allow(dead_code)]
    mod serde_json {}

    fn allowed_ops() -> [&'static str; 2] {
        ["add", "sub"]
    }

    fn lowest() -> i64 {
        -100
    }

    fn keys() -> [&'static str; 1] {
        ["secret"]
    }

    /// Always returns "pong".
    ///
    /// --------
    /// @methods: get
    #[::apiview::apiview(tag = "hygiene", operation_id = "hygiene_ping")]
    #[allow_get]
    pub async fn ping() -> &'static str {
        "pong"
    }

    #[::apiview::apiview]
    #[requires(a, "token")]
    #[requires(any(a, b))]
    #[between(a, 0, 100)]
    #[between(b, lowest, { 10 * 10 }, include_min = false, allow_none = true)]
    #[between(ratio, -1, 1, include_max = false)]
    #[methods(get, post)]
    pub fn add(a: i64, b: ::core::option::Option<i64>, ratio: f64) -> ::apiview::Result<i64> {
        ::core::result::Result::Ok(a + b.unwrap_or(0) + ratio as i64)
    }

    #[::apiview::apiview(packer = "simple")]
    #[choices(op, ["add", "sub"])]
    #[choices(mode, allowed_ops, allow_none = true)]
    #[string_length_limit(op, min_length = 1, max_length = 3, too_long_message = "too long")]
    #[allow_post]
    pub async fn pick(
        op: ::std::string::String,
        mode: ::core::option::Option<::std::string::String>,
    ) -> ::std::vec::Vec<::std::string::String> {
        let mut picked = ::std::vec::Vec::new();
        picked.push(op);
        ::core::iter::Extend::extend(&mut picked, mode);
        picked
    }

    #[::apiview::apiview]
    #[check_aclkey]
    #[cookie_variable(uid, default = "guest")]
    #[header_variable(agent, "User-Agent")]
    #[meta_variable(addr, "REMOTE_ADDR")]
    #[body_alias(user)]
    pub fn whoami(
        uid: ::std::string::String,
        agent: ::core::option::Option<::std::string::String>,
        addr: ::core::option::Option<::std::string::String>,
        user: ::apiview::__private::serde_json::Value,
        req: &::apiview::ApiRequest,
    ) -> ::apiview::__private::serde_json::Value {
        let _ = (agent, addr, req.path());
        let _ = uid;
        user
    }

    #[::apiview::apiview]
    #[check_aclkey(aclkey = keys, field = "key")]
    pub fn secure(req: ::apiview::ApiRequest) -> ::apiview::Raw<&'static str> {
        let _ = req;
        ::apiview::Raw("ok")
    }

    #[::apiview::apiview]
    #[check_aclkey(aclkeys = ["a", "b"])]
    pub fn nothing() {}

    #[::apiview::apiview]
    #[paginate(style = "cursor", page_size = 5)]
    pub fn paged(page: ::apiview::PageRequest) -> ::apiview::Page<i64> {
        let _ = page.cursor();
        ::apiview::Page::cursor(::std::vec![1], ::std::option::Option::None)
    }

    #[::apiview::apiview]
    #[cache(key = "cached:{a}", expire = 5)]
    pub async fn cached(a: i64) -> i64 {
        a
    }

    #[::apiview::apiview]
    #[cache(key = "batch:{id}", batch = true)]
    pub fn batch(ids: ::std::vec::Vec<i64>) -> ::serde_json::Value {
        ::serde_json::json!(ids)
    }

    #[::apiview::apiview(blocking)]
    #[string_length_limit(msg, max_length = 10)]
    pub fn blocking(msg: ::std::string::String, req: &::apiview::ApiRequest) -> ::std::string::String {
        let _ = req;
        msg
    }

    #[::apiview::apiview]
    #[check_aclkey]
    #[throttle(rate = "10/m", key = "{ip}:{user}:{aclkey}")]
    #[throttle(rate = "100/d", scope = "hygiene")]
    pub fn throttled(user: ::core::option::Option<::std::string::String>) {
        let _ = user;
    }

    /// Not in `app()`: its default settings version nothing (a start-up error).
    #[::apiview::apiview(versions = ["v2", "2024-01-01"])]
    pub fn versioned(req: &::apiview::ApiRequest) -> ::std::option::Option<::std::string::String> {
        req.version().map(::std::borrow::ToOwned::to_owned)
    }

    fn owns(me: &::apiview::Identity, owner: &str, n: ::std::option::Option<&i64>) -> bool {
        me.id() == owner && n.is_some()
    }

    async fn allowed(_me: &::apiview::Identity) -> ::std::result::Result<(), ::apiview::BizError> {
        ::std::result::Result::Ok(())
    }

    /// Not in `app()`: its default settings have no authenticator (a start-up error).
    #[::apiview::apiview]
    #[::apiview::permission(owns(owner, n))]
    #[::apiview::permission(allowed)]
    pub fn owned(
        me: &::apiview::Identity,
        owner: ::std::string::String,
        n: ::std::option::Option<i64>,
        jwt: &::apiview::BearerJwt,
    ) -> ::std::string::String {
        let _ = jwt.can_issue();
        ::std::format!("{}{owner}{n:?}", me.id())
    }

    /// Not in `app()`, as `owned`.
    #[::apiview::apiview(blocking)]
    #[::apiview::login_required]
    pub fn anyone(me: ::apiview::Identity, maybe: &::apiview::Identity) -> bool {
        me == *maybe
    }

    pub fn app() -> ::apiview::App {
        ::apiview::App::new(::core::default::Default::default())
            .at("/ping", ping)
            .at("/add", add)
            .at("/pick", pick)
            .at("/whoami", whoami)
            .at("/secure", secure)
            .at("/nothing", nothing)
            .at("/blocking", blocking)
            .at("/cached", cached)
            .at("/batch", batch)
            .at("/paged", paged)
            .at("/throttled", throttled)
    }
}

#[test]
fn endpoints_compile_without_the_prelude() {
    let app = hygiene::app();
    let _endpoint = app.into_endpoint();
    assert_eq!(apiview::Handler::meta(&hygiene::pick).name, "pick");
    assert_eq!(
        apiview::Handler::meta(&hygiene::owned).permissions,
        ["owns", "allowed"]
    );
    assert_eq!(
        apiview::Handler::meta(&hygiene::anyone).auth,
        apiview::AuthUse::Required
    );
    assert_eq!(apiview::Handler::meta(&hygiene::ping).tag, Some("hygiene"));
    assert_eq!(
        apiview::Handler::meta(&hygiene::versioned).versions,
        Some(&["v2", "2024-01-01"][..])
    );
    assert_eq!(
        apiview::Handler::meta(&hygiene::throttled).throttles[1].scope,
        "hygiene"
    );
}
