//! `App::try_into_endpoint`: the App's parts checked against each other and bound into
//! one poem endpoint, in steps, each failing with the settings key or the endpoint at
//! fault.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use poem::Route;

use super::endpoint::{AppEndpoint, Routes};
use super::keys::Keys;
use super::paths::{group_by_path, poem_path};
use super::request_log::RequestLog;
use super::{App, AppError, Entry, ExtraRoutes};
use crate::auth::{BearerJwt, DynAuthenticate};
use crate::cache::Caches;
use crate::guard::methods::AllowedMethods;
use crate::meta::{AuthUse, TypeShape};
use crate::packer::{ClientKeyStore, KeyReuse, Packer, SafePacker};
use crate::serve::decrypt::{Decode, SignedRequests};
use crate::serve::{panics, ByMethod, NoRoute, Runtime};
use crate::settings::{
    parse_method, CorsSettings, SafeSettings, Settings, VersionScheme, VersioningSettings,
};

impl App {
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
        panics::install_hook();
        let keys = Keys::load(&self.settings, &self.entries)?;
        let client_keys = self.client_keys.take().or_else(|| keys.client_keys.clone());
        self.add_safe_packer(client_keys.as_ref());
        // Made here, so that they see the safe packer too.
        let extra_routes: ExtraRoutes = std::mem::take(&mut self.extra_routes)
            .into_iter()
            .flat_map(|make| make(&self))
            .collect();
        let default_packer =
            self.find_packer(&self.settings.packer, &|| "settings key `packer`".to_owned())?;
        let caches = self
            .caches
            .clone()
            .map_err(|failure| AppError(format!("settings key `cache.backends`: {failure}")))?;
        check_cache_names(&self.entries, &caches)?;
        check_throttle_backend(&self.entries, &self.settings, &caches)?;
        check_versions(&self.entries, &self.settings.versioning)?;
        let (authenticator, jwt) = self.auth()?;
        check_auth(&self.entries, authenticator.is_some(), jwt.is_some())?;
        let mut signed = Signed {
            made: None,
            settings: &self.settings.safe,
            keys: client_keys,
            caches: &caches,
        };
        let groups = group_by_path(&self.entries, &self.settings.default_methods())?;
        let mut plans = Vec::with_capacity(self.entries.len());
        for entry in &self.entries {
            plans.push(self.plan(entry, &default_packer, keys.server.is_some(), &mut signed)?);
        }
        let mut paths: HashSet<String> = groups.iter().map(|group| group.path.clone()).collect();
        for (path, _) in &extra_routes {
            if !paths.insert(poem_path(path)) {
                return Err(AppError(format!(
                    "path `{path}` is registered twice (App::with_routes)"
                )));
            }
            check_not_shadowed(path, &self.entries)?;
        }
        let runtime = Arc::new(
            Runtime::new(self.settings, caches, keys.server, keys.rsa).with_auth(authenticator, jwt),
        );
        let mut bound: Vec<Option<(Entry, Plan)>> = self.entries.into_iter().zip(plans).map(Some).collect();
        let mut route = Route::new();
        // The endpoint at `/`, if any, is routed apart: see `with_no_route`.
        let mut root = None;
        for group in groups {
            let entries = group
                .entries
                .into_iter()
                .filter_map(|(i, methods)| bound[i].take().map(|(entry, plan)| (entry, plan, methods)))
                .collect();
            if is_root(&group.path) {
                root = Some(mount(
                    Route::new(),
                    &group.path,
                    entries,
                    &runtime,
                    &default_packer,
                ));
            } else {
                route = mount(route, &group.path, entries, &runtime, &default_packer);
            }
        }
        for (path, endpoint) in extra_routes {
            if is_root(&path) {
                root = Some(Route::new().at(path, endpoint));
            } else {
                route = route.at(path, endpoint);
            }
        }
        let no_route = NoRoute {
            runtime: runtime.clone(),
            packer: default_packer,
        };
        let route = with_no_route(route, root, &paths, no_route);
        Ok(AppEndpoint(RequestLog {
            routes: with_cors(route, &runtime.settings.cors),
            data: self.data,
        }))
    }

    /// The authenticator (DESIGN §14): `App::authenticator`'s, else the `BearerJwt`
    /// of `[auth.jwt]`, its key files read now; and the `BearerJwt` that
    /// `BearerJwt` parameters get.
    #[allow(clippy::type_complexity)]
    fn auth(&mut self) -> Result<(Option<Arc<dyn DynAuthenticate>>, Option<BearerJwt>), AppError> {
        let from_settings = match &self.settings.auth.jwt {
            Some(settings) => {
                Some(BearerJwt::from_settings(settings).map_err(|err| AppError(err.to_string()))?)
            }
            None => None,
        };
        Ok(match self.authenticator.take() {
            Some((authenticator, jwt)) => (Some(authenticator), jwt.or(from_settings)),
            None => (
                from_settings
                    .clone()
                    .map(|jwt| Arc::new(jwt) as Arc<dyn DynAuthenticate>),
                from_settings,
            ),
        })
    }

    /// With client keys (settings' or [`App::client_keys`]), the `safe` packer, unless
    /// one of that name is registered already.
    fn add_safe_packer(&mut self, client_keys: Option<&Arc<dyn ClientKeyStore>>) {
        let Some(store) = client_keys else {
            return;
        };
        if self.packers.get("safe").is_none() {
            let safe = &self.settings.safe;
            let packer = SafePacker::new(store.clone(), safe.client_id_field.clone()).key_reuse(KeyReuse {
                max_age: Duration::from_secs(safe.key_reuse_seconds),
                max_answers: safe.key_reuse_answers,
            });
            self.packers.insert("safe", Arc::new(packer));
        }
    }

    /// The packer registered under `name`; `asked_by` says who named it.
    fn find_packer(&self, name: &str, asked_by: &dyn Fn() -> String) -> Result<Arc<dyn Packer>, AppError> {
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
    }

    /// An endpoint's packer, and how it treats an encrypted body. Safe endpoints
    /// decode encrypted requests by themselves when the server has a key, and take
    /// them signed only (DESIGN §19); `#[decode_encrypted_data]` asks for decryption
    /// explicitly.
    fn plan(
        &self,
        entry: &Entry,
        default_packer: &Arc<dyn Packer>,
        has_server_key: bool,
        signed: &mut Signed<'_>,
    ) -> Result<Plan, AppError> {
        let (packer, is_safe) = match entry.meta.packer {
            None => (default_packer.clone(), self.settings.packer == "safe"),
            Some(name) => (
                self.find_packer(name, &|| {
                    format!("#[apiview(packer = ..)] of endpoint `{}`", entry.meta.name)
                })?,
                name == "safe",
            ),
        };
        let explicit = entry.meta.decode_encrypted_data;
        let decode = if is_safe && has_server_key {
            Decode::Signed {
                explicit,
                requests: signed.get(entry.meta.name)?,
            }
        } else if explicit {
            Decode::Plain
        } else {
            Decode::Off
        };
        Ok((packer, decode))
    }
}

