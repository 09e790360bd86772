//! Single flight: of the concurrent misses on one key of a cache, one computes the
//! result and the others wait for it. The table lives in the [`Cache`] handle, so
//! that every endpoint caching under the same key shares one flight; the lookup and
//! store phases that use it are the serving layer's (`serve::cache`).

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;
use tokio::sync::watch;

use super::Cache;

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
}

impl Leader {
    /// Hands the result to the waiting requests. The flight stays on the table until
    /// the leader is dropped (after the write), so that a request arriving during the
    /// write joins it instead of computing again.
    pub(crate) fn publish(&self, json: &Bytes) {
        self.sender.send_replace(Some(json.clone()));
    }
}

impl Drop for Leader {
    fn drop(&mut self) {
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
                })
            }
        }
    }

    fn flights(&self) -> &Mutex<HashMap<String, Flight>> {
        &self.shared().flights.0
    }
}
