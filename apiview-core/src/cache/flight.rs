//! Single flight: of the concurrent misses on one key of a cache, one computes the
//! result and the others wait for it. The table lives in the [`Cache`] handle, so
//! that every endpoint caching under the same key shares one flight; the lookup and
//! store phases that use it are the serving layer's (`serve::cache`).
//!
//! With `cache.single_flight = "cluster"`, the request leading an instance's flight
//! also takes the key's lock in Redis ([`Cache::shared_flight`]): one instance
//! computes, the others' leaders wait for the stored value and hand it to their own
//! waiters. The lock has a lease, renewed while the computation runs, and a fencing
//! token: a holder whose lease ran out writes nothing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::watch;

use super::{Cache, CacheFailure, FenceToken, FlightTurn};

/// The first pause of a leader waiting for another instance's value; doubled up to
/// [`MAX_POLL`].
const FIRST_POLL: Duration = Duration::from_millis(5);
const MAX_POLL: Duration = Duration::from_millis(100);

/// The JSON text of the flight's result, once it has one.
pub(crate) type Flight = watch::Receiver<Option<Bytes>>;

/// The flights of one cache, by key.
#[derive(Debug, Default)]
pub(crate) struct Flights(Mutex<HashMap<String, Flight>>);

/// What a miss found: a flight to wait on, or a new one to lead.
pub(crate) enum Joined {
    /// Another request computes the result.
    Follow(Flight),
    /// This request computes it.
    Lead(Leader),
}

/// The computing request's end of a flight: the cache, the key, the result's sender.
/// Dropped (after its result is written, or without one after an error or a panic),
/// it takes the flight off the table; waiters without a result compute themselves.
#[derive(Debug)]
pub(crate) struct Leader {
    cache: Cache,
    key: String,
    sender: watch::Sender<Option<Bytes>>,
    /// The lock across instances, when this leader holds it.
    fenced: Option<Fenced>,
}

/// A held lock across instances: its token, and the task renewing its lease.
#[derive(Debug)]
struct Fenced {
    token: FenceToken,
    renewal: tokio::task::JoinHandle<()>,
    /// Whether the flight was landed (the lock released); if not when the leader is
    /// dropped, it is released then.
    landed: bool,
}

/// What a leader found in Redis: the value another instance stored, or whether it
/// computes (holding the lock or, when the lock could not be had, on its own).
pub(crate) enum Shared {
    Stored(Bytes),
    Compute(Leader),
}

impl Leader {
    /// Ends the flight across instances, if this leader holds its lock: stores
    /// `value` (with its time to live) while the lock is still this leader's, and
    /// releases it. `None` when it holds no lock: the caller writes as usual.
    pub(crate) async fn land(
        &mut self,
        value: Option<(Bytes, Duration)>,
    ) -> Option<Result<bool, CacheFailure>> {
        let fenced = self.fenced.as_mut()?;
        fenced.renewal.abort();
        fenced.landed = true;
        let landed = self
            .cache
            .backend()
            .land_flight(&self.key, &fenced.token, value)
            .await;
        if landed.is_err() {
            // Redis failing over: the lock (replicated) would hold the other instances
            // up until its lease ran out; it is released as soon as Redis answers.
            release_later(self.cache.clone(), self.key.clone(), fenced.token.clone());
        }
        if let Ok(false) = landed {
            tracing::info!(
                cache = self.cache.name(),
                key = self.key,
                "the single-flight lease ran out before the result: another instance's stands"
            );
        }
        Some(landed)
    }

    /// Hands the result to the waiting requests. The flight stays on the table until
    /// the leader is dropped (after the write), so that a request arriving during the
    /// write joins it instead of computing again.
    pub(crate) fn publish(&self, json: &Bytes) {
        self.sender.send_replace(Some(json.clone()));
    }
}