/// An endpoint's packer, and how it treats an encrypted body.
type Plan = (Arc<dyn Packer>, Decode);

/// Adds the endpoints at `path` to `route`: one as it is; several behind a
/// [`ByMethod`], which refuses a method none of them allows with their packer when
/// they have the same, else with the App's default packer.
fn mount(
    route: Route,
    path: &str,
    entries: Vec<(Entry, Plan, AllowedMethods)>,
    runtime: &Arc<Runtime>,
    default_packer: &Arc<dyn Packer>,
) -> Route {
    let entries = match <[_; 1]>::try_from(entries) {
        Ok([(entry, (packer, decode), _)]) => {
            return entry.handler.at(route, path, runtime.clone(), packer, decode);
        }
        Err(entries) => entries,
    };
    let packer_name = |entry: &Entry| entry.meta.packer.unwrap_or(&runtime.settings.packer);
    let refusal_packer = match entries.split_first() {
        Some(((first, (packer, _), _), rest))
            if rest
                .iter()
                .all(|(entry, ..)| packer_name(entry) == packer_name(first)) =>
        {
            packer.clone()
        }
        _ => default_packer.clone(),
    };
    let endpoints = entries
        .into_iter()
        .map(|(entry, (packer, decode), methods)| {
            (methods, entry.handler.boxed(runtime.clone(), packer, decode))
        })
        .collect();
    route.at(path, ByMethod::new(endpoints, runtime.clone(), refusal_packer))
}

