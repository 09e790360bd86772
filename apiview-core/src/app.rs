//! `App`: the endpoints, the settings and the packers, turned into one poem endpoint.

use std::fmt;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use futures_util::future::Either;
use futures_util::FutureExt;
use poem::endpoint::BoxEndpoint;
use poem::http::header::{Entry as HeaderEntry, HeaderValue, CACHE_CONTROL, X_CONTENT_TYPE_OPTIONS};
use poem::{Endpoint, IntoEndpoint, Request, Response, Route};
use tracing::Instrument;

use std::collections::HashMap;
use std::time::Duration;

use rsa::RsaPrivateKey;

use crate::cache::{Cache, CacheFailure, Caches};
use crate::cipher::{read_private_key, read_public_key};
use crate::meta::EndpointMeta;
use crate::packer::{ClientKeyStore, KeyReuse, SafePacker};
use crate::packer::{Packer, Packers};
use crate::serve::decrypt::{Decode, SignedRequests};
use crate::serve::request_id::{is_sane_id, new_request_id, REQUEST_ID};
use crate::serve::{Bound, BusinessCode, Handler, NoRoute, Runtime};
use crate::settings::{Settings, SettingsError};

type MakeEndpoint = Box<dyn FnOnce(Route, String, Arc<Runtime>, Arc<dyn Packer>, Decode) -> Route + Send>;

