//! `App`: the endpoints, the settings and the packers, turned into one poem endpoint.

mod build;
mod endpoint;
mod keys;
mod paths;
mod request_log;

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use poem::endpoint::BoxEndpoint;
use poem::{IntoEndpoint, Response, Route};

pub use self::endpoint::AppEndpoint;
use crate::auth::{Authenticate, BearerJwt, DynAuthenticate};
use crate::cache::{Cache, CacheFailure, Caches};
use crate::meta::EndpointMeta;
use crate::packer::{ClientKeyStore, Packer, Packers};
use crate::serve::decrypt::Decode;
use crate::serve::{Bound, Handler, Runtime};
use crate::settings::{Settings, SettingsError};

/// Routes served beside the endpoints, made from the finished App (see [`App::with_routes`]).
pub type ExtraRoutes = Vec<(String, BoxEndpoint<'static, Response>)>;
type MakeRoutes = Box<dyn FnOnce(&App) -> ExtraRoutes + Send>;

struct Entry {
    path: String,
    meta: &'static EndpointMeta,
    handler: Box<dyn Mount>,
}

/// A registered handler, its type erased until the App binds it to its runtime,
/// packer and decoding.
trait Mount: Send {
    /// Bound and added to `route` at `path` as it is: the route boxes it once, a box
    /// of ours inside would cost every request an allocation and a copy.
    fn at(
        self: Box<Self>,
        route: Route,
        path: &str,
        runtime: Arc<Runtime>,
        packer: Arc<dyn Packer>,
        decode: Decode,
    ) -> Route;

    /// Bound and boxed, for a path it shares with other handlers.
    fn boxed(
        self: Box<Self>,
        runtime: Arc<Runtime>,
        packer: Arc<dyn Packer>,
        decode: Decode,
    ) -> BoxEndpoint<'static, Response>;
}

impl<H: Handler> Mount for H {
    fn at(
        self: Box<Self>,
        route: Route,
        path: &str,
        runtime: Arc<Runtime>,
        packer: Arc<dyn Packer>,
        decode: Decode,
    ) -> Route {
        route.at(path, Bound::new(*self, runtime, packer, decode))
    }

    fn boxed(
        self: Box<Self>,
        runtime: Arc<Runtime>,
        packer: Arc<dyn Packer>,
        decode: Decode,
    ) -> BoxEndpoint<'static, Response> {
        poem::EndpointExt::boxed(Bound::new(*self, runtime, packer, decode))
    }
}

/// An apiview application: endpoints at paths, settings, packers.
///
/// ```
/// use apiview::prelude::*;
///
/// /// Always returns "pong".
/// #[apiview]
/// async fn ping() -> &'static str {
///     "pong"
/// }
///
/// let app = App::new(Settings::default()).at("/ping", ping);
/// // Serve it alone, or nest it in a route of your own:
/// let route = poem::Route::new().nest("/api", app.into_endpoint());
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use poem::{Endpoint, Request};
/// let response = route.get_response(Request::builder().uri_str("/api/ping").finish()).await;
/// let body: serde_json::Value = response.into_body().into_json().await.unwrap();
/// assert_eq!(body, serde_json::json!({"success": true, "result": "pong"}));
/// # });
/// ```
pub struct App {
    settings: Settings,
    packers: Packers,
    client_keys: Option<Arc<dyn ClientKeyStore>>,
    caches: Result<Arc<Caches>, CacheFailure>,
    entries: Vec<Entry>,
    schemas: Vec<(String, serde_json::Value)>,
    extra_routes: Vec<MakeRoutes>,
    /// `App::authenticator`'s, with its `BearerJwt` when it is one.
    authenticator: Option<(Arc<dyn DynAuthenticate>, Option<BearerJwt>)>,
    /// `App::data`'s values, put on every request.
    data: Option<poem::http::Extensions>,
}

/// One cached endpoint, as [`App::cache_entries`] lists them (django-apiview's
/// `list_cache_entries`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    /// The endpoint's path.
    pub path: String,
    /// The endpoint's function name.
    pub endpoint: &'static str,
    /// The key template.
    pub template: &'static str,
    /// The backend's name.
    pub backend: &'static str,
    /// The backend's URL (empty when no such backend is configured).
    pub url: String,
    /// Seconds to live.
    pub expire: u64,
    /// Whether each element of the result is cached under its own key.
    pub batch: bool,
}

