//! The Redis backends: `redis://host:port/db` (one server), `redis+cluster://h:p,h:p/`
//! (a Redis Cluster) and `redis+sentinel://h:p,h:p/master/db` (a master that Sentinels
//! fail over), each over one multiplexed connection shared by every request
//! (`link`). Every operation is bounded by `cache.operation_timeout_ms`, so a Redis
//! that accepts connections and never answers slows a request by that much at most.
//!
//! On a cluster, each command names keys of one slot: a throttle check over counters
//! of several slots runs per slot (`throttle_in_slots`), a single-flight lock lives in
//! its key's slot (`flight_keys`), and `delete_pattern` scans every master.

mod link;

use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use redis::cluster_routing::Slot;

use self::link::{Link, Node};
use super::{Admission, CacheBackend, CacheFailure, FenceToken, FlightTurn, ThrottleCounter};

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

/// Gives back what an admitted throttle check counted (KEYS; ARGV: the interval per
/// key), when a later slot's counters refused the request: each TAT moves back one
/// interval. GCRA's state after `max(tat, now) + interval - interval` admits exactly
/// what it did before the check, so the refusal ends up counted in none.
const REFUND_SCRIPT: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
for i = 1, #KEYS do
  local tat = tonumber(redis.call('GET', KEYS[i]) or '')
  if tat then
    local back = tat - tonumber(ARGV[i])
    if back <= now then
      redis.call('DEL', KEYS[i])
    else
      redis.call('SET', KEYS[i], string.format('%d', back), 'PX', math.ceil((back - now) / 1000))
    end
  end
end
return 0
"#;

/// A single-flight turn (KEYS: value, lock, fence; ARGV: lease in ms, a random
/// nonce): the stored value `{1, value}`; else, when nobody holds the lock, the lock
/// taken with a fencing token (`{2, token}`: the fence's next number and the nonce);
/// else `{0, ''}`, wait. The fence counts the holders of one contention: it lives four
/// leases past the last, and a flight that lands removes it (so that keys computed
/// once leave nothing behind); the nonce keeps tokens of different contentions apart.
const FLIGHT_SCRIPT: &str = r#"
local v = redis.call('GET', KEYS[1])
if v then return {1, v} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {0, ''} end
local n = redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[1]) * 4)
local token = string.format('%d', n) .. ':' .. ARGV[2]
redis.call('SET', KEYS[2], token, 'PX', ARGV[1])
return {2, token}
"#;

/// Extends a lease still held (KEYS: lock; ARGV: token, lease in ms): 1, or 0 when
/// the lock is gone or another's.
const RENEW_SCRIPT: &str = r#"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"#;

/// Ends a flight (KEYS: value, lock, fence; ARGV: token, ttl in seconds, then the
/// value to store, if any): only while the lock still holds this token, so that a
/// holder whose lease ran out (paused, partitioned) neither overwrites a later holder's
/// value nor releases its lock. 1 when it landed, 0 when the lock was lost.
const LAND_SCRIPT: &str = r#"
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if #ARGV >= 3 then redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[2]) end
redis.call('DEL', KEYS[2], KEYS[3])
return 1
"#;

/// A Lua script and its SHA-1, for EVALSHA: a script travels once per Redis (after a
/// restart or a failover, the first call sends it again).
struct Script {
    text: &'static str,
    sha: std::sync::OnceLock<String>,
}

impl Script {
    const fn new(text: &'static str) -> Self {
        Script {
            text,
            sha: std::sync::OnceLock::new(),
        }
    }

    fn sha(&self) -> &str {
        self.sha.get_or_init(|| {
            use sha1::Digest;
            sha1::Sha1::digest(self.text.as_bytes())
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect()
        })
    }
}

static THROTTLE: Script = Script::new(THROTTLE_SCRIPT);
static REFUND: Script = Script::new(REFUND_SCRIPT);
static FLIGHT: Script = Script::new(FLIGHT_SCRIPT);
static RENEW: Script = Script::new(RENEW_SCRIPT);
static LAND: Script = Script::new(LAND_SCRIPT);

