//! Result caching (`#[cache]`): named backends from settings, the unpacked result
//! stored as JSON under a key filled from the request, single flight for concurrent
//! misses, and handles to read, write and invalidate entries from code.

mod key;
mod memory;
mod redis;

use std::collections::HashMap;
use std::fmt;
use std::future::{ready, Future};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::{BoxFuture, Either};
use poem::http::HeaderName;
use serde::de::IgnoredAny;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::watch;

pub use self::key::{escape, fill, glob_match, key_part, push_key_part, KeyPartError, Template};
pub use self::memory::MemoryBackend;
pub use self::redis::RedisBackend;
use crate::endpoint::{Call, Outcome};
use crate::error::BizError;
use crate::helpers::auth::AclKeys;
use crate::settings::CacheSettings;

/// A cache backend failed: unreachable, slow, or answering garbage.
///
/// ```
/// let failure = apiview_core::cache::CacheFailure::new("Redis did not answer");
/// assert_eq!(failure.to_string(), "Redis did not answer");
/// ```
#[derive(Debug, Clone)]
pub struct CacheFailure(String);

impl CacheFailure {
    /// A failure described in words.
    pub fn new(message: impl Into<String>) -> Self {
        CacheFailure(message.into())
    }
}

impl CacheFailure {
    fn not_json(key: &str) -> Self {
        CacheFailure(format!("the value under `{key}` is not JSON"))
    }
}

impl fmt::Display for CacheFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CacheFailure {}

/// Where cached results live. `memory://` and `redis://` are built in.
///
/// ```
/// use std::time::Duration;
/// use apiview_core::cache::{CacheBackend, MemoryBackend};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let backend: Box<dyn CacheBackend> = Box::new(MemoryBackend::new());
/// backend.set("a:1", "[1]".into(), Duration::from_secs(5)).await.unwrap();
/// assert_eq!(backend.delete_pattern("a:*").await.unwrap(), 1);
/// # });
/// ```
pub trait CacheBackend: Send + Sync + 'static {
    /// The value stored under `key`, if any.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Bytes>, CacheFailure>>;
    /// Stores `value` under `key` for `ttl`, value and expiry together.
    fn set<'a>(
        &'a self,
        key: &'a str,
        value: Bytes,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), CacheFailure>>;
    /// Removes `key`; whether it was there.
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, CacheFailure>>;
    /// Removes every key matching a Redis glob; how many.
    fn delete_pattern<'a>(&'a self, pattern: &'a str) -> BoxFuture<'a, Result<u64, CacheFailure>>;

    /// Stores `value` under `key` for `ttl` only when no live value is there; whether
    /// it did. Atomic: of concurrent calls for one key (from any instance sharing the
    /// backend), exactly one gets `true`. The replay window of requests to safe
    /// endpoints (DESIGN §19) is made of these. A backend must not evict a value
    /// stored this way before its `ttl` runs out.
    ///
    /// The default fails, naming the key, so that a backend that cannot do this
    /// atomically makes replay checks refuse requests rather than let replays through.
    ///
    /// ```
    /// use std::time::Duration;
    /// use apiview_core::cache::{CacheBackend, MemoryBackend};
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let backend = MemoryBackend::new();
    /// assert!(backend.add("nonce:1", "1".into(), Duration::from_secs(5)).await.unwrap());
    /// assert!(!backend.add("nonce:1", "1".into(), Duration::from_secs(5)).await.unwrap());
    /// # });
    /// ```
    fn add<'a>(
        &'a self,
        key: &'a str,
        value: Bytes,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, CacheFailure>> {
        let _ = (value, ttl);
        Box::pin(ready(Err(CacheFailure::new(format!(
            "this backend cannot store `{key}` only-if-absent (implement CacheBackend::add)"
        )))))
    }

    /// The value under `key` when the backend can answer at once, without waiting
    /// (an in-process store does): `Some` of what [`CacheBackend::get`] would answer.
    /// `None`, the default, sends the read through `get`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use apiview_core::cache::{CacheBackend, MemoryBackend};
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let backend = MemoryBackend::new();
    /// backend.set("k", "1".into(), Duration::from_secs(5)).await.unwrap();
    /// assert_eq!(backend.get_now("k").unwrap().unwrap().as_deref(), Some(&b"1"[..]));
    /// # });
    /// ```
    fn get_now(&self, key: &str) -> Option<Result<Option<Bytes>, CacheFailure>> {
        let _ = key;
        None
    }

    /// Whether every value this backend answers is well-formed JSON because its
    /// [`CacheBackend::set`] refuses anything else (the memory backend's does): a
    /// cached answer read from it is then not checked again. `false`, the default,
    /// has each hit checked, as a store that others also write to needs.
    ///
    /// ```
    /// use apiview_core::cache::{CacheBackend, MemoryBackend};
    ///
    /// assert!(MemoryBackend::new().stores_only_json());
    /// ```
    fn stores_only_json(&self) -> bool {
        false
    }
}