impl Drop for Leader {
    fn drop(&mut self) {
        if let Some(fenced) = self.fenced.take().filter(|fenced| !fenced.landed) {
            // No result (an error, a panic, a dropped request): the lock goes now
            // rather than when its lease runs out, and the next miss computes.
            fenced.renewal.abort();
            release_later(self.cache.clone(), self.key.clone(), fenced.token);
        }
        self.cache
            .flights()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.key);
    }
}

impl Cache {
    /// Joins the flight computing `key`, or leads a new one.
    pub(crate) fn join_flight(&self, key: &str) -> Joined {
        let mut flights = self.flights().lock().unwrap_or_else(|e| e.into_inner());
        match flights.get(key) {
            Some(flight) => Joined::Follow(flight.clone()),
            None => {
                let (sender, receiver) = watch::channel(None);
                flights.insert(key.to_owned(), receiver);
                Joined::Lead(Leader {
                    cache: self.clone(),
                    key: key.to_owned(),
                    sender,
                    fenced: None,
                })
            }
        }
    }

    /// The turn of an instance's leader in the flight across instances, when this
    /// cache has one (`cache.single_flight = "cluster"` on a Redis backend): the value
    /// another instance stored, or the lock (a lease renewed until the leader lands or
    /// is dropped). Waits at most `wait` for another instance's value; a backend that
    /// fails, or a wait that runs out, lets the leader compute without the lock.
    pub(crate) async fn shared_flight(&self, mut leader: Leader, wait: Duration) -> Shared {
        let Some(lease) = self.shared().flight_lease else {
            return Shared::Compute(leader);
        };
        let deadline = Instant::now() + wait;
        let mut pause = FIRST_POLL;
        loop {
            match self.backend().flight(&leader.key, lease).await {
                Ok(FlightTurn::Stored(json)) => match self.checked_json(&leader.key, Ok(Some(json))) {
                    Ok(Some(json)) => {
                        leader.publish(&json);
                        return Shared::Stored(json);
                    }
                    _ => return Shared::Compute(leader),
                },
                Ok(FlightTurn::Lead(token)) => {
                    let renewal = tokio::spawn(renew(self.clone(), leader.key.clone(), token.clone(), lease));
                    leader.fenced = Some(Fenced {
                        token,
                        renewal,
                        landed: false,
                    });
                    return Shared::Compute(leader);
                }
                Ok(FlightTurn::Wait) if Instant::now() + pause < deadline => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(MAX_POLL);
                }
                Ok(FlightTurn::Wait | FlightTurn::Unshared) => return Shared::Compute(leader),
                Err(failure) => {
                    tracing::warn!(
                        cache = self.name(),
                        key = leader.key,
                        %failure,
                        "single flight across instances failed; computing here"
                    );
                    return Shared::Compute(leader);
                }
            }
        }
    }

    fn flights(&self) -> &Mutex<HashMap<String, Flight>> {
        &self.shared().flights.0
    }
}

/// Releases a held lock in the background, trying again (for as long as its lease
/// could last) while Redis does not answer.
fn release_later(cache: Cache, key: String, token: FenceToken) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let lease = cache.shared().flight_lease.unwrap_or_default();
    runtime.spawn(async move {
        let until = Instant::now() + lease;
        let mut pause = FIRST_POLL;
        while cache.backend().land_flight(&key, &token, None).await.is_err() && Instant::now() < until {
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_POLL);
        }
    });
}

/// Renews a held lease a third of the way through, until the lock is lost or the task
/// is aborted (the flight landed, or its leader was dropped).
async fn renew(cache: Cache, key: String, token: FenceToken, lease: Duration) {
    loop {
        tokio::time::sleep(lease / 3).await;
        match cache.backend().renew_flight(&key, &token, lease).await {
            Ok(true) => {}
            // Lost (expired while Redis was unreachable, or failed over without it):
            // the landing will find out and write nothing.
            Ok(false) => return,
            // Unreachable for now: the next renewal may still be in time.
            Err(_) => {}
        }
    }
}
