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
    /// Cache backends by name, as URLs (`memory://`, `redis://host:port/db`).
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
        }
    }
}
