//! Result caching (`#[cache]`) below the request: the backend contract
//! ([`CacheBackend`], with `memory://` and `redis://` built in), the handles that read,
//! write and invalidate entries ([`Cache`], one per `[cache] backends` entry of an
//! App), the keys, and the single-flight table. Nothing here knows a request or an
//! endpoint: the phases that look results up and store them are the serving layer's.

mod epoch;
mod flight;
mod handle;
mod invalidation;
mod key;
mod key_writer;
mod memory;
mod near;
mod redis;
mod template;
mod throttle;

use std::fmt;
use std::future::ready;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use serde::de::IgnoredAny;

pub(crate) use self::flight::{Joined, Leader, Shared as SharedFlight};
pub(crate) use self::handle::Caches;
pub use self::handle::{Cache, ErasedKeyPart};
pub use self::key::{fill_key, key_part, push_key_part, KeyPartError};
pub use self::memory::MemoryBackend;
pub use self::near::NearBackend;
pub use self::redis::RedisBackend;
pub(crate) use self::template::{fill, glob_match};
pub use self::throttle::{gcra, Admission, Limit, ThrottleCounter};

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

    /// Counts a request against throttle counters (DESIGN §13), atomically: the
    /// request is admitted when every counter admits it, and then each counts it; a
    /// refusal counts it in none, so that a request refused by a daily rate does not
    /// use up a burst rate's allowance. Of concurrent checks of one counter (from any
    /// instance sharing the backend), exactly its allowance is admitted. Each
    /// counter is one value per key ([`gcra`]), kept no longer than it matters.
    ///
    /// The default fails, naming the first key: `throttle.fail_closed` then
    /// decides whether requests pass.
    ///
    /// ```
    /// use std::time::Duration;
    /// use apiview_core::cache::{Admission, CacheBackend, Limit, MemoryBackend, ThrottleCounter};
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let backend = MemoryBackend::new();
    /// let counter = [ThrottleCounter { key: "t:ip:1.2.3.4", limit: Limit::new(2, Duration::from_secs(60)) }];
    /// assert_eq!(backend.throttle(&counter).await.unwrap(), Admission::Admitted);
    /// assert_eq!(backend.throttle(&counter).await.unwrap(), Admission::Admitted);
    /// let refused = backend.throttle(&counter).await.unwrap();
    /// assert_eq!(refused.retry_after_seconds(), Some(30));
    /// # });
    /// ```
    fn throttle<'a>(
        &'a self,
        counters: &'a [ThrottleCounter<'a>],
    ) -> BoxFuture<'a, Result<Admission, CacheFailure>> {
        let key = counters.first().map_or("", |counter| counter.key);
        Box::pin(ready(Err(CacheFailure::new(format!(
            "this backend cannot count `{key}` for a throttle (implement CacheBackend::throttle)"
        )))))
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

    /// Whether this backend keeps values in this instance's memory (`memory://`, a
    /// near cache): other instances' invalidations then reach it through
    /// `cache.invalidation_channel` ([`CacheBackend::forget_locally`]). `false`, the
    /// default: what it holds is shared.
    ///
    /// ```
    /// use apiview_core::cache::{CacheBackend, MemoryBackend};
    ///
    /// assert!(MemoryBackend::new().keeps_locally());
    /// ```
    fn keeps_locally(&self) -> bool {
        false
    }

    /// Drops what this instance keeps in memory of `what`, because another instance
    /// invalidated it (or, for [`Forget::Everything`], because invalidations may have
    /// been missed). Nonces and throttle counters stay. The default does nothing.
    ///
    /// ```
    /// use std::time::Duration;
    /// use apiview_core::cache::{CacheBackend, Forget, MemoryBackend};
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let backend = MemoryBackend::new();
    /// backend.set("note:a", "1".into(), Duration::from_secs(60)).await.unwrap();
    /// backend.add("nonce:1", "1".into(), Duration::from_secs(60)).await.unwrap();
    /// backend.forget_locally(Forget::Everything);
    /// assert_eq!(backend.get("note:a").await.unwrap(), None);
    /// assert!(!backend.add("nonce:1", "1".into(), Duration::from_secs(60)).await.unwrap());
    /// # });
    /// ```
    fn forget_locally(&self, what: Forget<'_>) {
        let _ = what;
    }

    /// Whether single flight across instances (`cache.single_flight = "cluster"`) can
    /// run on this backend: [`CacheBackend::flight`] and the two after it work. The
    /// Redis backends' do; the default is `false`, and concurrent misses are then
    /// computed once per instance.
    ///
    /// ```
    /// use apiview_core::cache::{CacheBackend, MemoryBackend};
    ///
    /// assert!(!MemoryBackend::new().shares_flights());
    /// ```
    fn shares_flights(&self) -> bool {
        false
    }

    /// A miss's turn in the flight on `key` shared by every instance (DESIGN §18):
    /// the value, if stored by now; else the flight's lock, when nobody holds it,
    /// with a lease of `lease` and a fresh [`FenceToken`]; else wait. Atomic: of
    /// concurrent calls, one gets the lock.
    ///
    /// The default fails; see [`CacheBackend::shares_flights`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use apiview_core::cache::{CacheBackend, MemoryBackend};
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let refused = MemoryBackend::new().flight("square:7", Duration::from_secs(5)).await.unwrap_err();
    /// assert!(refused.to_string().contains("cannot share the flight on `square:7`"));
    /// # });
    /// ```
    fn flight<'a>(
        &'a self,
        key: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<FlightTurn, CacheFailure>> {
        let _ = lease;
        Box::pin(ready(Err(CacheFailure::new(format!(
            "this backend cannot share the flight on `{key}` (implement CacheBackend::flight)"
        )))))
    }

    /// Extends the lease of the flight on `key` while `token` still holds it; whether
    /// it does. The default fails.
    ///
    /// ```
    /// use std::time::Duration;
    /// use apiview_core::cache::{CacheBackend, FenceToken, MemoryBackend};
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let token = FenceToken::new("1:ab");
    /// assert!(MemoryBackend::new().renew_flight("k", &token, Duration::from_secs(5)).await.is_err());
    /// # });
    /// ```
    fn renew_flight<'a>(
        &'a self,
        key: &'a str,
        token: &'a FenceToken,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool, CacheFailure>> {
        let _ = (token, lease);
        Box::pin(ready(Err(CacheFailure::new(format!(
            "this backend cannot renew the flight on `{key}` (implement CacheBackend::renew_flight)"
        )))))
    }

    /// Ends the flight on `key` that `token` holds: stores `value` for its time to
    /// live, if any, and releases the lock, both only while `token` still holds it
    /// (a holder whose lease ran out writes nothing); whether it did. The default
    /// fails.
    ///
    /// ```
    /// use apiview_core::cache::{CacheBackend, FenceToken, MemoryBackend};
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let token = FenceToken::new("1:ab");
    /// assert!(MemoryBackend::new().land_flight("k", &token, None).await.is_err());
    /// # });
    /// ```
    fn land_flight<'a>(
        &'a self,
        key: &'a str,
        token: &'a FenceToken,
        value: Option<(Bytes, Duration)>,
    ) -> BoxFuture<'a, Result<bool, CacheFailure>> {
        let _ = (token, value);
        Box::pin(ready(Err(CacheFailure::new(format!(
            "this backend cannot end the flight on `{key}` (implement CacheBackend::land_flight)"
        )))))
    }
}