/// The backend of `redis://`, `redis+cluster://` and `redis+sentinel://` URLs.
///
/// Not run as a test: it needs a Redis server at that address.
///
/// ```no_run
/// use std::time::Duration;
/// use apiview_core::cache::{CacheBackend, RedisBackend};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let timeout = Duration::from_millis(250);
/// let cache = RedisBackend::new("redis://127.0.0.1:6379/0", timeout).unwrap();
/// cache.set("k", "1".into(), Duration::from_secs(60)).await.unwrap();
/// assert_eq!(cache.get("k").await.unwrap().as_deref(), Some(&b"1"[..]));
/// // A cluster is named by some of its nodes; the others are learnt from them.
/// let cluster = RedisBackend::new("redis+cluster://10.0.0.1:7000,10.0.0.2:7000/", timeout).unwrap();
/// // Sentinels are named with the master they watch and the database.
/// let failover = RedisBackend::new("redis+sentinel://10.0.0.1:26379,10.0.0.2:26379/main/0", timeout).unwrap();
/// # });
/// ```
pub struct RedisBackend {
    link: Link,
    timeout: Duration,
}

impl RedisBackend {
    /// A backend for `url`; connects on first use (and reconnects by itself). A URL
    /// that is not one of the three shapes is refused, saying what to write.
    ///
    /// ```
    /// use std::time::Duration;
    /// use apiview_core::cache::RedisBackend;
    ///
    /// let timeout = Duration::from_millis(250);
    /// assert!(RedisBackend::new("redis+sentinel://10.0.0.1:26379/main/0", timeout).is_ok());
    /// let refused = RedisBackend::new("redis+cluster://10.0.0.1:7000/3", timeout).err().unwrap();
    /// assert!(refused.to_string().contains("only database 0"), "{refused}");
    /// ```
    pub fn new(url: &str, timeout: Duration) -> Result<Self, CacheFailure> {
        Ok(RedisBackend {
            link: Link::open(url, timeout)?,
            timeout,
        })
    }

    async fn query<T: redis::FromRedisValue>(&self, command: &redis::Cmd) -> Result<T, CacheFailure> {
        match self.link.query(command, self.timeout).await? {
            Ok(value) => Ok(value),
            Err(err) => Err(CacheFailure::new(format!("Redis failed: {err}"))),
        }
    }