/// DESIGN §14: an endpoint that authenticates its caller needs an authenticator,
/// and one that takes a `BearerJwt` a `BearerJwt`.
fn check_auth(entries: &[Entry], has_authenticator: bool, has_jwt: bool) -> Result<(), AppError> {
    for entry in entries {
        let meta = entry.meta;
        if meta.auth != AuthUse::None && !has_authenticator {
            return Err(AppError(format!(
                "endpoint `{}` (path `{}`) authenticates its caller (#[login_required], #[permission(..)] or an \
                 `Identity` parameter), and the App has no authenticator: add an `[auth.jwt]` section to the \
                 settings, or call App::authenticator",
                meta.name, entry.path
            )));
        }
        let takes_jwt = meta
            .params
            .iter()
            .any(|param| param.source.is_none() && param.shape == TypeShape::Named("BearerJwt"));
        if takes_jwt && !has_jwt {
            return Err(AppError(format!(
                "endpoint `{}` (path `{}`) takes a `BearerJwt`, and the App has none: add an `[auth.jwt]` section \
                 to the settings, or give App::authenticator a BearerJwt",
                meta.name, entry.path
            )));
        }
    }
    Ok(())
}

/// Every `#[cache(name = ..)]` names a configured backend.
fn check_cache_names(entries: &[Entry], caches: &Caches) -> Result<(), AppError> {
    for entry in entries {
        if let Some(spec) = entry.meta.cache {
            if caches.get(spec.name).is_none() {
                return Err(AppError(format!(
                    "endpoint `{}` caches in `{}` (#[cache(name = ..)]), which settings `[cache] backends` do not configure",
                    entry.meta.name, spec.name
                )));
            }
        }
    }
    Ok(())
}

/// DESIGN §13: with an endpoint throttled, `throttle.backend` names a configured
/// backend (settings check it themselves when `throttle.default_rate` is set).
fn check_throttle_backend(entries: &[Entry], settings: &Settings, caches: &Caches) -> Result<(), AppError> {
    if caches.get(&settings.throttle.backend).is_some() {
        return Ok(());
    }
    match entries.iter().find(|entry| !entry.meta.throttles.is_empty()) {
        Some(entry) => Err(AppError(format!(
            "endpoint `{}` has #[throttle], and settings key `throttle.backend`: {}",
            entry.meta.name,
            settings.unknown_throttle_backend()
        ))),
        None => Ok(()),
    }
}

/// DESIGN §16: every `#[apiview(versions = [..])]` names allowed versions of a
/// scheme that is on, and with `url_path` every endpoint's path has the version's
/// segment (`/:version/things`).
fn check_versions(entries: &[Entry], versioning: &VersioningSettings) -> Result<(), AppError> {
    let scheme = versioning.version_scheme();
    for entry in entries {
        let name = entry.meta.name;
        if let Some(versions) = entry.meta.versions {
            if scheme == VersionScheme::None {
                return Err(AppError(format!(
                    "endpoint `{name}` (path `{}`) exists in versions {} (#[apiview(versions = [..])]), but settings \
                     key `versioning.scheme` is `none`: turn versioning on in `[versioning]`, or drop the option",
                    entry.path,
                    versions.join(", ")
                )));
            }
            if let Some(unknown) = versions
                .iter()
                .find(|v| !versioning.allowed.iter().any(|a| a == *v))
            {
                return Err(AppError(format!(
                    "endpoint `{name}` (path `{}`) exists in version `{unknown}` (#[apiview(versions = [..])]), which \
                     settings key `versioning.allowed` ({}) does not list",
                    entry.path,
                    versioning.allowed.join(", ")
                )));
            }
        }
        if scheme == VersionScheme::UrlPath && !has_param_segment(&entry.path, &versioning.param) {
            return Err(AppError(format!(
                "path `{}` (endpoint `{name}`) has no `:{param}` segment, and settings key `versioning.scheme` is \
                 `url_path`: the version is read from that segment; register the endpoint at a path such as \
                 `/:{param}{}`",
                entry.path,
                if entry.path.starts_with('/') { entry.path.clone() } else { format!("/{}", entry.path) },
                param = versioning.param,
            )));
        }
    }
    Ok(())
}

