//! `redis://host:port/db`: one multiplexed, auto-reconnecting connection per backend
//! (redis's `ConnectionManager`), shared by every request. Every operation is bounded
//! by `cache.operation_timeout_ms`, so a Redis that accepts connections and never
//! answers slows a request by that much at most.

use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

use super::{Admission, CacheBackend, CacheFailure, ThrottleCounter};

/// Keys asked per SCAN round of `delete_pattern`.
const SCAN_COUNT: usize = 500;

/// GCRA over every counter of a throttle check (KEYS; ARGV: interval and count per
/// key), on Redis's own clock so that every instance sharing it agrees: one round
/// trip, atomic as every script is. Admitted: `{0, 0}`, each counter moved on and
/// kept until its TAT; refused: `{1, wait_us}`, none moved. TATs are written with
/// `%d`: `tostring` would round them to 14 digits.
const THROTTLE_SCRIPT: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local next = {}
local wait = -1
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i - 1])
  local count = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or '') or now
  if tat < now then tat = now end
  local new_tat = tat + interval
  local allowed_at = new_tat - interval * count
  if allowed_at > now then
    if allowed_at - now > wait then wait = allowed_at - now end
  end
  next[i] = new_tat
end
if wait >= 0 then return {1, wait} end
for i = 1, #KEYS do
  local ttl = math.ceil((next[i] - now) / 1000)
  if ttl < 1 then ttl = 1 end
  redis.call('SET', KEYS[i], string.format('%d', next[i]), 'PX', ttl)
end
return {0, 0}
"#;

/// The script's SHA-1, for EVALSHA: the script travels once per Redis (after a
/// restart, the first check sends it again).
fn throttle_script_sha() -> &'static str {
    static SHA: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SHA.get_or_init(|| {
        use sha1::Digest;
        sha1::Sha1::digest(THROTTLE_SCRIPT.as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    })
}

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
        match self.try_query(command).await? {
            Ok(value) => Ok(value),
            Err(err) => Err(CacheFailure::new(format!("Redis failed: {err}"))),
        }
    }

    /// A command's answer, or Redis's error as it came (the caller may handle
    /// some); a connection that fails or a Redis that does not answer in time is a
    /// failure.
    async fn try_query<T: redis::FromRedisValue>(
        &self,
        command: &redis::Cmd,
    ) -> Result<redis::RedisResult<T>, CacheFailure> {
        let mut connection = self.connection().await?;
        match tokio::time::timeout(self.timeout, command.query_async::<T>(&mut connection)).await {
            Ok(answer) => Ok(answer),
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

    fn throttle<'a>(
        &'a self,
        counters: &'a [ThrottleCounter<'a>],
    ) -> BoxFuture<'a, Result<Admission, CacheFailure>> {
        Box::pin(async move {
            let command = |call: &str, script: &str| {
                let mut command = redis::cmd(call);
                command.arg(script).arg(counters.len());
                for counter in counters {
                    command.arg(counter.key);
                }
                for counter in counters {
                    command.arg(counter.limit.interval_us()).arg(counter.limit.count);
                }
                command
            };
            let answer: redis::RedisResult<(u8, u64)> =
                self.try_query(&command("EVALSHA", throttle_script_sha())).await?;
            let (refused, wait_us) = match answer {
                Err(err) if err.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
                    self.query(&command("EVAL", THROTTLE_SCRIPT)).await?
                }
                Err(err) => return Err(CacheFailure::new(format!("Redis failed: {err}"))),
                Ok(answer) => answer,
            };
            Ok(if refused == 0 {
                Admission::Admitted
            } else {
                Admission::Refused {
                    retry_after: Duration::from_micros(wait_us),
                }
            })
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
