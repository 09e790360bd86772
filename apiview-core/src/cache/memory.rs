//! `memory://`: an embedded cache (moka), each entry with its own time to live.

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use moka::future::Cache as Moka;
use moka::Expiry;

use super::{glob_match, CacheBackend, CacheFailure};

/// Entries kept at most; the least recently used go first.
const MAX_ENTRIES: u64 = 100_000;

#[derive(Clone)]
struct Entry {
    value: Bytes,
    ttl: Duration,
}

struct PerEntryTtl;

impl Expiry<String, Entry> for PerEntryTtl {
    fn expire_after_create(&self, _key: &String, entry: &Entry, _now: Instant) -> Option<Duration> {
        Some(entry.ttl)
    }

    fn expire_after_update(
        &self,
        _key: &String,
        entry: &Entry,
        _now: Instant,
        _current: Option<Duration>,
    ) -> Option<Duration> {
        Some(entry.ttl)
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
    entries: Moka<String, Entry>,
}

impl MemoryBackend {
    /// An empty cache.
    pub fn new() -> Self {
        MemoryBackend {
            entries: Moka::builder()
                .max_capacity(MAX_ENTRIES)
                .expire_after(PerEntryTtl)
                .build(),
        }
    }
}

impl Default for MemoryBackend {
    fn default() -> Self {
        MemoryBackend::new()
    }
}

impl CacheBackend for MemoryBackend {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Bytes>, CacheFailure>> {
        Box::pin(async move { Ok(self.entries.get(key).await.map(|entry| entry.value)) })
    }

    fn set<'a>(
        &'a self,
        key: &'a str,
        value: Bytes,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), CacheFailure>> {
        Box::pin(async move {
            self.entries.insert(key.to_owned(), Entry { value, ttl }).await;
            Ok(())
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, CacheFailure>> {
        Box::pin(async move { Ok(self.entries.remove(key).await.is_some()) })
    }

    fn delete_pattern<'a>(&'a self, pattern: &'a str) -> BoxFuture<'a, Result<u64, CacheFailure>> {
        Box::pin(async move {
            let matching: Vec<String> = self
                .entries
                .iter()
                .filter(|(key, _)| glob_match(pattern, key))
                .map(|(key, _)| key.as_ref().clone())
                .collect();
            let mut removed = 0;
            for key in matching {
                if self.entries.remove(&key).await.is_some() {
                    removed += 1;
                }
            }
            Ok(removed)
        })
    }
}