/// Whether `bytes` is one well-formed JSON value.
pub(crate) fn is_json(bytes: &[u8]) -> bool {
    serde_json::from_slice::<IgnoredAny>(bytes).is_ok()
}

/// The JSON text of the flight's result, once it has one.
type Flight = watch::Receiver<Option<Bytes>>;

/// The computing request's end of a flight: the cache, the key, the result's sender.
#[derive(Debug)]
struct Leader {
    cache: Cache,
    key: String,
    sender: watch::Sender<Option<Bytes>>,
}

impl Leader {
    fn land(self) -> watch::Sender<Option<Bytes>> {
        self.cache
            .0
            .flights
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.key);
        self.sender
    }
}

struct Shared {
    name: String,
    url: String,
    backend: Box<dyn CacheBackend>,
    flights: Mutex<HashMap<String, Flight>>,
}

/// A named cache: its backend plus single flight. Cheap to clone.
///
/// From an App (`App::cache("default")`) or, inside an endpoint, from the request
/// (`request.cache("default")`):
///
/// ```
/// use apiview::prelude::*;
///
/// #[apiview]
/// async fn forget_note(request: &ApiRequest, name: String) -> apiview::Result<u64> {
///     let cache = request.cache("default").expect("configured in settings");
///     cache.invalidate("note:{name}", &[("name", &name)]).await
/// }
/// ```
#[derive(Clone)]
pub struct Cache(Arc<Shared>);

impl fmt::Debug for Cache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cache")
            .field("name", &self.0.name)
            .field("url", &self.0.url)
            .finish()
    }
}

impl Cache {
    /// A cache over any backend.
    ///
    /// ```
    /// use apiview_core::cache::{Cache, MemoryBackend};
    ///
    /// let cache = Cache::new("local", "memory://", MemoryBackend::new());
    /// assert_eq!(cache.name(), "local");
    /// ```
    pub fn new(name: impl Into<String>, url: impl Into<String>, backend: impl CacheBackend) -> Self {
        Cache(Arc::new(Shared {
            name: name.into(),
            url: url.into(),
            backend: Box::new(backend),
            flights: Mutex::new(HashMap::new()),
        }))
    }

    /// The backend's name in settings.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The backend's URL.
    ///
    /// ```
    /// use apiview_core::cache::{Cache, MemoryBackend};
    ///
    /// assert_eq!(Cache::new("a", "memory://", MemoryBackend::new()).url(), "memory://");
    /// ```
    pub fn url(&self) -> &str {
        &self.0.url
    }

    /// The backend itself.
    pub fn backend(&self) -> &dyn CacheBackend {
        &*self.0.backend
    }

    /// Reads a JSON value; a value that is not JSON is a failure.
    ///
    /// ```
    /// use std::time::Duration;
    /// use apiview_core::cache::{Cache, MemoryBackend};
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = Cache::new("a", "memory://", MemoryBackend::new());
    /// cache.set("n", &[1, 2], Duration::from_secs(60)).await.unwrap();
    /// assert_eq!(cache.get("n").await.unwrap(), Some(serde_json::json!([1, 2])));
    /// assert_eq!(cache.get("missing").await.unwrap(), None);
    /// # });
    /// ```
    pub async fn get(&self, key: &str) -> Result<Option<Value>, BizError> {
        self.try_get(key)
            .await
            .map_err(|failure| self.failed("get", key, failure))
    }