/// What [`CacheBackend::forget_locally`] drops.
///
/// ```
/// use apiview_core::cache::Forget;
///
/// assert_ne!(Forget::Key("note:a"), Forget::Pattern("note:*"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forget<'a> {
    /// One key.
    Key(&'a str),
    /// The keys matching a Redis glob.
    Pattern(&'a str),
    /// Every cached value.
    Everything,
}

/// What [`CacheBackend::flight`] found.
///
/// ```
/// use apiview_core::cache::{FenceToken, FlightTurn};
///
/// let turn = FlightTurn::Lead(FenceToken::new("7:3f2a"));
/// assert!(matches!(turn, FlightTurn::Lead(token) if token.number() == Some(7)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlightTurn {
    /// The value is stored: the miss reads it.
    Stored(Bytes),
    /// The miss holds the lock: it computes, then lands the flight.
    Lead(FenceToken),
    /// Another holds the lock: the miss waits and asks again.
    Wait,
    /// This key cannot be shared (see the backend): computed per instance.
    Unshared,
}

/// Proof of holding a flight's lock: the lock's fence number (one more for each
/// holder of that key's lock while it is contended) and a random part, as the lock
/// stores it. A holder whose lease ran out holds another token than the lock's, and
/// its write is refused.
///
/// ```
/// use apiview_core::cache::FenceToken;
///
/// let token = FenceToken::new("12:9c1e");
/// assert_eq!(token.number(), Some(12));
/// assert_eq!(token.as_str(), "12:9c1e");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FenceToken(String);

impl FenceToken {
    /// A token as the lock stores it.
    pub fn new(text: impl Into<String>) -> Self {
        FenceToken(text.into())
    }

    /// The token as the lock stores it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The fence number: how many holders the key's lock has had in this contention
    /// (since a flight on the key last landed).
    pub fn number(&self) -> Option<u64> {
        self.0.split(':').next()?.parse().ok()
    }
}

/// Whether `bytes` is one well-formed JSON value.
pub(crate) fn is_json(bytes: &[u8]) -> bool {
    serde_json::from_slice::<IgnoredAny>(bytes).is_ok()
}