/// Routes served beside the endpoints, made from the finished App (see [`App::with_routes`]).
pub type ExtraRoutes = Vec<(String, BoxEndpoint<'static, Response>)>;
type MakeRoutes = Box<dyn FnOnce(&App) -> ExtraRoutes + Send>;

/// The RSA keys settings and endpoints name, loaded once at start-up.
struct Keys {
    server: Option<Arc<RsaPrivateKey>>,
    rsa: HashMap<String, Arc<RsaPrivateKey>>,
    client_keys: Option<Arc<dyn ClientKeyStore>>,
}

impl Keys {
    fn load(settings: &Settings, entries: &[Entry]) -> Result<Keys, AppError> {
        let safe = &settings.safe;
        let server = match safe.server_private_key.as_str() {
            "" => None,
            path => Some(Arc::new(read_private_key(path).map_err(|err| {
                AppError(format!("settings key `safe.server_private_key`: {err}"))
            })?)),
        };
        let mut client_keys = HashMap::new();
        for (client, path) in &safe.client_public_keys {
            let key = read_public_key(path)
                .map_err(|err| AppError(format!("settings key `safe.client_public_keys.{client}`: {err}")))?;
            client_keys.insert(client.clone(), key);
        }
        let mut rsa = HashMap::new();
        for entry in entries {
            let meta = entry.meta;
            if (meta.decode_encrypted_data || meta.rsa_decrypt_server_key) && server.is_none() {
                return Err(AppError(format!(
                    "endpoint `{}` decrypts with the server key (#[decode_encrypted_data] or #[rsa_decrypt]); \
                     set settings key `safe.server_private_key` to its PEM file",
                    meta.name
                )));
            }
            for path in meta.rsa_keys {
                if !rsa.contains_key(*path) {
                    let key = read_private_key(path).map_err(|err| {
                        AppError(format!(
                            "#[rsa_decrypt(key = ..)] of endpoint `{}`: {err}",
                            meta.name
                        ))
                    })?;
                    rsa.insert((*path).to_owned(), Arc::new(key));
                }
            }
        }
        Ok(Keys {
            server,
            rsa,
            client_keys: (!client_keys.is_empty()).then(|| Arc::new(client_keys) as Arc<dyn ClientKeyStore>),
        })
    }
}

struct Entry {
    path: String,
    meta: &'static EndpointMeta,
    make: MakeEndpoint,
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
/// # let _ = route;
/// ```
pub struct App {
    settings: Settings,
    packers: Packers,
    client_keys: Option<Arc<dyn ClientKeyStore>>,
    caches: Result<Arc<Caches>, CacheFailure>,
    entries: Vec<Entry>,
    schemas: Vec<(String, serde_json::Value)>,
    extra_routes: Vec<MakeRoutes>,
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

/// The App cannot be built: an unknown packer name, a path registered twice.
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
        }
    }

    /// An App with settings read from `path` (missing: defaults) and the `APIVIEW_*`
    /// environment overrides.
    ///
    /// ```no_run
    /// let app = apiview::App::from_settings_file("apiview.toml")?;
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
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// fn user(id: u64) -> u64 {
    ///     id
    /// }
    ///
    /// let app = App::new(Settings::default()).at("/users/:id", user);
    /// # let _ = app;
    /// ```
    pub fn at<H: Handler + Clone>(mut self, path: impl Into<String>, handler: H) -> Self {
        let meta = handler.meta();
        self.entries.push(Entry {
            path: path.into(),
            meta,
            // Added to the route as it is: the route boxes it once, a box of ours
            // inside would cost every request an allocation and a copy.
            make: Box::new(move |route, path, runtime, packer, decode| {
                route.at(path, Bound::new(handler, runtime, packer, decode))
            }),
        });
        self
    }

    /// Registers a packer under `name`, for `settings.packer` and
    /// `#[apiview(packer = "name")]`. A built-in name is replaced.
    ///
    /// ```
    /// # use apiview::prelude::*;
    /// let app = App::new(Settings::default()).packer("plain", apiview::packer::SimplePacker);
    /// # let _ = app;
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
    /// use apiview::{App, Settings};
    ///
    /// let key = apiview::cipher::generate_private_key(1024).unwrap().to_public_key();
    /// let app = App::new(Settings::from_toml_str("packer = 'safe'").unwrap())
    ///     .client_keys(HashMap::from([("demo".to_owned(), key)]));
    /// assert!(app.try_into_endpoint().is_ok());
    /// ```
    pub fn client_keys(mut self, store: impl ClientKeyStore) -> Self {
        self.client_keys = Some(Arc::new(store));
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
    /// document and the Swagger UI this way. A path that an endpoint already uses is
    /// an error of [`App::try_into_endpoint`].
    ///
    /// ```
    /// use apiview::App;
    /// use poem::{endpoint::make_sync, EndpointExt};
    ///
    /// let app = App::new(apiview::Settings::default()).with_routes(|app| {
    ///     let count = app.endpoints().count();
    ///     vec![("/count".to_owned(), make_sync(move |_| count.to_string()).map_to_response().boxed())]
    /// });
    /// assert!(app.try_into_endpoint().is_ok());
    /// ```
    pub fn with_routes(mut self, make: impl FnOnce(&App) -> ExtraRoutes + Send + 'static) -> Self {
        self.extra_routes.push(Box::new(make));
        self
    }

    /// Builds the poem endpoint, or says what is wrong with the App.
    ///
    /// ```
    /// use apiview::{App, Settings};
    ///
    /// let app = App::new(Settings::from_toml_str("packer = 'fancy'").unwrap());
    /// let err = app.try_into_endpoint().err().unwrap();
    /// assert!(err.to_string().contains("fancy"));
    /// ```
    pub fn try_into_endpoint(mut self) -> Result<AppEndpoint, AppError> {
        crate::serve::panics::install_hook();
        let keys = Keys::load(&self.settings, &self.entries)?;
        let client_keys = self.client_keys.take().or_else(|| keys.client_keys.clone());
        if let Some(store) = client_keys.clone() {
            if self.packers.get("safe").is_none() {
                let safe = &self.settings.safe;
                let packer = SafePacker::new(store, safe.client_id_field.clone()).key_reuse(KeyReuse {
                    max_age: Duration::from_secs(safe.key_reuse_seconds),
                    max_answers: safe.key_reuse_answers,
                });
                self.packers.insert("safe", Arc::new(packer));
            }
        }
        // Made here, so that they see the safe packer too.
        let extra_routes: ExtraRoutes = std::mem::take(&mut self.extra_routes)
            .into_iter()
            .flat_map(|make| make(&self))
            .collect();
        let find_packer = |name: &str, asked_by: &dyn Fn() -> String| {
            self.packers.get(name).cloned().ok_or_else(|| {
                let hint = if name == "safe" {
                    "the safe packer needs client keys: set safe.client_public_keys or call App::client_keys"
                        .to_owned()
                } else {
                    format!(
                        "known: {} (register others with App::packer)",
                        self.packers.names().join(", ")
                    )
                };
                AppError(format!(
                    "{} names packer `{name}`, which is not available; {hint}",
                    asked_by()
                ))
            })
        };
        let default_packer = find_packer(&self.settings.packer, &|| "settings key `packer`".to_owned())?;
        let caches = self
            .caches
            .map_err(|failure| AppError(format!("settings key `cache.backends`: {failure}")))?;
        for entry in &self.entries {
            if let Some(spec) = entry.meta.cache {
                if caches.get(spec.name).is_none() {
                    return Err(AppError(format!(
                        "endpoint `{}` caches in `{}` (#[cache(name = ..)]), which settings `[cache] backends` do not configure",
                        entry.meta.name, spec.name
                    )));
                }
            }
        }
        // What checks the requests to safe endpoints (DESIGN §19), made on first need.
        let mut signed: Option<Arc<SignedRequests>> = None;
        let mut signed_requests = |endpoint: &str| -> Result<Arc<SignedRequests>, AppError> {
            if let Some(signed) = &signed {
                return Ok(signed.clone());
            }
            let safe = &self.settings.safe;
            let keys = client_keys.clone().ok_or_else(|| {
                AppError(format!(
                    "safe endpoint `{endpoint}` decrypts signed requests and needs the clients' public keys \
                     to check their signatures; set safe.client_public_keys or call App::client_keys"
                ))
            })?;
            let replay = caches.get(&safe.replay_backend).cloned().ok_or_else(|| {
                AppError(format!(
                    "settings key `safe.replay_backend` names cache backend `{}`, which settings `[cache] backends` \
                     do not configure (safe endpoint `{endpoint}` remembers request nonces there)",
                    safe.replay_backend
                ))
            })?;
            let made = Arc::new(SignedRequests {
                keys,
                client_id_field: safe.client_id_field.clone(),
                window_s: safe.replay_window_s,
                replay,
            });
            signed = Some(made.clone());
            Ok(made)
        };
        let mut plans = Vec::with_capacity(self.entries.len());
        let mut seen = std::collections::HashSet::new();
        for entry in &self.entries {
            if !seen.insert(entry.path.clone()) {
                return Err(AppError(format!(
                    "path `{}` is registered twice (the second is `{}`)",
                    entry.path, entry.meta.name
                )));
            }
            let (packer, is_safe) = match entry.meta.packer {
                None => (default_packer.clone(), self.settings.packer == "safe"),
                Some(name) => (
                    find_packer(name, &|| {
                        format!("#[apiview(packer = ..)] of endpoint `{}`", entry.meta.name)
                    })?,
                    name == "safe",
                ),
            };
            // Safe endpoints decode encrypted requests by themselves when the server
            // has a key, and take them signed only (DESIGN §19);
            // `#[decode_encrypted_data]` asks for decryption explicitly.
            let explicit = entry.meta.decode_encrypted_data;
            let decode = if is_safe && keys.server.is_some() {
                Decode::Signed {
                    explicit,
                    requests: signed_requests(entry.meta.name)?,
                }
            } else if explicit {
                Decode::Plain
            } else {
                Decode::Off
            };
            plans.push((packer, decode));
        }
        for (path, _) in &extra_routes {
            if !seen.insert(path.clone()) {
                return Err(AppError(format!(
                    "path `{path}` is registered twice (App::with_routes)"
                )));
            }
        }
        let runtime = Arc::new(Runtime::new(self.settings, caches, keys.server, keys.rsa));
        let mut route = Route::new();
        for (entry, (packer, decode)) in self.entries.into_iter().zip(plans) {
            route = (entry.make)(route, entry.path, runtime.clone(), packer, decode);
        }
        for (path, endpoint) in extra_routes {
            route = route.at(path, endpoint);
        }
        // Every path no route takes: poem tries static and parameter segments first.
        let no_route = NoRoute {
            runtime: runtime.clone(),
            packer: default_packer.clone(),
        };
        if !seen.contains("/") {
            route = route.at("/", no_route.clone());
        }
        if !seen.iter().any(|path| path.starts_with("/*")) {
            route = route.at("/*__apiview_no_route", no_route);
        }
        let cors = &runtime.settings.cors;
        let routes = if cors.allow_origins.is_empty() {
            Routes::Plain(route)
        } else {
            let methods = cors
                .allow_methods
                .iter()
                .filter_map(|name| crate::settings::parse_method(name));
            let cors = poem::middleware::Cors::new()
                .allow_origins(cors.allow_origins.iter().map(String::as_str))
                .allow_methods(methods)
                .allow_headers(cors.allow_headers.iter().map(String::as_str))
                .allow_credentials(cors.allow_credentials)
                .max_age(i32::try_from(cors.max_age_s).unwrap_or(i32::MAX));
            Routes::Cors(poem::EndpointExt::with(route, cors))
        };
        Ok(AppEndpoint(RequestLog(routes)))
    }

    /// Builds the poem endpoint.
    ///
    /// ```
    /// let endpoint = apiview::App::new(apiview::Settings::default()).into_endpoint();
    /// # let _ = endpoint;
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

/// The poem endpoint an App becomes: its routes, behind the request log. A type of its
/// own rather than a `BoxEndpoint`, which would cost every request one more boxed
/// future; box it yourself where a `BoxEndpoint` is needed.
///
/// ```
/// use poem::EndpointExt;
///
/// let endpoint: apiview::AppEndpoint = apiview::App::new(apiview::Settings::default()).into_endpoint();
/// let boxed = endpoint.boxed();
/// # let _ = boxed;
/// ```
pub struct AppEndpoint(RequestLog);

impl Endpoint for AppEndpoint {
    type Output = Response;

    // Not an `async fn`: a wrapper future would hold one more copy of the request.
    fn call(&self, req: Request) -> impl Future<Output = poem::Result<Response>> + Send {
        self.0.call(req)
    }
}

/// Gives every request an id (echoed as `X-Request-Id`, whatever answers it) and, when
/// `info` events of this module are enabled, a tracing span logging method, path,
/// status, business code and latency. With them disabled, no span, clock read or
/// span-entering wrapper costs the request anything.
struct RequestLog(Routes);

/// The App's routes, behind poem's CORS middleware when `[cors]` allows origins.
// One per App, never moved on the request path: its size costs nothing.
#[allow(clippy::large_enum_variant)]
enum Routes {
    Plain(Route),
    Cors(poem::middleware::CorsEndpoint<Route>),
}

impl Endpoint for Routes {
    type Output = Response;

    fn call(&self, req: Request) -> impl Future<Output = poem::Result<Response>> + Send {
        match self {
            Routes::Plain(route) => Either::Left(route.call(req)),
            Routes::Cors(cors) => Either::Right(cors.get_response(req).map(Ok)),
        }
    }
}

impl Endpoint for RequestLog {
    type Output = Response;

    // Not an `async fn`: the request is handed to the inner endpoint before the
    // future starts, so that this future does not hold a copy of it.
    fn call(&self, mut req: Request) -> impl Future<Output = poem::Result<Response>> + Send {
        // The id goes on the request as a header, as a proxy would set it: the
        // endpoint, its extractors and its packer read the same id from there.
        // One look-up of the header, whether it is kept or replaced.
        let request_id = match req.headers_mut().entry(&REQUEST_ID) {
            HeaderEntry::Occupied(given) if is_sane_id(given.get()) => given.get().clone(),
            HeaderEntry::Occupied(mut insane) => {
                let id = new_request_id();
                insane.insert(id.clone());
                id
            }
            HeaderEntry::Vacant(absent) => absent.insert(new_request_id()).clone(),
        };
        let answer = if tracing::enabled!(tracing::Level::INFO) {
            // Boxed: only a logging server pays for the span's wrapper future.
            Either::Left(Box::pin(self.logged(req, request_id.clone())))
        } else {
            Either::Right(self.0.call(req))
        };
        // A combinator rather than an `async` block, which would hold the inner
        // future twice (as captured and as awaited).
        answer.map(move |answer| {
            let mut response = answer.unwrap_or_else(|err| err.into_response());
            let headers = response.headers_mut();
            headers.entry(&REQUEST_ID).or_insert(request_id);
            // Safe defaults (§11): no content sniffing, nothing kept by caches on the way.
            headers
                .entry(X_CONTENT_TYPE_OPTIONS)
                .or_insert(HeaderValue::from_static("nosniff"));
            headers
                .entry(CACHE_CONTROL)
                .or_insert(HeaderValue::from_static("no-store"));
            Ok(response)
        })
    }
}

impl RequestLog {
    async fn logged(&self, req: Request, request_id: HeaderValue) -> poem::Result<Response> {
        let started = Instant::now();
        let span = tracing::info_span!(
            "request",
            method = %req.method(),
            path = req.uri().path(),
            request_id = request_id.to_str().unwrap_or_default(),
        );
        async move {
            let response = self.0.get_response(req).await;
            let code = response
                .extensions()
                .get::<BusinessCode>()
                .map_or(0, |code| code.0);
            tracing::info!(
                status = response.status().as_u16(),
                code,
                latency_us = started.elapsed().as_micros() as u64,
                "answered"
            );
            Ok(response)
        }
        .instrument(span)
        .await
    }
}