    async fn try_get(&self, key: &str) -> Result<Option<Value>, CacheFailure> {
        match self.0.backend.get(key).await? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|_| CacheFailure::not_json(key)),
        }
    }

    /// What a read of `key` found, checked to be well-formed JSON but not parsed into
    /// a value (a hit is copied into the answer as it is). Values of a backend that
    /// [stores only JSON](CacheBackend::stores_only_json) are not checked again.
    fn checked_json(
        &self,
        key: &str,
        found: Result<Option<Bytes>, CacheFailure>,
    ) -> Result<Option<Bytes>, CacheFailure> {
        match found? {
            Some(bytes) if !self.0.backend.stores_only_json() && !is_json(&bytes) => {
                Err(CacheFailure::not_json(key))
            }
            found => Ok(found),
        }
    }

    /// Writes a value as JSON, with its time to live.
    ///
    /// ```
    /// use std::time::Duration;
    /// use apiview_core::cache::{Cache, MemoryBackend};
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = Cache::new("a", "memory://", MemoryBackend::new());
    /// cache.set("greeting", &"hello", Duration::from_secs(60)).await.unwrap();
    /// # });
    /// ```
    pub async fn set<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
        ttl: Duration,
    ) -> Result<(), BizError> {
        let bytes = serde_json::to_vec(value).map_err(|err| {
            tracing::error!(%err, key, "a value to cache does not serialize");
            BizError::cache_error()
        })?;
        self.0
            .backend
            .set(key, Bytes::from(bytes), ttl)
            .await
            .map_err(|failure| self.failed("set", key, failure))
    }

    /// Removes one key; whether it was there.
    ///
    /// ```
    /// use std::time::Duration;
    /// use apiview_core::cache::{Cache, MemoryBackend};
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = Cache::new("a", "memory://", MemoryBackend::new());
    /// cache.set("k", &1, Duration::from_secs(60)).await.unwrap();
    /// assert!(cache.delete("k").await.unwrap());
    /// assert!(!cache.delete("k").await.unwrap());
    /// # });
    /// ```
    pub async fn delete(&self, key: &str) -> Result<bool, BizError> {
        self.0
            .backend
            .delete(key)
            .await
            .map_err(|failure| self.failed("delete", key, failure))
    }

    /// Removes every key matching a Redis glob (`calc:add:*`); how many. Redis
    /// backends use SCAN and UNLINK, never KEYS.
    ///
    /// ```
    /// use std::time::Duration;
    /// use apiview_core::cache::{Cache, MemoryBackend};
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = Cache::new("a", "memory://", MemoryBackend::new());
    /// for n in 0..3 {
    ///     cache.set(&format!("calc:add:{n}"), &n, Duration::from_secs(60)).await.unwrap();
    /// }
    /// assert_eq!(cache.delete_pattern("calc:add:*").await.unwrap(), 3);
    /// # });
    /// ```
    pub async fn delete_pattern(&self, pattern: &str) -> Result<u64, BizError> {
        self.0
            .backend
            .delete_pattern(pattern)
            .await
            .map_err(|failure| self.failed("delete_pattern", pattern, failure))
    }

    /// Removes the entries of a key template filled with `values` (escaped as
    /// `#[cache]` escapes them); glob characters written in the template itself
    /// (`calc:{op}:*`) stay globs. Placeholders without a value become `*`. A value
    /// that does not serialize is a `CacheError` (logged with its placeholder).
    ///
    /// ```
    /// use std::time::Duration;
    /// use apiview_core::cache::{Cache, MemoryBackend};
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = Cache::new("a", "memory://", MemoryBackend::new());
    /// cache.set("add:1:2", &3, Duration::from_secs(60)).await.unwrap();
    /// cache.set("add:1:5", &6, Duration::from_secs(60)).await.unwrap();
    /// cache.set("add:2:2", &4, Duration::from_secs(60)).await.unwrap();
    /// assert_eq!(cache.invalidate("add:{a}:{b}", &[("a", &1)]).await.unwrap(), 2);
    /// # });
    /// ```
    pub async fn invalidate(
        &self,
        template: &str,
        values: &[(&str, &dyn ErasedKeyPart)],
    ) -> Result<u64, BizError> {
        let parsed = Template::parse(template).map_err(|problem| {
            tracing::error!(template, problem, "invalid cache key template");
            BizError::cache_error()
        })?;
        let mut parts = Vec::with_capacity(parsed.names.len());
        for name in &parsed.names {
            parts.push(match values.iter().find(|(key, _)| key == name) {
                Some((_, value)) => value.key_part().map_err(|err| {
                    tracing::error!(template, placeholder = name, %err, "a value cannot be part of a cache key");
                    BizError::cache_error()
                })?,
                None => "*".to_owned(),
            });
        }
        let pattern = parsed.fill(&parts);
        if pattern.contains(['*', '?', '[']) {
            self.delete_pattern(&pattern).await
        } else {
            self.delete(&pattern).await.map(u64::from)
        }
    }

    fn failed(&self, operation: &str, key: &str, failure: CacheFailure) -> BizError {
        tracing::warn!(cache = self.name(), operation, key, %failure, "cache operation failed");
        BizError::cache_error()
    }
}

