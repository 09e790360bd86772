//! `memory://`: an embedded cache, each entry with its own time to live.
//!
//! A sharded concurrent map (dashmap): a hit takes one shard's read lock and reads
//! the clock, nothing more, so a hit stays cheaper than computing most results.
//! (moka was tried first: its per-read bookkeeping made a hit under 32 concurrent
//! connections slower than an uncached endpoint.)

use std::time::{Duration, Instant};

use bytes::Bytes;
use dashmap::DashMap;
use futures_util::future::BoxFuture;

use super::{glob_match, CacheBackend, CacheFailure};

/// Entries kept at most: past it, expired entries go first, then arbitrary ones.
const MAX_ENTRIES: usize = 100_000;

struct Entry {
    value: Bytes,
    expires: Instant,
    /// Stored by [`CacheBackend::add`] (a replay window's nonce): never evicted
    /// before it expires, since forgetting it early would let a replay through.
    pinned: bool,
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
    entries: DashMap<String, Entry>,
    max_entries: usize,
}

impl MemoryBackend {
    /// An empty cache.
    pub fn new() -> Self {
        MemoryBackend::with_capacity(MAX_ENTRIES)
    }

    /// An empty cache holding at most `max_entries` entries.
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
        MemoryBackend {
            entries: DashMap::new(),
            max_entries: max_entries.max(1),
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

    /// Drops expired entries, then, if still full, a tenth of the live ones that are
    /// not pinned; whether there is room now.
    fn make_room(&self) -> bool {
        let now = Instant::now();
        self.entries.retain(|_, entry| entry.expires > now);
        let excess = self.entries.len().saturating_sub(self.max_entries - 1);
        if excess > 0 {
            // Still full of live entries: drop a tenth (at least the excess).
            let victims: Vec<String> = self
                .entries
                .iter()
                .filter(|entry| !entry.pinned)
                .take(excess.max(self.max_entries / 10))
                .map(|entry| entry.key().clone())
                .collect();
            for key in victims {
                self.entries.remove(&key);
            }
        }
        self.entries.len() < self.max_entries
    }
}

impl Default for MemoryBackend {
    fn default() -> Self {
        MemoryBackend::new()
    }
}

impl MemoryBackend {
    fn lookup(&self, key: &str) -> Option<Bytes> {
        match self.entries.get(key) {
            Some(entry) if entry.expires > Instant::now() => Some(entry.value.clone()),
            Some(entry) => {
                drop(entry);
                self.entries
                    .remove_if(key, |_, entry| entry.expires <= Instant::now());
                None
            }
            None => None,
        }
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
        // Checked here, once, so that no hit needs checking (`stores_only_json`).
        if !super::is_json(&value) {
            return Box::pin(async move { Err(CacheFailure::not_json(key)) });
        }
        if self.entries.len() >= self.max_entries && !self.entries.contains_key(key) {
            self.make_room();
        }
        self.entries.insert(
            key.to_owned(),
            Entry {
                value,
                expires: Instant::now() + ttl,
                pinned: false,
            },
        );
        Box::pin(async { Ok(()) })
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
        if self.entries.len() >= self.max_entries && !self.entries.contains_key(key) && !self.make_room() {
            return Box::pin(async move {
                Err(CacheFailure::new(format!(
                    "cannot add `{key}`: the memory backend is full of entries that must not be evicted"
                )))
            });
        }
        let now = Instant::now();
        // The shard's write lock is held from the look to the insert: atomic.
        let added = match self.entries.entry(key.to_owned()) {
            dashmap::Entry::Occupied(entry) if entry.get().expires > now => false,
            dashmap::Entry::Occupied(mut entry) => {
                entry.insert(Entry {
                    value,
                    expires: now + ttl,
                    pinned: true,
                });
                true
            }
            dashmap::Entry::Vacant(entry) => {
                entry.insert(Entry {
                    value,
                    expires: now + ttl,
                    pinned: true,
                });
                true
            }
        };
        Box::pin(async move { Ok(added) })
    }

    fn stores_only_json(&self) -> bool {
        true
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, CacheFailure>> {
        let removed = self.entries.remove(key).is_some();
        Box::pin(async move { Ok(removed) })
    }

    fn delete_pattern<'a>(&'a self, pattern: &'a str) -> BoxFuture<'a, Result<u64, CacheFailure>> {
        let mut removed = 0;
        self.entries.retain(|key, _| {
            let matches = glob_match(pattern, key);
            removed += u64::from(matches);
            !matches
        });
        Box::pin(async move { Ok(removed) })
    }
}
