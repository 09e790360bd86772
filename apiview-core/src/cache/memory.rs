//! `memory://`: an embedded cache bounded by bytes, each entry with its own time to
//! live.
//!
//! On quick_cache: a hit takes one shard's read lock and bumps an atomic counter, no
//! more than the sharded map it replaced (dashmap), so a hit stays cheaper than an
//! uncached endpoint; a write evicts the entries least worth keeping (S3-FIFO, CLOCK)
//! until the weights fit `cache.memory_max_bytes`. (moka was tried first: its per-read
//! bookkeeping made a hit under 32 concurrent connections slower than an uncached
//! endpoint.)

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::future::BoxFuture;

use super::throttle::gcra_all;
use super::{glob_match, Admission, CacheBackend, CacheFailure, Forget, ThrottleCounter};

/// `cache.memory_max_bytes` by default: 64 MiB (settings/cache.rs says the same).
const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Shards of the cache; each holds a sixteenth of the bytes, so an entry larger than
/// that is not kept.
const SHARDS: usize = 16;

/// What an entry costs beyond its key and value: the map's slot, the entry's links and
/// the two allocations' headers, rounded up. Also what keeps a flood of tiny entries
/// bounded.
const ENTRY_OVERHEAD: u64 = 128;

/// Locks over throttle counters, a key's lock picked by its hash: a check reads,
/// decides and writes its counters under their locks, so that concurrent checks of
/// one counter are counted one after the other.
const THROTTLE_LOCKS: usize = 64;

/// What makes a throttle check's read, decision and write one step.
struct ThrottleLocks {
    locks: Box<[Mutex<()>]>,
    hasher: std::collections::hash_map::RandomState,
    /// The clock throttle counters are kept on.
    epoch: Instant,
}

impl ThrottleLocks {
    fn new() -> Self {
        ThrottleLocks {
            locks: (0..THROTTLE_LOCKS).map(|_| Mutex::new(())).collect(),
            hasher: Default::default(),
            epoch: Instant::now(),
        }
    }

