//! `redis://host:port/db`: one multiplexed, auto-reconnecting connection per backend
//! (redis's `ConnectionManager`), shared by every request. Every operation is bounded
//! by `cache.operation_timeout_ms`, so a Redis that accepts connections and never
//! answers slows a request by that much at most.

use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

use super::{CacheBackend, CacheFailure};

/// Keys asked per SCAN round of `delete_pattern`.
const SCAN_COUNT: usize = 500;

/// The backend of `redis://` URLs.
///
/// Not run as a test: it needs a Redis server at that address.
///
/// ```no_run
/// use std::time::Duration;
/// use apiview_core::cache::{CacheBackend, RedisBackend};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let cache = RedisBackend::new("redis://127.0.0.1:6379/0", Duration::from_millis(250)).unwrap();
/// cache.set("k", "1".into(), Duration::from_secs(60)).await.unwrap();
/// assert_eq!(cache.get("k").await.unwrap().as_deref(), Some(&b"1"[..]));
/// # });
/// ```
pub struct RedisBackend {
    client: redis::Client,
    connection: OnceCell<ConnectionManager>,
    timeout: Duration,
}

impl RedisBackend {
    /// A backend for `url`; connects on first use (and reconnects by itself).
    pub fn new(url: &str, timeout: Duration) -> Result<Self, CacheFailure> {
        let client = redis::Client::open(url)
            .map_err(|err| CacheFailure::new(format!("bad Redis URL `{url}`: {err}")))?;
        Ok(RedisBackend {
            client,
            connection: OnceCell::new(),
            timeout,
        })
    }

    async fn connection(&self) -> Result<ConnectionManager, CacheFailure> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(1));
        let connect = self
            .connection
            .get_or_try_init(|| self.client.get_connection_manager_with_config(config));
        match tokio::time::timeout(self.timeout, connect).await {
            Ok(Ok(connection)) => Ok(connection.clone()),
            Ok(Err(err)) => Err(CacheFailure::new(format!("cannot connect to Redis: {err}"))),
            Err(_) => Err(CacheFailure::new("connecting to Redis timed out")),
        }
    }

    async fn query<T: redis::FromRedisValue>(&self, command: &redis::Cmd) -> Result<T, CacheFailure> {
        let mut connection = self.connection().await?;
        match tokio::time::timeout(self.timeout, command.query_async::<T>(&mut connection)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(CacheFailure::new(format!("Redis failed: {err}"))),
            Err(_) => Err(CacheFailure::new(format!(
                "Redis did not answer within {:?}",
                self.timeout
            ))),
        }
    }
}

impl CacheBackend for RedisBackend {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Bytes>, CacheFailure>> {
        Box::pin(async move {
            let value: Option<Vec<u8>> = self.query(redis::cmd("GET").arg(key)).await?;
            Ok(value.map(Bytes::from))
        })
    }

    fn set<'a>(
        &'a self,
        key: &'a str,
        value: Bytes,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), CacheFailure>> {
        Box::pin(async move {
            // Value and expiry in one command: no key is ever left without a TTL.
            let seconds = ttl.as_secs().max(1);
            self.query::<()>(redis::cmd("SET").arg(key).arg(&value[..]).arg("EX").arg(seconds))
                .await
        })
    }

    fn add<'a>(
        &'a self,
        key: &'a str,
        value: Bytes,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, CacheFailure>> {
        Box::pin(async move {
            // SET NX EX: one command, atomic across every instance sharing this Redis.
            let seconds = ttl.as_secs().max(1);
            let stored: Option<String> = self
                .query(
                    redis::cmd("SET")
                        .arg(key)
                        .arg(&value[..])
                        .arg("NX")
                        .arg("EX")
                        .arg(seconds),
                )
                .await?;
            Ok(stored.is_some())
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, CacheFailure>> {
        Box::pin(async move {
            let removed: u64 = self.query(redis::cmd("UNLINK").arg(key)).await?;
            Ok(removed > 0)
        })
    }

    fn delete_pattern<'a>(&'a self, pattern: &'a str) -> BoxFuture<'a, Result<u64, CacheFailure>> {
        Box::pin(async move {
            // SCAN, never KEYS: KEYS blocks the server for the whole keyspace.
            let mut cursor: u64 = 0;
            let mut removed = 0;
            loop {
                let (next, keys): (u64, Vec<Vec<u8>>) = self
                    .query(
                        redis::cmd("SCAN")
                            .arg(cursor)
                            .arg("MATCH")
                            .arg(pattern)
                            .arg("COUNT")
                            .arg(SCAN_COUNT),
                    )
                    .await?;
                if !keys.is_empty() {
                    removed += self.query::<u64>(redis::cmd("UNLINK").arg(keys)).await?;
                }
                if next == 0 {
                    return Ok(removed);
                }
                cursor = next;
            }
        })
    }
}