/// The App cannot be built: an unknown packer name, a function registered twice at a
/// path, a method two functions of one path both allow.
///
/// ```
/// # use apiview::prelude::*;
/// #[apiview]
/// fn a() {}
/// let err = App::new(Settings::default()).at("/a", a).at("/a", a).try_into_endpoint().err().unwrap();
/// assert!(err.to_string().contains("registered twice"));
/// ```
#[derive(Debug)]
pub struct AppError(String);

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AppError {}

impl App {
    /// An App with these settings.
    ///
    /// ```
    /// use apiview::{App, Settings};
    ///
    /// let app = App::new(Settings::from_toml_str("packer = 'dmrs'").unwrap());
    /// assert_eq!(app.settings().packer, "dmrs");
    /// ```
    pub fn new(settings: Settings) -> Self {
        let caches = Caches::from_settings(&settings.cache).map(Arc::new);
        App {
            settings,
            packers: Packers::default(),
            client_keys: None,
            caches,
            entries: Vec::new(),
            schemas: Vec::new(),
            extra_routes: Vec::new(),
            authenticator: None,
            data: None,
        }
    }

    /// An App with settings read from `path` (missing: defaults) and the `APIVIEW_*`
    /// environment overrides.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("apiview-doc-{}.toml", std::process::id()));
    /// std::fs::write(&path, "packer = 'dmrs'").unwrap();
    /// let app = apiview::App::from_settings_file(&path)?;
    /// assert_eq!(app.settings().packer, "dmrs");
    ///
    /// std::fs::remove_file(&path).unwrap();
    /// let app = apiview::App::from_settings_file(&path)?;
    /// assert_eq!(app.settings().packer, "simple");
    /// # Ok::<(), apiview::SettingsError>(())
    /// ```
    pub fn from_settings_file(path: impl AsRef<Path>) -> Result<Self, SettingsError> {
        Ok(App::new(Settings::from_file(path)?))
    }