/// A value usable in [`Cache::invalidate`]: anything `Serialize`.
///
/// ```
/// use apiview_core::cache::ErasedKeyPart;
///
/// let value: &dyn ErasedKeyPart = &"a b";
/// assert_eq!(value.key_part().unwrap(), "a%20b");
/// ```
pub trait ErasedKeyPart: Sync {
    /// The escaped key text (see [`key_part`]).
    fn key_part(&self) -> Result<String, KeyPartError>;
    /// Appends the escaped key text to `key` (see [`push_key_part`]).
    fn push_key_part(&self, key: &mut String) -> Result<(), KeyPartError>;
}

impl<T: Serialize + Sync + ?Sized> ErasedKeyPart for T {
    fn key_part(&self) -> Result<String, KeyPartError> {
        key_part(self)
    }

    fn push_key_part(&self, key: &mut String) -> Result<(), KeyPartError> {
        push_key_part(key, self)
    }
}

/// Fills a key template's literals with values, escaped as [`key_part`] does, into
/// one string: what `#[cache]` builds its key with. A value that does not serialize
/// is an error naming its placeholder's position; the request is then not cached.
///
/// ```
/// use apiview_core::cache::fill_key;
///
/// assert_eq!(fill_key(&["add:", ":", ""], &[&1, &"x y"]).unwrap(), "add:1:x%20y");
/// assert_eq!(fill_key(&["cls:", ""], &[&f64::NAN]).unwrap(), "cls:NaN");
/// assert_eq!(fill_key(&["cls:", ""], &[&None::<f64>]).unwrap(), "cls:~");
/// ```
pub fn fill_key(literals: &[&str], parts: &[&dyn ErasedKeyPart]) -> Result<String, KeyPartError> {
    let mut key = String::with_capacity(literals.iter().map(|l| l.len()).sum::<usize>() + parts.len() * 8);
    for (index, literal) in literals.iter().enumerate() {
        key.push_str(literal);
        if let Some(part) = parts.get(index) {
            part.push_key_part(&mut key).map_err(|err| err.at(index))?;
        }
    }
    Ok(key)
}

/// The key of a request, or why its values make none (see [`fill_key`]).
pub type FilledKey = Result<String, KeyPartError>;

/// Logs a key that could not be filled: the request is computed without the cache.
fn unkeyable(spec: &CacheSpec, placeholder: &str, err: &KeyPartError) {
    tracing::warn!(
        template = spec.template,
        placeholder,
        %err,
        "a value cannot be part of the cache key; computed without the cache"
    );
}

/// Every configured cache, by name; built once with the App.
#[derive(Clone, Debug, Default)]
pub struct Caches {
    by_name: HashMap<String, Cache>,
    default_expire: u64,
    /// `None` when settings name no valid header (their validation refuses that).
    disable_header: Option<HeaderName>,
    single_flight_wait: Duration,
}