    fn now_us(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

#[derive(Clone)]
struct Entry {
    value: Bytes,
    expires: Instant,
    /// Stored by [`CacheBackend::add`] (a replay window's nonce): never evicted
    /// before it expires, since forgetting it early would let a replay through.
    pinned: bool,
    /// A cached value (stored by [`CacheBackend::set`]): what an invalidation of
    /// everything drops, unlike nonces and throttle counters.
    cached: bool,
}

/// Keeps the entries [`CacheBackend::add`] stored out of eviction.
#[derive(Clone, Default)]
struct Pins;

impl quick_cache::Lifecycle<String, Entry> for Pins {
    type RequestState = ();

    fn is_pinned(&self, _key: &String, entry: &Entry) -> bool {
        entry.pinned
    }

    fn on_evict(&self, _state: &mut (), _key: String, _entry: Entry) {}
}

/// An entry's weight: its bytes, or 1 for a cache bounded by count.
#[derive(Clone)]
struct Weigh {
    by_bytes: bool,
}

impl quick_cache::Weighter<String, Entry> for Weigh {
    fn weight(&self, key: &String, entry: &Entry) -> u64 {
        if self.by_bytes {
            (key.len() + entry.value.len()) as u64 + ENTRY_OVERHEAD
        } else {
            1
        }
    }
}

/// The embedded backend of `memory://` URLs.
///
/// ```
/// use std::time::Duration;
/// use apiview_core::cache::{CacheBackend, MemoryBackend};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let cache = MemoryBackend::new();
/// cache.set("k", "1".into(), Duration::from_secs(60)).await.unwrap();
/// assert_eq!(cache.get("k").await.unwrap().as_deref(), Some(&b"1"[..]));
/// # });
/// ```
pub struct MemoryBackend {
    entries: quick_cache::sync::Cache<String, Entry, Weigh, quick_cache::DefaultHashBuilder, Pins>,
    throttle: ThrottleLocks,
}

impl MemoryBackend {
    /// An empty cache of at most 64 MiB, as `cache.memory_max_bytes` is by default.
    pub fn new() -> Self {
        MemoryBackend::with_max_bytes(DEFAULT_MAX_BYTES)
    }

    /// An empty cache holding at most `max_bytes` of keys and values, counting 128
    /// bytes more per entry for its bookkeeping. Past it, a write evicts the entries
    /// least used. The bytes are split among up to 16 shards, each bounded on its
    /// own: an entry larger than its shard's share (a sixteenth, for 64 MiB) is not
    /// kept.
    ///
    /// ```
    /// use std::time::Duration;
    /// use apiview_core::cache::{CacheBackend, MemoryBackend};
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = MemoryBackend::with_max_bytes(256 * 1024);
    /// let value = format!("\"{}\"", "x".repeat(1000));
    /// for n in 0..1000 {
    ///     cache.set(&format!("k:{n}"), value.clone().into(), Duration::from_secs(60)).await.unwrap();
    /// }
    /// assert!(cache.bytes() <= 256 * 1024);
    /// assert!(cache.len() < 1000);
    /// # });
    /// ```
    pub fn with_max_bytes(max_bytes: u64) -> Self {
        let max_bytes = max_bytes.max(1);
        MemoryBackend {
            entries: quick_cache::sync::Cache::with_options(
                quick_cache::OptionsBuilder::new()
                    .shards(SHARDS)
                    .estimated_items_capacity((max_bytes / 1024).max(64) as usize)
                    .weight_capacity(max_bytes)
                    .build()
                    .expect("every option is set"),
                Weigh { by_bytes: true },
                Default::default(),
                Default::default(),
            ),
            throttle: ThrottleLocks::new(),
        }
    }

    /// An empty cache holding at most `max_entries` entries, whatever their size.
    ///
    /// ```
    /// use std::time::Duration;
    /// use apiview_core::cache::{CacheBackend, MemoryBackend};
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = MemoryBackend::with_capacity(2);
    /// for key in ["a", "b", "c"] {
    ///     cache.set(key, "1".into(), Duration::from_secs(60)).await.unwrap();
    /// }
    /// assert!(cache.len() <= 2);
    /// # });
    /// ```
    pub fn with_capacity(max_entries: usize) -> Self {
        let max_entries = max_entries.max(1);
        MemoryBackend {
            entries: quick_cache::sync::Cache::with_options(
                quick_cache::OptionsBuilder::new()
                    .shards(1)
                    .estimated_items_capacity(max_entries)
                    .weight_capacity(max_entries as u64)
                    .build()
                    .expect("every option is set"),
                Weigh { by_bytes: false },
                Default::default(),
                Default::default(),
            ),
            throttle: ThrottleLocks::new(),
        }
    }

    /// Entries held (expired ones not yet dropped included).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes held, as the bound counts them: keys, values and 128 per entry (for a
    /// cache made [`with_capacity`](MemoryBackend::with_capacity), the entries).
    ///
    /// ```
    /// use std::time::Duration;
    /// use apiview_core::cache::{CacheBackend, MemoryBackend};
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = MemoryBackend::new();
    /// cache.set("k", "12".into(), Duration::from_secs(60)).await.unwrap();
    /// assert_eq!(cache.bytes(), 1 + 2 + 128);
    /// # });
    /// ```
    pub fn bytes(&self) -> u64 {
        self.entries.weight()
    }

    fn lookup(&self, key: &str) -> Option<Bytes> {
        let entry = self.entries.get(key)?;
        if entry.expires > Instant::now() {
            return Some(entry.value);
        }
        self.entries
            .remove_if(key, |entry| entry.expires <= Instant::now());
        None
    }
}

impl MemoryBackend {
    /// GCRA over `counters` under their locks (taken in one order, so that two checks
    /// never wait on each other). A counter is an ordinary entry holding its TAT as
    /// decimal microseconds, living until the TAT: a full memory backend may evict
    /// it early, which forgets that client's count (the bound wins over the count).
    fn count(&self, counters: &[ThrottleCounter<'_>]) -> Admission {
        let locks = &self.throttle;
        let mut held: Vec<usize> = counters
            .iter()
            .map(|counter| (locks.hasher.hash_one(counter.key) % THROTTLE_LOCKS as u64) as usize)
            .collect();
        held.sort_unstable();
        held.dedup();
        let _guards: Vec<_> = held
            .iter()
            .map(|at| locks.locks[*at].lock().unwrap_or_else(PoisonError::into_inner))
            .collect();
        let now = locks.now_us();
        let tats: Vec<Option<u64>> = counters
            .iter()
            .map(|counter| {
                self.lookup(counter.key)
                    .and_then(|value| std::str::from_utf8(&value).ok()?.parse().ok())
            })
            .collect();
        let limits: Vec<_> = counters.iter().map(|counter| counter.limit).collect();
        match gcra_all(&tats, now, &limits) {
            Err(retry_after) => Admission::Refused { retry_after },
            Ok(next) => {
                let at = Instant::now();
                for (counter, tat) in counters.iter().zip(next) {
                    self.entries.insert(
                        counter.key.to_owned(),
                        Entry {
                            value: Bytes::from(tat.to_string()),
                            expires: at + Duration::from_micros(tat - now),
                            pinned: false,
                            cached: false,
                        },
                    );
                }
                Admission::Admitted
            }
        }
    }
}

impl MemoryBackend {
    /// [`CacheBackend::set`], at once: a value that is not JSON is refused.
    pub(crate) fn store(&self, key: &str, value: &Bytes, ttl: Duration) -> Result<(), CacheFailure> {
        // Checked here, once, so that no hit needs checking (`stores_only_json`).
        if !super::is_json(value) {
            return Err(CacheFailure::not_json(key));
        }
        // A copy of exactly its length: the value may sit in a buffer twice its size
        // (a Vec grown while serializing), which the bound would not see.
        self.entries.insert(
            key.to_owned(),
            Entry {
                value: Bytes::copy_from_slice(value),
                expires: Instant::now() + ttl,
                pinned: false,
                cached: true,
            },
        );
        Ok(())
    }
}

impl Default for MemoryBackend {
    fn default() -> Self {
        MemoryBackend::new()
    }
}

impl CacheBackend for MemoryBackend {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Bytes>, CacheFailure>> {
        let found = self.lookup(key);
        Box::pin(async move { Ok(found) })
    }

    fn get_now(&self, key: &str) -> Option<Result<Option<Bytes>, CacheFailure>> {
        Some(Ok(self.lookup(key)))
    }

    fn set<'a>(
        &'a self,
        key: &'a str,
        value: Bytes,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), CacheFailure>> {
        let stored = self.store(key, &value, ttl);
        Box::pin(async move { stored })
    }

    fn add<'a>(
        &'a self,
        key: &'a str,
        value: Bytes,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, CacheFailure>> {
        if !super::is_json(&value) {
            return Box::pin(async move { Err(CacheFailure::not_json(key)) });
        }
        let now = Instant::now();
        self.entries.remove_if(key, |entry| entry.expires <= now);
        // The placeholder makes the look and the insert one step: of two adds of one
        // key at once, one inserts and the other finds its value.
        let added = match self.entries.get_value_or_guard(key, None) {
            quick_cache::sync::GuardResult::Guard(guard) => guard
                .insert(Entry {
                    value: Bytes::copy_from_slice(&value),
                    expires: now + ttl,
                    pinned: true,
                    cached: false,
                })
                .map(|()| true)
                .map_err(|_| {
                    CacheFailure::new(format!(
                        "cannot add `{key}`: larger than the memory backend's shard (cache.memory_max_bytes / 16)"
                    ))
                }),
            quick_cache::sync::GuardResult::Value(_) => Ok(false),
            quick_cache::sync::GuardResult::Timeout => Err(CacheFailure::new(format!(
                "cannot add `{key}`: another add of it did not finish"
            ))),
        };
        Box::pin(async move { added })
    }

    fn stores_only_json(&self) -> bool {
        true
    }

    fn throttle<'a>(
        &'a self,
        counters: &'a [ThrottleCounter<'a>],
    ) -> BoxFuture<'a, Result<Admission, CacheFailure>> {
        let admission = self.count(counters);
        Box::pin(async move { Ok(admission) })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, CacheFailure>> {
        let removed = self.entries.remove(key).is_some();
        Box::pin(async move { Ok(removed) })
    }

    fn delete_pattern<'a>(&'a self, pattern: &'a str) -> BoxFuture<'a, Result<u64, CacheFailure>> {
        let removed = self.remove_matching(pattern);
        Box::pin(async move { Ok(removed) })
    }

    fn keeps_locally(&self) -> bool {
        true
    }

    fn forget_locally(&self, what: Forget<'_>) {
        match what {
            Forget::Key(key) => {
                self.entries.remove(key);
            }
            Forget::Pattern(pattern) => {
                self.remove_matching(pattern);
            }
            Forget::Everything => self.entries.retain(|_, entry| !entry.cached),
        }
    }
}

impl MemoryBackend {
    /// Removes the entries whose keys match a Redis glob; how many.
    fn remove_matching(&self, pattern: &str) -> u64 {
        let removed = AtomicU64::new(0);
        self.entries.retain(|key, _| {
            let matches = glob_match(pattern, key);
            removed.fetch_add(u64::from(matches), Ordering::Relaxed);
            !matches
        });
        removed.into_inner()
    }
}