    /// The settings.
    ///
    /// ```
    /// let app = apiview::App::new(apiview::Settings::default());
    /// assert_eq!(app.settings().body_limit, 2 * 1024 * 1024);
    /// ```
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Serves `handler` (an `#[apiview]` function) at `path` (poem's syntax:
    /// `/users/:id`; path parameters fill parameters of the same name).
    ///
    /// Several functions may share a path when no method is allowed by two of them
    /// (each function's allow-list, or settings' `default_allow_methods` when it
    /// declares none): the request's method picks the function, and each keeps its
    /// own helpers, packer, versions and cache. A method none of them allows is
    /// refused as one function refuses it (`NotSupportedHttpMethod`; with
    /// `http_status = "semantic"`, a 405 whose `Allow` names every method of the
    /// path), packed by their packer when they have the same, else by the App's.
    /// A method allowed by two functions of one path, or one function registered
    /// twice at a path, is an error of [`App::try_into_endpoint`].
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// fn user(id: u64) -> u64 {
    ///     id
    /// }
    ///
    /// let app = App::new(Settings::default()).at("/users/:id", user);
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # use poem::{Endpoint, Request};
    /// let request = Request::builder().uri_str("/users/42").finish();
    /// let response = app.into_endpoint().get_response(request).await;
    /// let body: serde_json::Value = response.into_body().into_json().await.unwrap();
    /// assert_eq!(body["result"], 42);
    /// # });
    /// ```
    ///
    /// Two functions at one path, a REST API's list and create:
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// #[allow_get]
    /// fn snippet_list() -> &'static str {
    ///     "list"
    /// }
    ///
    /// #[apiview]
    /// #[allow_post]
    /// fn snippet_create(title: String) -> String {
    ///     format!("created {title}")
    /// }
    ///
    /// let app = App::new(Settings::default())
    ///     .at("/snippets/", snippet_list)
    ///     .at("/snippets/", snippet_create)
    ///     .into_endpoint();
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use poem::{http::Method, Endpoint, Request};
    /// let ask = |method: Method, uri: &str| app.get_response(Request::builder().method(method).uri_str(uri).finish());
    /// let body: serde_json::Value = ask(Method::GET, "/snippets/").await.into_body().into_json().await.unwrap();
    /// assert_eq!(body["result"], "list");
    /// let body: serde_json::Value = ask(Method::POST, "/snippets/?title=hi").await.into_body().into_json().await.unwrap();
    /// assert_eq!(body["result"], "created hi");
    /// let body: serde_json::Value = ask(Method::PUT, "/snippets/").await.into_body().into_json().await.unwrap();
    /// assert_eq!(body["error"]["code"], 1001010002); // NotSupportedHttpMethod
    /// # });
    ///
    /// // Both allow GET: an error that names the path, the functions and the method.
    /// #[apiview]
    /// #[methods(get, delete)]
    /// fn snippet_clear() {}
    ///
    /// let app = App::new(Settings::default()).at("/snippets/", snippet_list).at("/snippets/", snippet_clear);
    /// let err = app.try_into_endpoint().err().unwrap().to_string();
    /// assert!(err.starts_with("path `/snippets/` has two endpoints for GET: `snippet_list` (GET) and `snippet_clear` (GET, DELETE)"));
    /// ```
    pub fn at<H: Handler + Clone>(mut self, path: impl Into<String>, handler: H) -> Self {
        self.entries.push(Entry {
            path: path.into(),
            meta: handler.meta(),
            handler: Box::new(handler),
        });
        self
    }

    /// Registers a packer under `name`, for `settings.packer` and
    /// `#[apiview(packer = "name")]`. A built-in name is replaced.
    ///
    /// ```
    /// use apiview::prelude::*;
    /// use apiview::packer::{DmrsPacker, SimplePacker};
    ///
    /// #[apiview(packer = "plain")]
    /// fn ping() -> &'static str {
    ///     "pong"
    /// }
    ///
    /// #[apiview]
    /// fn pong() -> &'static str {
    ///     "ping"
    /// }
    ///
    /// let app = App::new(Settings::default()).packer("plain", SimplePacker);
    /// let app = app.packer("simple", DmrsPacker).at("/ping", ping).at("/pong", pong).into_endpoint();
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # use poem::{Endpoint, Request};
    /// let response = app.get_response(Request::builder().uri_str("/ping").finish()).await;
    /// let body: serde_json::Value = response.into_body().into_json().await.unwrap();
    /// assert_eq!(body, serde_json::json!({"success": true, "result": "pong"}));
    /// // `simple`, the default packer's name, now packs as dmrs.
    /// let response = app.get_response(Request::builder().uri_str("/pong").finish()).await;
    /// let body: serde_json::Value = response.into_body().into_json().await.unwrap();
    /// assert_eq!(body["returnCode"], 0);
    /// # });
    /// ```
    pub fn packer(mut self, name: impl Into<String>, packer: impl Packer) -> Self {
        self.packers.insert(name, Arc::new(packer));
        self
    }

    /// The cache named `name` in `[cache] backends`: read, write and invalidate
    /// entries (django-apiview's cache cleaners).
    ///
    /// ```
    /// use apiview::{App, Settings};
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let app = App::new(Settings::default());
    /// let cache = app.cache("default").unwrap();
    /// cache.set("add:1:2", &3, std::time::Duration::from_secs(60)).await.unwrap();
    /// assert_eq!(cache.invalidate("add:{a}:*", &[("a", &1)]).await.unwrap(), 1);
    /// # });
    /// ```
    pub fn cache(&self, name: &str) -> Option<Cache> {
        self.caches.as_ref().ok()?.get(name).cloned()
    }

    /// Every cached endpoint with its key template, backend and expiry.
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
    /// let app = App::new(Settings::default()).at("/add", add);
    /// let entries = app.cache_entries();
    /// assert_eq!((entries[0].template, entries[0].expire, entries[0].url.as_str()), ("add:{a}:{b}", 60, "memory://"));
    /// ```
    pub fn cache_entries(&self) -> Vec<CacheEntry> {
        self.entries
            .iter()
            .filter_map(|entry| {
                let spec = entry.meta.cache?;
                Some(CacheEntry {
                    path: entry.path.clone(),
                    endpoint: entry.meta.name,
                    template: spec.template,
                    backend: spec.name,
                    url: self
                        .cache(spec.name)
                        .map(|cache| cache.url().to_owned())
                        .unwrap_or_default(),
                    expire: spec.expire.unwrap_or(self.settings.cache.default_expire),
                    batch: spec.batch,
                })
            })
            .collect()
    }

    /// Where the safe packer finds client public keys, instead of settings'
    /// `safe.client_public_keys`.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// fn ping() -> &'static str {
    ///     "pong"
    /// }
    ///
    /// let key = apiview::cipher::generate_private_key(1024).unwrap().to_public_key();
    /// let app = App::new(Settings::from_toml_str("packer = 'safe'").unwrap())
    ///     .client_keys(HashMap::from([("demo".to_owned(), key)]))
    ///     .at("/ping", ping)
    ///     .into_endpoint();
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # use poem::{Endpoint, Request};
    /// let response = app.get_response(Request::builder().uri_str("/ping?clientId=demo").finish()).await;
    /// let body: serde_json::Value = response.into_body().into_json().await.unwrap();
    /// // Encrypted for client "demo", with the key the store gave.
    /// assert!(body["encryptedPassword"].is_string() && body["encryptedData"].is_string());
    /// # });
    /// ```
    pub fn client_keys(mut self, store: impl ClientKeyStore) -> Self {
        self.client_keys = Some(Arc::new(store));
        self
    }

    /// How a request becomes an [`Identity`](crate::auth::Identity) (DESIGN §14), for the
    /// endpoints that ask (`#[login_required]`, `#[permission(..)]`, an `Identity`
    /// parameter); it replaces the [`BearerJwt`] that settings' `[auth.jwt]` make. A
    /// `BearerJwt` given here is also what `BearerJwt` parameters get.
    ///
    /// ```
    /// use std::time::Duration;
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// fn current(me: Identity) -> Identity {
    ///     me
    /// }
    ///
    /// let jwt = BearerJwt::hs256("a-secret-of-32-bytes-or-more!!!!");
    /// let token = jwt.issue("ann", Duration::from_secs(60), serde_json::Value::Null).unwrap();
    /// let app = App::new(Settings::default()).authenticator(jwt).at("/me", current).into_endpoint();
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # use poem::{Endpoint, Request};
    /// let request = Request::builder().uri_str("/me").header("authorization", format!("Bearer {token}")).finish();
    /// let body: serde_json::Value = app.get_response(request).await.into_body().into_json().await.unwrap();
    /// assert_eq!(body["result"]["id"], "ann");
    /// # });
    /// ```
    pub fn authenticator<A: Authenticate>(mut self, authenticator: A) -> Self {
        let jwt = (&authenticator as &dyn std::any::Any)
            .downcast_ref::<BearerJwt>()
            .cloned();
        self.authenticator = Some((Arc::new(authenticator), jwt));
        self
    }

    /// Shares `value` with every endpoint: a database pool, a client, a
    /// configuration of the application's own. Each request carries a clone (make it
    /// cheap: an `Arc`, or a pool that is one), which an endpoint takes with poem's
    /// extractor, `#[extract] name: poem::web::Data<&T>`, and a `#[permission]`
    /// function may be given by listing the parameter's name. One value per type: a
    /// second of the same type replaces the first.
    ///
    /// An endpoint asking for a type the App was not given answers `SysError` (the
    /// extractor's failure is logged, naming the parameter).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use apiview::prelude::*;
    /// use poem::web::Data;
    ///
    /// struct Greeting(String);
    ///
    /// #[apiview]
    /// async fn hello(#[extract] greeting: Data<&Arc<Greeting>>, name: String) -> String {
    ///     format!("{}, {name}", greeting.0 .0)
    /// }
    ///
    /// let app = App::new(Settings::default())
    ///     .data(Arc::new(Greeting("Hello".into())))
    ///     .at("/hello", hello);
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # use poem::{Endpoint, Request};
    /// let response = app.into_endpoint().get_response(Request::builder().uri_str("/hello?name=ann").finish()).await;
    /// let body: serde_json::Value = response.into_body().into_json().await.unwrap();
    /// assert_eq!(body["result"], "Hello, ann");
    /// # });
    /// ```
    pub fn data<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.data.get_or_insert_with(Default::default).insert(value);
        self
    }