impl Caches {
    /// The caches of `[cache] backends`.
    ///
    /// ```
    /// let settings = apiview_core::Settings::default();
    /// let caches = apiview_core::cache::Caches::from_settings(&settings.cache).unwrap();
    /// assert_eq!(caches.get("default").unwrap().url(), "memory://");
    /// ```
    pub fn from_settings(settings: &CacheSettings) -> Result<Caches, CacheFailure> {
        let timeout = Duration::from_millis(settings.operation_timeout_ms);
        let mut by_name = HashMap::new();
        for (name, url) in &settings.backends {
            let cache = if url.starts_with("memory://") {
                Cache::new(
                    name,
                    url,
                    MemoryBackend::with_max_bytes(settings.memory_max_bytes),
                )
            } else {
                Cache::new(name, url, RedisBackend::new(url, timeout)?)
            };
            by_name.insert(name.clone(), cache);
        }
        Ok(Caches {
            by_name,
            default_expire: settings.default_expire,
            disable_header: HeaderName::from_bytes(settings.disable_cache_header.as_bytes()).ok(),
            single_flight_wait: Duration::from_millis(settings.single_flight_timeout_ms),
        })
    }

    /// The cache named `name`.
    ///
    /// ```
    /// let caches = apiview_core::cache::Caches::from_settings(&Default::default()).unwrap();
    /// assert!(caches.get("default").is_some() && caches.get("other").is_none());
    /// ```
    pub fn get(&self, name: &str) -> Option<&Cache> {
        self.by_name.get(name)
    }

    /// Adds (or replaces) a cache.
    ///
    /// ```
    /// use apiview_core::cache::{Cache, Caches, MemoryBackend};
    ///
    /// let mut caches = Caches::from_settings(&Default::default()).unwrap();
    /// caches.insert(Cache::new("local", "memory://", MemoryBackend::new()));
    /// assert!(caches.get("local").is_some());
    /// ```
    pub fn insert(&mut self, cache: Cache) {
        self.by_name.insert(cache.name().to_owned(), cache);
    }
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

/// A lookup that missed: whoever holds the flight computes the result for the
/// requests waiting on the same key.
#[derive(Debug)]
pub struct Miss {
    flight: Option<Leader>,
}

impl Drop for Miss {
    fn drop(&mut self) {
        // Dropped without a result (an error, a panic): the waiters compute themselves.
        if let Some(leader) = self.flight.take() {
            leader.land();
        }
    }
}

impl Miss {
    /// Hands the result to the waiting requests. The flight stays registered until
    /// the miss is dropped (after the write), so that a request arriving during the
    /// write joins it instead of computing again.
    fn publish(&self, json: &Bytes) {
        if let Some(leader) = &self.flight {
            leader.sender.send_replace(Some(json.clone()));
        }
    }
}

impl Call {
    fn cache_of(&self, spec: &CacheSpec) -> Result<&Cache, BizError> {
        // Resolved when the endpoint was bound; by name for a call made otherwise.
        let cache = match &self.cache {
            Some(cache) if cache.name() == spec.name => Some(cache),
            _ => self.request.cache(spec.name),
        };
        cache.ok_or_else(|| {
            tracing::error!(
                cache = spec.name,
                "#[cache] names a backend that settings do not configure"
            );
            BizError::cache_error()
        })
    }
}

fn ttl(call: &Call, spec: &CacheSpec) -> Duration {
    Duration::from_secs(spec.expire.unwrap_or(call.runtime.caches.default_expire).max(1))
}

/// Whether the request asks to skip the cache read (the disable header, `true` or `1`)
/// and may: the endpoint checked its aclkey, or the request carries one of settings'
/// `aclkey`/`aclkeys` where `#[check_aclkey]` would look for it (header, query or
/// body field `aclkey`). Anyone else's header is ignored, so that it cannot multiply
/// the work of the function and of the backend.
fn disabled(call: &Call, spec: &CacheSpec) -> bool {
    asks_to_skip(call)
        && (spec.aclkey_checked
            || (!call.runtime.aclkeys.is_empty()
                && crate::helpers::auth::check_aclkey(call, "aclkey", AclKeys::<[&str; 0]>::Settings)
                    .is_ok()))
}

fn asks_to_skip(call: &Call) -> bool {
    let Some(name) = &call.runtime.caches.disable_header else {
        return false;
    };
    let headers = call.request.headers();
    // With a handful of headers, comparing names beats hashing this one.
    let value = if headers.len() <= 8 {
        headers
            .iter()
            .find_map(|(header, value)| (header == name).then_some(value))
    } else {
        headers.get(name)
    };
    value
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("true") || value.trim() == "1")
}

