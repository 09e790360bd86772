//! The handles: one named cache ([`Cache`]) and every cache of an App (`Caches`).

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use apiview_grammar::KeyTemplate;
use bytes::Bytes;
use poem::http::HeaderName;
use serde::Serialize;
use serde_json::Value;

use super::epoch::Invalidations;
use super::flight::Flights;
use super::invalidation::Invalidation;
use super::key::{key_part, push_key_part, KeyPartError};
use super::template::fill;
use super::{
    is_json, Admission, CacheBackend, CacheFailure, Forget, MemoryBackend, NearBackend, RedisBackend,
    ThrottleCounter,
};
use crate::error::BizError;
use crate::settings::{CacheSettings, SingleFlight};

pub(crate) struct Shared {
    name: String,
    url: String,
    backend: Box<dyn CacheBackend>,
    pub(super) flights: Flights,
    throttle_failures: FailureLog,
    /// The channel other instances learn this cache's invalidations from, when it
    /// keeps values in memory and settings name one.
    invalidation: Option<Arc<Invalidation>>,
    /// The lease of single flight across instances, when it is on and the backend
    /// can share flights.
    pub(super) flight_lease: Option<Duration>,
    /// Whether writes are published too: a near cache's other instances must drop
    /// their copy of what this one wrote (a memory cache's writes are its own).
    publishes_writes: bool,
    /// Invalidations so far (`set`, `delete`, `delete_pattern`, `invalidate`, and
    /// other instances' on the channel): a `#[cache]` result computed while one came
    /// is not stored.
    pub(super) invalidations: Invalidations,
}

impl Shared {
    pub(super) fn backend(&self) -> &dyn CacheBackend {
        &*self.backend
    }
}

/// Failed throttle checks: counted, and logged at most once a second with how many
/// failed since, so that an outage under load does not flood the log.
struct FailureLog {
    count: AtomicU64,
    /// The count when it was last logged.
    logged: AtomicU64,
    /// Milliseconds from `epoch` when it was last logged (0: never).
    logged_at_ms: AtomicU64,
    epoch: Instant,
}