    /// Runs a script by its SHA-1, sending its text when this Redis does not know it.
    async fn eval<T: redis::FromRedisValue>(
        &self,
        script: &Script,
        keys: &[&str],
        args: &[&[u8]],
    ) -> Result<T, CacheFailure> {
        let command = |call: &str, script: &str| {
            let mut command = redis::cmd(call);
            command.arg(script).arg(keys.len()).arg(keys);
            for arg in args {
                command.arg(*arg);
            }
            command
        };
        let answer = self
            .link
            .query(&command("EVALSHA", script.sha()), self.timeout)
            .await?;
        match answer {
            Err(err) if err.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
                self.query(&command("EVAL", script.text)).await
            }
            Err(err) => Err(CacheFailure::new(format!("Redis failed: {err}"))),
            Ok(answer) => Ok(answer),
        }
    }

    /// Clients of the servers that carry this backend's pub/sub messages, to try in
    /// turn (cache invalidation, DESIGN §18).
    pub(crate) async fn subscribable(&self) -> Result<Vec<redis::Client>, CacheFailure> {
        self.link.subscribable().await
    }

    /// Publishes `message` on `channel`; on a cluster it reaches every node.
    pub(crate) async fn publish(&self, channel: &str, message: &[u8]) -> Result<(), CacheFailure> {
        self.query::<i64>(redis::cmd("PUBLISH").arg(channel).arg(message))
            .await
            .map(drop)
    }

    /// GCRA over counters that may lie in several slots of a cluster: the counters of
    /// each slot are checked and counted together, slot after slot; when a slot
    /// refuses, the slots already counted are given back ([`REFUND_SCRIPT`]). Between
    /// the two, for the time of one round trip, a concurrent check may see the
    /// request counted.
    async fn throttle_in_slots(&self, counters: &[ThrottleCounter<'_>]) -> Result<Admission, CacheFailure> {
        let mut slots: Vec<(Slot, Vec<ThrottleCounter<'_>>)> = Vec::new();
        for counter in counters {
            let slot = Slot::for_key(counter.key);
            match slots.iter_mut().find(|(known, _)| *known == slot) {
                Some((_, group)) => group.push(*counter),
                None => slots.push((slot, vec![*counter])),
            }
        }
        for (at, (_, group)) in slots.iter().enumerate() {
            let admission = self.throttle_one_slot(group).await?;
            if admission != Admission::Admitted {
                for (_, counted) in &slots[..at] {
                    let keys: Vec<&str> = counted.iter().map(|counter| counter.key).collect();
                    let intervals: Vec<String> = counted
                        .iter()
                        .map(|counter| counter.limit.interval_us().to_string())
                        .collect();
                    let args: Vec<&[u8]> = intervals.iter().map(|arg| arg.as_bytes()).collect();
                    self.eval::<i64>(&REFUND, &keys, &args).await?;
                }
                return Ok(admission);
            }
        }
        Ok(Admission::Admitted)
    }

    /// GCRA over counters of one slot (or of one server): one script, atomic.
    async fn throttle_one_slot(&self, counters: &[ThrottleCounter<'_>]) -> Result<Admission, CacheFailure> {
        let keys: Vec<&str> = counters.iter().map(|counter| counter.key).collect();
        let numbers: Vec<String> = counters
            .iter()
            .flat_map(|counter| {
                [
                    counter.limit.interval_us().to_string(),
                    counter.limit.count.to_string(),
                ]
            })
            .collect();
        let args: Vec<&[u8]> = numbers.iter().map(|arg| arg.as_bytes()).collect();
        let (refused, wait_us): (u8, u64) = self.eval(&THROTTLE, &keys, &args).await?;
        Ok(if refused == 0 {
            Admission::Admitted
        } else {
            Admission::Refused {
                retry_after: Duration::from_micros(wait_us),
            }
        })
    }

    /// SCAN, never KEYS (KEYS blocks the server for the whole keyspace), then UNLINK,
    /// on one server or one master of a cluster.
    async fn delete_matching(&self, node: Option<&Node>, pattern: &str) -> Result<u64, CacheFailure> {
        let mut cursor: u64 = 0;
        let mut removed = 0;
        loop {
            let mut scan = redis::cmd("SCAN");
            scan.arg(cursor)
                .arg("MATCH")
                .arg(pattern)
                .arg("COUNT")
                .arg(SCAN_COUNT);
            let (next, keys): (u64, Vec<Vec<u8>>) = match node {
                Some(node) => self.link.query_on(node, &scan, self.timeout).await?,
                None => self.query(&scan).await?,
            };
            if !keys.is_empty() {
                // On a cluster, the connection splits a multi-key UNLINK by slot.
                removed += self.query::<u64>(redis::cmd("UNLINK").arg(keys)).await?;
            }
            if next == 0 {
                return Ok(removed);
            }
            cursor = next;
        }
    }
}

/// The lock and the fence counter of a single flight on `key`, in `key`'s slot: the
/// lock names `key` whole after a hash tag that hashes as `key` does (`key`'s own
/// tag, or `key` itself). `None` for the rare key no tag can follow (a `}` and no tag
/// of its own): it is then computed with single flight per instance only.
fn flight_keys(key: &str) -> Option<(String, String)> {
    let (lock, fence) = match hash_tag(key) {
        Some(tag) => (
            format!("apiview:flight:{{{tag}}}:{key}"),
            format!("apiview:fence:{{{tag}}}:{key}"),
        ),
        None => (
            format!("apiview:flight:{{{key}}}"),
            format!("apiview:fence:{{{key}}}"),
        ),
    };
    let slot = Slot::for_key(key);
    (Slot::for_key(&lock) == slot && Slot::for_key(&fence) == slot).then_some((lock, fence))
}

/// What Redis Cluster hashes of `key`: the text between the first `{` and the next
/// `}`, when not empty.
fn hash_tag(key: &str) -> Option<&str> {
    let open = key.find('{')?;
    let close = key[open + 1..].find('}')?;
    let tag = &key[open + 1..open + 1 + close];
    (!tag.is_empty()).then_some(tag)
}

/// The time to live of a value, in whole seconds (at least 1).
fn ttl_seconds(ttl: Duration) -> u64 {
    ttl.as_secs().max(1)
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
            self.query::<()>(
                redis::cmd("SET")
                    .arg(key)
                    .arg(&value[..])
                    .arg("EX")
                    .arg(ttl_seconds(ttl)),
            )
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
            let stored: Option<String> = self
                .query(
                    redis::cmd("SET")
                        .arg(key)
                        .arg(&value[..])
                        .arg("NX")
                        .arg("EX")
                        .arg(ttl_seconds(ttl)),
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
            if self.link.is_cluster() {
                self.throttle_in_slots(counters).await
            } else {
                self.throttle_one_slot(counters).await
            }
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
            if !self.link.is_cluster() {
                return self.delete_matching(None, pattern).await;
            }
            // A pattern whose hash tag holds no glob matches keys of one slot: only
            // that slot's master is scanned.
            if hash_tag(pattern).is_some_and(|tag| !tag.contains(['*', '?', '[', '\\'])) {
                let owner = Node::OwnerOf(pattern.to_owned());
                return self.delete_matching(Some(&owner), pattern).await;
            }
            let mut removed = 0;
            for master in self.link.masters(self.timeout).await? {
                removed += self.delete_matching(Some(&Node::Master(master)), pattern).await?;
            }
            Ok(removed)
        })
    }

    fn flight<'a>(
        &'a self,
        key: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<FlightTurn, CacheFailure>> {
        Box::pin(async move {
            let Some((lock, fence)) = flight_keys(key) else {
                return Ok(FlightTurn::Unshared);
            };
            let lease_ms = lease.as_millis().max(1).to_string();
            let nonce = format!("{:016x}", rand::random::<u64>());
            let (state, value): (u8, Vec<u8>) = self
                .eval(
                    &FLIGHT,
                    &[key, &lock, &fence],
                    &[lease_ms.as_bytes(), nonce.as_bytes()],
                )
                .await?;
            Ok(match state {
                1 => FlightTurn::Stored(Bytes::from(value)),
                2 => FlightTurn::Lead(FenceToken::new(String::from_utf8_lossy(&value).into_owned())),
                _ => FlightTurn::Wait,
            })
        })
    }

    fn renew_flight<'a>(
        &'a self,
        key: &'a str,
        token: &'a FenceToken,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool, CacheFailure>> {
        Box::pin(async move {
            let Some((lock, _)) = flight_keys(key) else {
                return Ok(false);
            };
            let lease_ms = lease.as_millis().max(1).to_string();
            let held: i64 = self
                .eval(
                    &RENEW,
                    &[&lock],
                    &[token.as_str().as_bytes(), lease_ms.as_bytes()],
                )
                .await?;
            Ok(held == 1)
        })
    }

    fn land_flight<'a>(
        &'a self,
        key: &'a str,
        token: &'a FenceToken,
        value: Option<(Bytes, Duration)>,
    ) -> BoxFuture<'a, Result<bool, CacheFailure>> {
        Box::pin(async move {
            let Some((lock, fence)) = flight_keys(key) else {
                return Ok(false);
            };
            let landed: i64 = match &value {
                Some((value, ttl)) => {
                    let seconds = ttl_seconds(*ttl).to_string();
                    self.eval(
                        &LAND,
                        &[key, &lock, &fence],
                        &[token.as_str().as_bytes(), seconds.as_bytes(), value],
                    )
                    .await?
                }
                None => {
                    self.eval(&LAND, &[key, &lock, &fence], &[token.as_str().as_bytes(), b"0"])
                        .await?
                }
            };
            Ok(landed == 1)
        })
    }

    fn shares_flights(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flight_lock_lives_in_its_key_slot() {
        for key in ["add:1:2", "{user:7}:orders", "note:a%7Bb", "a{b"] {
            let (lock, fence) = flight_keys(key).unwrap();
            assert_eq!(Slot::for_key(&lock), Slot::for_key(key), "{key} → {lock}");
            assert_eq!(Slot::for_key(&fence), Slot::for_key(key), "{key} → {fence}");
        }
        let (a, _) = flight_keys("{user:7}:orders").unwrap();
        let (b, _) = flight_keys("{user:7}:profile").unwrap();
        assert_ne!(a, b, "keys sharing a tag have locks of their own");
        assert_eq!(hash_tag("a{b}c"), Some("b"));
        assert_eq!(hash_tag("a{}c{d}"), None);
        assert_eq!(flight_keys("x{}y"), None, "no tag hashes as `x{{}}y` does");
    }
}