/// Phase "cache lookup": a hit answers at once (its JSON text, as stored); a miss may
/// wait for a concurrent request computing the same key (single flight), or become
/// that request.
///
/// A key that could not be filled (a value that does not serialize) is a miss that
/// neither reads, joins a flight nor writes: the request is computed without the cache.
pub fn lookup<'a>(
    call: &'a Call,
    spec: &'static CacheSpec,
    key: &'a FilledKey,
) -> impl Future<Output = Result<Result<Outcome, Miss>, BizError>> + Send + 'a {
    let key = match key {
        Ok(key) => key.as_str(),
        Err(err) => {
            let placeholder = spec.names.get(err.placeholder()).copied().unwrap_or_default();
            unkeyable(spec, placeholder, err);
            return Either::Left(ready(Ok(Err(Miss { flight: None }))));
        }
    };
    if !spec.get_from_cache {
        return Either::Left(ready(Ok(Err(Miss { flight: None }))));
    }
    let cache = match call.cache_of(spec) {
        Ok(cache) => cache,
        Err(err) => return Either::Left(ready(Err(err))),
    };
    if disabled(call, spec) {
        // The read is skipped, not single flight: concurrent requests that skip it
        // still compute once.
        return Either::Right(Box::pin(lookup_later(call, cache, spec, key, Some(Ok(None)))));
    }
    // A backend that answers at once (the memory backend does) gives a hit without a
    // future of its own: the common answer of a cached endpoint.
    let read_now = cache
        .0
        .backend
        .get_now(key)
        .map(|found| cache.checked_json(key, found));
    if let Some(Ok(Some(json))) = read_now {
        return Either::Left(ready(Ok(Ok(Outcome::Json(json)))));
    }
    // Boxed: only a miss, or a backend that answers later, pays for the future that
    // reads, joins a flight and waits.
    Either::Right(Box::pin(lookup_later(call, cache, spec, key, read_now)))
}

/// The rest of a lookup: the read (unless the backend answered it at once), then the
/// flight on a miss.
async fn lookup_later(
    call: &Call,
    cache: &Cache,
    spec: &'static CacheSpec,
    key: &str,
    read_now: Option<Result<Option<Bytes>, CacheFailure>>,
) -> Result<Result<Outcome, Miss>, BizError> {
    let read = match read_now {
        Some(read) => read,
        None => cache.checked_json(key, cache.0.backend.get(key).await),
    };
    match read {
        Ok(Some(json)) => return Ok(Ok(Outcome::Json(json))),
        Ok(None) => {}
        Err(failure) if spec.ignore_errors => {
            tracing::warn!(cache = cache.name(), key, %failure, "cache read failed; computing instead");
        }
        Err(failure) => return Err(cache.failed("get", key, failure)),
    }
    let mut flight = {
        let mut flights = cache.0.flights.lock().unwrap_or_else(|e| e.into_inner());
        match flights.get(key) {
            Some(flight) => flight.clone(),
            None => {
                let (sender, receiver) = watch::channel(None);
                flights.insert(key.to_owned(), receiver);
                return Ok(Err(Miss {
                    flight: Some(Leader {
                        cache: cache.clone(),
                        key: key.to_owned(),
                        sender,
                    }),
                }));
            }
        }
    };
    let wait = call.runtime.caches.single_flight_wait;
    if let Ok(Ok(value)) = tokio::time::timeout(wait, flight.wait_for(Option::is_some)).await {
        if let Some(json) = value.as_ref() {
            return Ok(Ok(Outcome::Json(json.clone())));
        }
    }
    Ok(Err(Miss { flight: None }))
}