    /// Every registered endpoint with its path, in registration order.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// /// Always returns "pong".
    /// #[apiview]
    /// fn ping() -> &'static str {
    ///     "pong"
    /// }
    ///
    /// let app = App::new(Settings::default()).at("/ping", ping);
    /// let (path, meta) = app.endpoints().next().unwrap();
    /// assert_eq!((path, meta.name, meta.summary), ("/ping", "ping", "Always returns \"pong\"."));
    /// ```
    pub fn endpoints(&self) -> impl Iterator<Item = (&str, &'static EndpointMeta)> {
        self.entries.iter().map(|entry| (entry.path.as_str(), entry.meta))
    }

    /// The registered packers (the built-in ones and those of [`App::packer`]).
    ///
    /// ```
    /// let app = apiview::App::new(apiview::Settings::default());
    /// assert!(app.packers().get("simple").is_some());
    /// ```
    pub fn packers(&self) -> &Packers {
        &self.packers
    }

    /// Registers a named JSON schema for the OpenAPI document's `components/schemas`
    /// (`App::model::<T>()` of `apiview::prelude` registers a `schemars` type's schemas
    /// through it). A name given twice keeps the last schema.
    ///
    /// ```
    /// let app = apiview::App::new(apiview::Settings::default())
    ///     .schema("Color", serde_json::json!({"type": "string", "enum": ["red", "green"]}));
    /// assert_eq!(app.schemas()[0].0, "Color");
    /// ```
    pub fn schema(mut self, name: impl Into<String>, schema: serde_json::Value) -> Self {
        let name = name.into();
        self.schemas.retain(|(known, _)| *known != name);
        self.schemas.push((name, schema));
        self
    }