impl FailureLog {
    fn new() -> Self {
        FailureLog {
            count: AtomicU64::new(0),
            logged: AtomicU64::new(0),
            logged_at_ms: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    fn record(&self, cache: &str, key: &str, failure: &CacheFailure) {
        let count = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        let now_ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX) + 1;
        let last = self.logged_at_ms.load(Ordering::Relaxed);
        let due = last == 0 || now_ms.saturating_sub(last) >= 1_000;
        if due
            && self
                .logged_at_ms
                .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            let since = count - self.logged.swap(count, Ordering::Relaxed);
            tracing::warn!(
                cache,
                key,
                %failure,
                failures = count,
                since_last_logged = since,
                "throttle check failed (logged at most once a second)"
            );
        }
    }
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
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// # use poem::{Endpoint, Request};
/// let app = App::new(Settings::default()).at("/forget_note", forget_note);
/// let cache = app.cache("default").unwrap();
/// cache.set("note:groceries", "milk", std::time::Duration::from_secs(60)).await.unwrap();
/// let request = Request::builder().uri_str("/forget_note?name=groceries").finish();
/// let response = app.into_endpoint().get_response(request).await;
/// let body: serde_json::Value = response.into_body().into_json().await.unwrap();
/// assert_eq!(body["result"], 1);
/// assert_eq!(cache.get("note:groceries").await.unwrap(), None);
/// # });
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
            flights: Flights::default(),
            throttle_failures: FailureLog::new(),
            invalidation: None,
            flight_lease: None,
            publishes_writes: false,
            invalidations: Invalidations::new(),
        }))
    }

    /// Tells the other instances to drop `what` from their memory, when this cache
    /// keeps values in memory and settings name `cache.invalidation_channel`.
    async fn publish(&self, what: Forget<'_>) -> Result<(), CacheFailure> {
        match &self.0.invalidation {
            Some(invalidation) => {
                invalidation.ensure_started();
                invalidation.publish(self.name(), what).await
            }
            None => Ok(()),
        }
    }

    /// The invalidations that may have reached `key` so far; see `serve::cache::Miss`.
    pub(crate) fn epoch(&self, key: &str) -> u64 {
        self.0.invalidations.epoch(key)
    }

    /// Starts listening for other instances' invalidations, if not yet (the App was
    /// built outside a Tokio runtime).
    pub(crate) fn listen(&self) {
        if let Some(invalidation) = &self.0.invalidation {
            invalidation.ensure_started();
        }
    }

    /// How many times this instance has subscribed to `cache.invalidation_channel`
    /// for this cache: 0 until its listener first has (or when settings name no
    /// channel, or the cache keeps nothing in memory). Tests wait for it.
    ///
    /// ```
    /// use apiview_core::cache::{Cache, MemoryBackend};
    ///
    /// let cache = Cache::new("local", "memory://", MemoryBackend::new());
    /// assert_eq!(cache.invalidation_subscriptions(), 0, "no channel: nothing to listen to");
    /// ```
    pub fn invalidation_subscriptions(&self) -> u64 {
        self.0
            .invalidation
            .as_ref()
            .map_or(0, |invalidation| invalidation.subscriptions())
    }

    /// Stores a JSON text (a `#[cache]` result), and has the other instances drop
    /// their near copy of it.
    pub(crate) async fn store_json(&self, key: &str, json: Bytes, ttl: Duration) -> Result<(), CacheFailure> {
        self.0.backend.set(key, json, ttl).await?;
        self.published_write(key).await
    }

    /// After a write: a near cache's other instances drop their copy (a memory cache's
    /// writes are this instance's own).
    pub(crate) async fn published_write(&self, key: &str) -> Result<(), CacheFailure> {
        if self.0.publishes_writes {
            self.publish(Forget::Key(key)).await?;
        }
        Ok(())
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

    pub(super) fn shared(&self) -> &Shared {
        &self.0
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
    pub(crate) fn checked_json(
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

    /// Writes a value as JSON, with its time to live. With
    /// `cache.invalidation_channel`, the other instances drop their copy of the key
    /// from their memory.
    ///
    /// ```
    /// use std::time::Duration;
    /// use apiview_core::cache::{Cache, MemoryBackend};
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = Cache::new("a", "memory://", MemoryBackend::new());
    /// cache.set("greeting", &"hello", Duration::from_secs(60)).await.unwrap();
    /// assert_eq!(cache.get("greeting").await.unwrap(), Some(serde_json::json!("hello")));
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
        // Another instance's copy of `key` is older than this value: with
        // `cache.invalidation_channel`, it is dropped (a `#[cache]` result, computed
        // by each instance for itself, is not announced: see `store_json`).
        self.0.invalidations.key(key);
        let stored = async {
            self.0.backend.set(key, Bytes::from(bytes), ttl).await?;
            self.publish(Forget::Key(key)).await
        };
        stored.await.map_err(|failure| self.failed("set", key, failure))
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
        self.0.invalidations.key(key);
        let deleted = async {
            let removed = self.0.backend.delete(key).await?;
            self.publish(Forget::Key(key)).await?;
            Ok(removed)
        };
        deleted
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
        self.0.invalidations.all();
        let deleted = async {
            let removed = self.0.backend.delete_pattern(pattern).await?;
            self.publish(Forget::Pattern(pattern)).await?;
            Ok(removed)
        };
        deleted
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
        let parsed = KeyTemplate::parse(template).map_err(|problem| {
            tracing::error!(template, %problem, "invalid cache key template");
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
        let literals: Vec<&str> = parsed.literals.iter().map(String::as_str).collect();
        let pattern = fill(&literals, &parts);
        if pattern.contains(['*', '?', '[']) {
            self.delete_pattern(&pattern).await
        } else {
            self.delete(&pattern).await.map(u64::from)
        }
    }

    /// Counts a request against throttle counters ([`CacheBackend::throttle`]),
    /// waiting at most `timeout` for the backend. A failure is counted
    /// ([`Cache::throttle_failures`]) and logged, at most once a second.
    ///
    /// ```
    /// use std::time::Duration;
    /// use apiview_core::cache::{Admission, Cache, Limit, MemoryBackend, ThrottleCounter};
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = Cache::new("a", "memory://", MemoryBackend::new());
    /// let once = [ThrottleCounter { key: "t:k", limit: Limit::new(1, Duration::from_secs(3600)) }];
    /// let timeout = Duration::from_millis(250);
    /// assert_eq!(cache.throttle(&once, timeout).await.unwrap(), Admission::Admitted);
    /// assert_eq!(cache.throttle(&once, timeout).await.unwrap().retry_after_seconds(), Some(3600));
    /// assert_eq!(cache.throttle_failures(), 0);
    /// # });
    /// ```
    pub async fn throttle(
        &self,
        counters: &[ThrottleCounter<'_>],
        timeout: Duration,
    ) -> Result<Admission, CacheFailure> {
        let checked = match tokio::time::timeout(timeout, self.0.backend.throttle(counters)).await {
            Ok(checked) => checked,
            Err(_) => Err(CacheFailure::new(format!(
                "the throttle check did not finish within {timeout:?}"
            ))),
        };
        if let Err(failure) = &checked {
            let key = counters.first().map_or("", |counter| counter.key);
            self.0.throttle_failures.record(self.name(), key, failure);
        }
        checked
    }

    /// How many throttle checks of this cache failed (backend unreachable, slow or
    /// unable), since it was made.
    ///
    /// ```
    /// use apiview_core::cache::{Cache, MemoryBackend};
    ///
    /// assert_eq!(Cache::new("a", "memory://", MemoryBackend::new()).throttle_failures(), 0);
    /// ```
    pub fn throttle_failures(&self) -> u64 {
        self.0.throttle_failures.count.load(Ordering::Relaxed)
    }

    pub(crate) fn failed(&self, operation: &str, key: &str, failure: CacheFailure) -> BizError {
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

/// Every configured cache, by name; built once with the App.
#[derive(Clone, Debug, Default)]
pub(crate) struct Caches {
    by_name: HashMap<String, Cache>,
    pub(crate) default_expire: u64,
    /// `None` when settings name no valid header (their validation refuses that).
    pub(crate) disable_header: Option<HeaderName>,
    pub(crate) single_flight_wait: Duration,
}

impl Caches {
    /// The caches of `[cache] backends`, with the several-instance settings (DESIGN
    /// §18): near caches, the invalidation channel, single flight across instances.
    pub(crate) fn from_settings(settings: &CacheSettings) -> Result<Caches, CacheFailure> {
        let timeout = Duration::from_millis(settings.operation_timeout_ms);
        let invalidation = match settings.invalidation_channel.as_str() {
            "" => None,
            channel => Some(Arc::new(Invalidation::new(
                channel,
                invalidation_url(settings)?,
                timeout,
            )?)),
        };
        let mut by_name = HashMap::new();
        for (name, url) in &settings.backends {
            let backend: Box<dyn CacheBackend> = if url.starts_with("memory://") {
                Box::new(MemoryBackend::with_max_bytes(settings.memory_max_bytes))
            } else if let Some(seconds) = settings.near.get(name) {
                Box::new(NearBackend::new(
                    MemoryBackend::with_max_bytes(settings.memory_max_bytes),
                    RedisBackend::new(url, timeout)?,
                    Duration::from_secs(*seconds),
                ))
            } else {
                Box::new(RedisBackend::new(url, timeout)?)
            };
            let flight_lease = (settings.single_flight == SingleFlight::Cluster && backend.shares_flights())
                .then(|| Duration::from_millis(settings.single_flight_lease_ms));
            let cache = Cache(Arc::new(Shared {
                name: name.clone(),
                url: url.clone(),
                invalidation: invalidation.clone().filter(|_| backend.keeps_locally()),
                publishes_writes: settings.near.contains_key(name),
                backend,
                flights: Flights::default(),
                throttle_failures: FailureLog::new(),
                flight_lease,
                invalidations: Invalidations::new(),
            }));
            if let Some(invalidation) = &cache.0.invalidation {
                invalidation.listen_for(name, Arc::downgrade(&cache.0));
            }
            by_name.insert(name.clone(), cache);
        }
        if let Some(invalidation) = &invalidation {
            invalidation.ensure_started();
        }
        Ok(Caches {
            by_name,
            default_expire: settings.default_expire,
            disable_header: HeaderName::from_bytes(settings.disable_cache_header.as_bytes()).ok(),
            single_flight_wait: Duration::from_millis(settings.single_flight_timeout_ms),
        })
    }

    /// The cache named `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&Cache> {
        self.by_name.get(name)
    }
}

/// The URL of the backend that carries `cache.invalidation_channel`: the one
/// `cache.invalidation_backend` names, or the only Redis one (settings validation
/// checked that there is one).
fn invalidation_url(settings: &CacheSettings) -> Result<&str, CacheFailure> {
    let mut redis = settings
        .backends
        .iter()
        .filter(|(name, url)| {
            !url.starts_with("memory://")
                && (settings.invalidation_backend.is_empty() || **name == settings.invalidation_backend)
        })
        .map(|(_, url)| url.as_str());
    redis.next().ok_or_else(|| {
        CacheFailure::new(
            "settings key `cache.invalidation_channel` needs a Redis backend to carry it \
             (`cache.invalidation_backend`)",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caches_come_from_settings() {
        let caches = Caches::from_settings(&CacheSettings::default()).unwrap();
        assert_eq!(caches.get("default").unwrap().url(), "memory://");
        assert!(caches.get("local").is_none());
    }
}