/// Phase "cache store": a result (never an error) is written, and handed to the
/// requests waiting on its key.
pub fn store<'a>(
    call: &'a Call,
    spec: &'static CacheSpec,
    key: &FilledKey,
    miss: Miss,
    outcome: &Outcome,
) -> impl Future<Output = Result<(), BizError>> + Send + 'a {
    let Ok(key) = key else {
        return Either::Left(ready(Ok(())));
    };
    let json = match outcome {
        Outcome::Json(json) => json.clone(),
        Outcome::Data(value) => match serde_json::to_vec(value) {
            Ok(json) => Bytes::from(json),
            Err(_) => return Either::Left(ready(Ok(()))),
        },
        Outcome::Raw(_) | Outcome::Error(_) => return Either::Left(ready(Ok(()))),
    };
    miss.publish(&json);
    if !spec.set_to_cache {
        return Either::Left(ready(Ok(())));
    }
    let key = key.to_owned();
    // Boxed: the write's future would enlarge every request's, hits included.
    Either::Right(Box::pin(async move {
        let written = write(call, spec, vec![(key, json)]).await;
        drop(miss);
        written
    }))
}

/// Phase "cache store" of a `batch` endpoint: each element of a list result (each
/// value of a map, with `{__key}` its key) under its own key, filled from the
/// element's fields first, then from the parameters. A parameter whose value makes no
/// key part (see [`fill_key`]) leaves the result uncached.
pub async fn store_batch(
    call: &Call,
    spec: &'static CacheSpec,
    params: &[(&str, Result<String, KeyPartError>)],
    outcome: &Outcome,
) -> Result<(), BizError> {
    if !spec.set_to_cache {
        return Ok(());
    }
    let mut known = Vec::with_capacity(params.len());
    for (name, part) in params {
        match part {
            Ok(part) => known.push((*name, part)),
            Err(err) => {
                unkeyable(spec, name, err);
                return Ok(());
            }
        }
    }
    let parsed;
    let value = match outcome {
        Outcome::Data(value) => value,
        Outcome::Json(json) => match serde_json::from_slice::<Value>(json) {
            Ok(value) => {
                parsed = value;
                &parsed
            }
            Err(_) => return Ok(()),
        },
        Outcome::Raw(_) | Outcome::Error(_) => return Ok(()),
    };
    let items: Vec<(Option<&str>, &Value)> = match value {
        Value::Array(items) => items.iter().map(|item| (None, item)).collect(),
        Value::Object(map) => map.iter().map(|(key, item)| (Some(key.as_str()), item)).collect(),
        _ => {
            tracing::warn!(
                template = spec.template,
                "a batch cache needs a list or map result; nothing cached"
            );
            return Ok(());
        }
    };
    let mut entries = Vec::with_capacity(items.len());
    'items: for (map_key, item) in items {
        let mut parts = Vec::with_capacity(spec.names.len());
        for name in spec.names {
            // A JSON value always serializes: `ok()` drops no part.
            let part = if *name == "__key" {
                map_key.and_then(|key| key_part(key).ok())
            } else {
                item.get(name).and_then(|value| key_part(value).ok()).or_else(|| {
                    known
                        .iter()
                        .find(|(param, _)| param == name)
                        .map(|(_, part)| (*part).clone())
                })
            };
            match part {
                Some(part) => parts.push(part),
                None => {
                    tracing::warn!(
                        template = spec.template,
                        field = name,
                        "a batch element lacks a key field; not cached"
                    );
                    continue 'items;
                }
            }
        }
        if let Ok(json) = serde_json::to_vec(item) {
            entries.push((fill(spec.literals, &parts), Bytes::from(json)));
        }
    }
    write(call, spec, entries).await
}

async fn write(call: &Call, spec: &'static CacheSpec, entries: Vec<(String, Bytes)>) -> Result<(), BizError> {
    let cache = call.cache_of(spec)?;
    let ttl = ttl(call, spec);
    for (key, json) in entries {
        let key = key.as_str();
        if let Err(failure) = cache.0.backend.set(key, json, ttl).await {
            if spec.ignore_errors {
                tracing::warn!(cache = cache.name(), key, %failure, "cache write failed; answered anyway");
                return Ok(());
            }
            return Err(cache.failed("set", key, failure));
        }
    }
    Ok(())
}