/// Whether a poem path has the segment `:param` (or `:param<regex>`).
fn has_param_segment(path: &str, param: &str) -> bool {
    path.split('/').any(|segment| {
        segment
            .strip_prefix(':')
            .map(|name| name.split('<').next().unwrap_or(name))
            .is_some_and(|name| name == param)
    })
}

/// What checks the requests to safe endpoints (DESIGN §19): made on first need, then
/// shared by every safe endpoint.
struct Signed<'a> {
    made: Option<Arc<SignedRequests>>,
    settings: &'a SafeSettings,
    keys: Option<Arc<dyn ClientKeyStore>>,
    caches: &'a Caches,
}

impl Signed<'_> {
    fn get(&mut self, endpoint: &str) -> Result<Arc<SignedRequests>, AppError> {
        if let Some(made) = &self.made {
            return Ok(made.clone());
        }
        let safe = self.settings;
        let keys = self.keys.clone().ok_or_else(|| {
            AppError(format!(
                "safe endpoint `{endpoint}` decrypts signed requests and needs the clients' public keys \
                 to check their signatures; set safe.client_public_keys or call App::client_keys"
            ))
        })?;
        let replay = self.caches.get(&safe.replay_backend).cloned().ok_or_else(|| {
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
        self.made = Some(made.clone());
        Ok(made)
    }
}

/// Every path no route takes answers `NoMatchingRouteFound`: poem tries static and
/// parameter segments first. Its router gives `/` to a catch-all `/*…` rather than to
/// a route at `/`, so the endpoint at `/` (`root`) is reached through the catch-all.
fn with_no_route(route: Route, root: Option<Route>, paths: &HashSet<String>, no_route: NoRoute) -> Route {
    if paths.iter().any(|path| path.starts_with("/*")) {
        // The user's own catch-all takes what no other route does (and `/`, as poem
        // routes it).
        return match root {
            Some(root) => route.at("/", root),
            None => route,
        };
    }
    let root = root.unwrap_or_else(|| Route::new().at("/", no_route.clone()));
    route.at("/*__apiview_no_route", RootOr { root, no_route })
}

fn is_root(path: &str) -> bool {
    path.chars().all(|c| c == '/')
}

/// The catch-all route: the endpoint at `/` for `/`, `NoMatchingRouteFound` for the
/// rest.
struct RootOr {
    root: Route,
    no_route: NoRoute,
}

impl poem::Endpoint for RootOr {
    type Output = poem::Response;

    async fn call(&self, req: poem::Request) -> poem::Result<poem::Response> {
        if req.uri().path() == "/" {
            self.root.call(req).await
        } else {
            self.no_route.call(req).await
        }
    }
}

/// The routes behind poem's CORS middleware, when `[cors]` allows origins.
fn with_cors(route: Route, cors: &CorsSettings) -> Routes {
    if cors.allow_origins.is_empty() {
        return Routes::Plain(route);
    }
    let methods = cors.allow_methods.iter().filter_map(|name| parse_method(name));
    let middleware = poem::middleware::Cors::new()
        .allow_origins(cors.allow_origins.iter().map(String::as_str))
        .allow_methods(methods)
        .allow_headers(cors.allow_headers.iter().map(String::as_str))
        .allow_credentials(cors.allow_credentials)
        .max_age(i32::try_from(cors.max_age_s).unwrap_or(i32::MAX));
    Routes::Cors(poem::EndpointExt::with(route, middleware))
}

/// An extra route ending in a wildcard (`/apiview/*file`, the Swagger UI's files)
/// owns every path below its prefix: an endpoint there would answer in its place
/// (poem prefers the exact path), silently hiding a file such as the OpenAPI document.
fn check_not_shadowed(extra: &str, entries: &[Entry]) -> Result<(), AppError> {
    let Some((prefix, _)) = extra.rsplit_once("/*") else {
        return Ok(());
    };
    let prefix = format!("{prefix}/");
    match entries.iter().find(|entry| entry.path.starts_with(&prefix)) {
        Some(entry) => Err(AppError(format!(
            "path `{}` (endpoint `{}`) lies under `{extra}`, which App::with_routes serves \
             (with App::swagger(), the UI and the OpenAPI document): move the endpoint, or the \
             routes (settings key `swagger.mount`)",
            entry.path, entry.meta.name
        ))),
        None => Ok(()),
    }
}