    /// The schemas registered with [`App::schema`], in registration order.
    ///
    /// ```
    /// assert!(apiview::App::new(apiview::Settings::default()).schemas().is_empty());
    /// ```
    pub fn schemas(&self) -> &[(String, serde_json::Value)] {
        &self.schemas
    }

    /// Serves more poem endpoints beside the `#[apiview]` ones, made by `make` from
    /// the finished App when it becomes an endpoint (after every `at`, `packer` and
    /// `schema`, whatever the call order). `App::swagger()` serves the OpenAPI
    /// document and the Swagger UI this way. A path that an endpoint already uses, or an
    /// endpoint below a route ending in a `*name` wildcard (it would answer in the
    /// wildcard's place), is an error of [`App::try_into_endpoint`].
    ///
    /// ```
    /// use apiview::App;
    /// use poem::{endpoint::make_sync, EndpointExt};
    ///
    /// let app = App::new(apiview::Settings::default()).with_routes(|app| {
    ///     let count = app.endpoints().count();
    ///     vec![("/count".to_owned(), make_sync(move |_| count.to_string()).map_to_response().boxed())]
    /// });
    /// # use apiview::prelude::*;
    /// # #[apiview]
    /// # fn ping() {}
    /// // Registered after `with_routes`, still counted:
    /// let app = app.at("/ping", ping).into_endpoint();
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # use poem::{Endpoint, Request};
    /// let response = app.get_response(Request::builder().uri_str("/count").finish()).await;
    /// assert_eq!(response.into_body().into_string().await.unwrap(), "1");
    /// # });
    /// ```
    pub fn with_routes(mut self, make: impl FnOnce(&App) -> ExtraRoutes + Send + 'static) -> Self {
        self.extra_routes.push(Box::new(make));
        self
    }

    /// Builds the poem endpoint.
    ///
    /// ```
    /// let endpoint = apiview::App::new(apiview::Settings::default()).into_endpoint();
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # use poem::{Endpoint, Request};
    /// let response = endpoint.get_response(Request::builder().uri_str("/nowhere").finish()).await;
    /// assert_eq!(response.status(), poem::http::StatusCode::NOT_FOUND);
    /// # });
    /// ```
    ///
    /// # Panics
    /// When the App is inconsistent (see [`App::try_into_endpoint`]); start-up is the
    /// place to find out.
    pub fn into_endpoint(self) -> AppEndpoint {
        match self.try_into_endpoint() {
            Ok(endpoint) => endpoint,
            Err(err) => panic!("apiview: {err}"),
        }
    }

    /// Serves the App on `addr` (`"127.0.0.1:3000"`) with poem's server and every
    /// connection limit of `[limits]` ([`Limited`](crate::listener::Limited), and
    /// `http2_max_concurrent_streams`), until Ctrl-C; requests in flight then get
    /// `limits.body_timeout_ms` to finish.
    ///
    /// An App that cannot be built (see [`App::try_into_endpoint`]) or an address that
    /// cannot be bound is an error, with the reason.
    ///
    /// Not run as a test: it serves until Ctrl-C.
    ///
    /// ```no_run
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// fn ping() -> &'static str {
    ///     "pong"
    /// }
    ///
    /// #[tokio::main]
    /// async fn main() -> std::io::Result<()> {
    ///     App::new(Settings::default()).at("/ping", ping).serve("127.0.0.1:3000").await
    /// }
    /// ```
    pub async fn serve(self, addr: &str) -> std::io::Result<()> {
        let limits = self.settings.limits.clone();
        let endpoint = self
            .try_into_endpoint()
            .map_err(|err| std::io::Error::new(std::io::ErrorKind::InvalidInput, err.to_string()))?;
        let listener =
            crate::listener::Limited::new(poem::listener::TcpListener::bind(addr.to_owned()), &limits);
        let stop = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        poem::Server::new(listener)
            .http2_max_concurrent_streams(limits.http2_max_concurrent_streams)
            .run_with_graceful_shutdown(
                endpoint,
                stop,
                Some(Duration::from_millis(limits.body_timeout_ms)),
            )
            .await
    }
}

impl IntoEndpoint for App {
    type Endpoint = AppEndpoint;

    fn into_endpoint(self) -> Self::Endpoint {
        App::into_endpoint(self)
    }
}
