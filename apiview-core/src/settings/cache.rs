//! `[cache]`: the cache backends by name, and how `#[cache]` uses them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `[cache]` settings.
///
/// ```
/// let settings = apiview_core::Settings::from_toml_str("[cache]\ndefault_expire = 60").unwrap();
/// assert_eq!(settings.cache.default_expire, 60);
/// assert_eq!(settings.cache.backends["default"], "memory://");
/// assert_eq!(settings.cache.memory_max_bytes, 64 * 1024 * 1024);
/// let zero = apiview_core::Settings::from_toml_str("[cache]\nmemory_max_bytes = 0").unwrap_err();
/// assert!(zero.to_string().contains("cache.memory_max_bytes"));
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheSettings {
    /// Seconds a cached result lives when `#[cache]` names no `expire`.
    pub default_expire: u64,
    /// The request header that, set to `true`, skips the cache read.
    pub disable_cache_header: String,
    /// Cache backends by name, as URLs: `memory://`, `redis://host:port/db`,
    /// `redis+cluster://host:port,host:port/` (a Redis Cluster, named by some of its
    /// nodes) or `redis+sentinel://host:port,host:port/MASTER/db` (the master the
    /// Sentinels name, followed across failovers).
    pub backends: BTreeMap<String, String>,
    /// Most bytes each `memory://` backend holds (keys, values and 128 per entry);
    /// past it the entries least used are evicted.
    pub memory_max_bytes: u64,
    /// Longest wait for one backend operation, in milliseconds; a slower backend is
    /// a failure (a logged miss with `ignore_errors`).
    pub operation_timeout_ms: u64,
    /// Longest wait, in milliseconds, for a concurrent request computing the same
    /// key before computing it too.
    pub single_flight_timeout_ms: u64,
    /// Where concurrent misses on one key are computed once: `local` (in each
    /// instance) or `cluster` (once across every instance sharing a Redis backend,
    /// under a Redis lock; memory backends stay per instance). DESIGN §18.
    pub single_flight: SingleFlight,
    /// The lease of a `cluster` single-flight lock, in milliseconds: renewed while
    /// the computation runs, so that it only bounds how long a crashed instance's lock
    /// holds the others up.
    pub single_flight_lease_ms: u64,
    /// The Redis pub/sub channel that carries invalidations (`set`, `delete`,
    /// `delete_pattern`, `invalidate`) of `memory://` backends and near caches to every
    /// instance; empty: none (each instance's memory stays its own).
    pub invalidation_channel: String,
    /// The Redis backend (a name of `backends`) that carries `invalidation_channel`;
    /// empty: the only Redis backend.
    pub invalidation_backend: String,
    /// Near caches: a Redis backend's name, and the seconds (at most) a value read
    /// from it is kept in this instance's memory in front of it. Needs
    /// `invalidation_channel`, which keeps them coherent.
    pub near: BTreeMap<String, u64>,
}

/// Where concurrent misses on one key are computed once (`cache.single_flight`).
///
/// ```
/// use apiview_core::settings::SingleFlight;
///
/// let settings = apiview_core::Settings::from_toml_str("[cache]\nsingle_flight = 'cluster'").unwrap();
/// assert_eq!(settings.cache.single_flight, SingleFlight::Cluster);
/// let bad = apiview_core::Settings::from_toml_str("[cache]\nsingle_flight = 'global'").unwrap_err();
/// assert!(bad.to_string().contains("single_flight"), "{bad}");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SingleFlight {
    /// In each instance.
    #[default]
    Local,
    /// Across the instances sharing a Redis backend.
    Cluster,
}

impl Default for CacheSettings {
    fn default() -> Self {
        CacheSettings {
            default_expire: 300,
            disable_cache_header: "Disable-Cache".into(),
            backends: BTreeMap::from([("default".into(), "memory://".into())]),
            memory_max_bytes: 64 * 1024 * 1024,
            operation_timeout_ms: 250,
            single_flight_timeout_ms: 10_000,
            single_flight: SingleFlight::Local,
            single_flight_lease_ms: 5_000,
            invalidation_channel: String::new(),
            invalidation_backend: String::new(),
            near: BTreeMap::new(),
        }
    }
}
