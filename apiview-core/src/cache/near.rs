//! A near cache (`cache.near`, DESIGN §18): this instance's memory in front of a Redis
//! backend. A read it holds costs no round trip; every write and delete goes to Redis
//! first, and every instance drops its copy when told over
//! `cache.invalidation_channel` (the handle publishes, [`super::invalidation`]
//! listens).
//!
//! A read that misses fills the memory only if no invalidation arrived while Redis was
//! answering it (the epoch did not move): otherwise a value read just before another
//! instance's write could be kept after that write's invalidation was applied.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;

use super::{
    is_json, Admission, CacheBackend, CacheFailure, FenceToken, FlightTurn, Forget, MemoryBackend,
    RedisBackend, ThrottleCounter,
};

/// Memory in front of Redis.
///
/// Not run as a test: it needs a Redis server.
///
/// ```no_run
/// use std::time::Duration;
/// use apiview_core::cache::{CacheBackend, MemoryBackend, NearBackend, RedisBackend};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let far = RedisBackend::new("redis://127.0.0.1:6379/0", Duration::from_millis(250)).unwrap();
/// let near = NearBackend::new(MemoryBackend::new(), far, Duration::from_secs(5));
/// near.set("k", "1".into(), Duration::from_secs(60)).await.unwrap();
/// assert!(near.get_now("k").is_some(), "kept near for up to 5 s");
/// # });
/// ```
pub struct NearBackend {
    near: MemoryBackend,
    far: RedisBackend,
    /// The longest a value is kept near.
    near_ttl: Duration,
    /// Invalidations applied so far.
    epoch: AtomicU64,
}

impl NearBackend {
    /// `near` in front of `far`, keeping values near for at most `near_ttl`.
    pub fn new(near: MemoryBackend, far: RedisBackend, near_ttl: Duration) -> Self {
        NearBackend {
            near,
            far,
            near_ttl,
            epoch: AtomicU64::new(0),
        }
    }

    /// The Redis backend behind the memory.
    ///
    /// ```
    /// use std::time::Duration;
    /// use apiview_core::cache::{CacheBackend, MemoryBackend, NearBackend, RedisBackend};
    ///
    /// // Connects on first use: building needs no server.
    /// let far = RedisBackend::new("redis://127.0.0.1:6379/0", Duration::from_millis(250)).unwrap();
    /// let near = NearBackend::new(MemoryBackend::new(), far, Duration::from_secs(5));
    /// assert!(near.far().shares_flights());
    /// assert!(near.keeps_locally() && !near.far().keeps_locally());
    /// ```
    pub fn far(&self) -> &RedisBackend {
        &self.far
    }

    fn keep_near(&self, key: &str, value: &Bytes, ttl: Duration) {
        // A value that is not JSON is not kept (the handle refuses it on the way out).
        let _ = self.near.store(key, value, ttl.min(self.near_ttl));
    }
}

impl CacheBackend for NearBackend {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Bytes>, CacheFailure>> {
        Box::pin(async move {
            if let Some(Ok(Some(value))) = self.near.get_now(key) {
                return Ok(Some(value));
            }
            let epoch = self.epoch.load(Ordering::Acquire);
            let value = self.far.get(key).await?;
            if let Some(value) = &value {
                // Checked once here, so that a near hit is not checked again.
                if !is_json(value) {
                    return Err(CacheFailure::not_json(key));
                }
                if self.epoch.load(Ordering::Acquire) == epoch {
                    self.keep_near(key, value, self.near_ttl);
                }
            }
            Ok(value)
        })
    }

    fn get_now(&self, key: &str) -> Option<Result<Option<Bytes>, CacheFailure>> {
        match self.near.get_now(key) {
            Some(Ok(Some(value))) => Some(Ok(Some(value))),
            // Not near: Redis may have it.
            _ => None,
        }
    }

    fn set<'a>(
        &'a self,
        key: &'a str,
        value: Bytes,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), CacheFailure>> {
        Box::pin(async move {
            self.far.set(key, value.clone(), ttl).await?;
            self.keep_near(key, &value, ttl);
            Ok(())
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, CacheFailure>> {
        Box::pin(async move {
            self.forget_locally(Forget::Key(key));
            self.far.delete(key).await
        })
    }

    fn delete_pattern<'a>(&'a self, pattern: &'a str) -> BoxFuture<'a, Result<u64, CacheFailure>> {
        Box::pin(async move {
            self.forget_locally(Forget::Pattern(pattern));
            self.far.delete_pattern(pattern).await
        })
    }

    fn add<'a>(
        &'a self,
        key: &'a str,
        value: Bytes,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, CacheFailure>> {
        self.far.add(key, value, ttl)
    }

    fn throttle<'a>(
        &'a self,
        counters: &'a [ThrottleCounter<'a>],
    ) -> BoxFuture<'a, Result<Admission, CacheFailure>> {
        self.far.throttle(counters)
    }

    fn keeps_locally(&self) -> bool {
        true
    }

    /// What [`CacheBackend::get`] answers was checked: near values when they were
    /// kept, Redis's as they arrive.
    fn stores_only_json(&self) -> bool {
        true
    }

    fn forget_locally(&self, what: Forget<'_>) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.near.forget_locally(what);
    }

    fn shares_flights(&self) -> bool {
        true
    }

    fn flight<'a>(
        &'a self,
        key: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<FlightTurn, CacheFailure>> {
        Box::pin(async move {
            match self.far.flight(key, lease).await? {
                // As `get` does: what this backend answers is checked JSON.
                FlightTurn::Stored(value) if !is_json(&value) => Err(CacheFailure::not_json(key)),
                turn => Ok(turn),
            }
        })
    }

    fn renew_flight<'a>(
        &'a self,
        key: &'a str,
        token: &'a FenceToken,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool, CacheFailure>> {
        self.far.renew_flight(key, token, lease)
    }

    fn land_flight<'a>(
        &'a self,
        key: &'a str,
        token: &'a FenceToken,
        value: Option<(Bytes, Duration)>,
    ) -> BoxFuture<'a, Result<bool, CacheFailure>> {
        Box::pin(async move {
            let kept = value.clone();
            let landed = self.far.land_flight(key, token, value).await?;
            if let (true, Some((value, ttl))) = (landed, kept) {
                self.keep_near(key, &value, ttl);
            }
            Ok(landed)
        })
    }
}
