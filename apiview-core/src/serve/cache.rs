//! The cache phases of a request (`#[cache]`): the lookup before the function, with
//! single flight for concurrent misses, and the store after it.

use std::future::{ready, Future};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::Either;
use serde_json::Value;

use super::{Call, Outcome};
use crate::cache::{fill, key_part, Cache, CacheFailure, Joined, KeyPartError, Leader, SharedFlight};
use crate::error::BizError;
use crate::guard::aclkey::{self, AclKeys};
use crate::meta::CacheSpec;

/// The key of a request, or why its values make none (see [`fill_key`](crate::cache::fill_key)).
pub type FilledKey = Result<String, KeyPartError>;

/// Logs a key that could not be filled: the request is computed without the cache.
fn unkeyable(spec: &CacheSpec, placeholder: &str, err: &KeyPartError) {
    tracing::warn!(
        template = spec.template,
        placeholder,
        %err,
        "a value cannot be part of the cache key; computed without the cache"
    );
}

/// A lookup that missed: whoever leads the flight computes the result for the
/// requests waiting on the same key.
#[derive(Debug)]
pub struct Miss {
    flight: Option<Leader>,
    /// The invalidations that could reach the key when the lookup missed: a result
    /// computed while another came is answered but not stored, since it may have been
    /// computed from what that invalidation replaced.
    epoch: u64,
}

/// The cache `#[cache]` names: the one resolved when the endpoint was bound, or by
/// name for a call made otherwise.
fn cache_of<'a>(call: &'a Call, spec: &CacheSpec) -> Result<&'a Cache, BizError> {
    let cache = match &call.cache {
        Some(cache) if cache.name() == spec.name => Some(cache),
        _ => call.runtime.caches.get(spec.name),
    };
    cache.ok_or_else(|| {
        tracing::error!(
            cache = spec.name,
            "#[cache] names a backend that settings do not configure"
        );
        BizError::cache_error()
    })
}

fn ttl(call: &Call, spec: &CacheSpec) -> Duration {
    Duration::from_secs(spec.expire.unwrap_or(call.runtime.caches.default_expire).max(1))
}

/// Whether the request asks to skip the cache read (the disable header, `true` or `1`)
/// and may: the endpoint checked its aclkey, or the request carries one of settings'
/// `aclkey`/`aclkeys` where `#[check_aclkey]` would look for it (header, query or
/// body field `aclkey`). Anyone else's header is ignored, so that it cannot multiply
/// the work of the function and of the backend.
fn disabled(call: &Call, spec: &CacheSpec) -> bool {
    asks_to_skip(call)
        && (spec.aclkey_checked
            || (!call.runtime.aclkeys.is_empty()
                && aclkey::check(
                    &call.request,
                    "aclkey",
                    AclKeys::<[&str; 0]>::Settings,
                    &call.runtime.aclkeys,
                )
                .is_ok()))
}

fn asks_to_skip(call: &Call) -> bool {
    let Some(name) = &call.runtime.caches.disable_header else {
        return false;
    };
    let headers = call.request.headers();
    // With a handful of headers, comparing names beats hashing this one.
    let value = if headers.len() <= 8 {
        headers
            .iter()
            .find_map(|(header, value)| (header == name).then_some(value))
    } else {
        headers.get(name)
    };
    value
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("true") || value.trim() == "1")
}

/// Phase "cache lookup": a hit answers at once (its JSON text, as stored); a miss may
/// wait for a concurrent request computing the same key (single flight), or become
/// that request.
///
/// A key that could not be filled (a value that does not serialize) is a miss that
/// neither reads, joins a flight nor writes: the request is computed without the cache.
pub fn lookup<'a>(
    call: &'a Call,
    spec: &'static CacheSpec,
    key: &'a FilledKey,
) -> impl Future<Output = Result<Result<Outcome, Miss>, BizError>> + Send + 'a {
    let key = match key {
        Ok(key) => key.as_str(),
        Err(err) => {
            let placeholder = spec.names.get(err.placeholder()).copied().unwrap_or_default();
            unkeyable(spec, placeholder, err);
            return Either::Left(ready(Ok(Err(Miss {
                flight: None,
                epoch: 0,
            }))));
        }
    };
    if !spec.get_from_cache {
        let epoch = call
            .runtime
            .caches
            .get(spec.name)
            .map_or(0, |cache| cache.epoch(key));
        return Either::Left(ready(Ok(Err(Miss { flight: None, epoch }))));
    }
    let cache = match cache_of(call, spec) {
        Ok(cache) => cache,
        Err(err) => return Either::Left(ready(Err(err))),
    };
    if disabled(call, spec) {
        // The read is skipped, not single flight: concurrent requests that skip it
        // still compute once.
        return Either::Right(Box::pin(lookup_later(call, cache, spec, key, Some(Ok(None)))));
    }
    // A backend that answers at once (the memory backend does) gives a hit without a
    // future of its own: the common answer of a cached endpoint.
    let read_now = cache
        .backend()
        .get_now(key)
        .map(|found| cache.checked_json(key, found));
    if let Some(Ok(Some(json))) = read_now {
        return Either::Left(ready(Ok(Ok(Outcome::Json(json)))));
    }
    // Boxed: only a miss, or a backend that answers later, pays for the future that
    // reads, joins a flight and waits.
    Either::Right(Box::pin(lookup_later(call, cache, spec, key, read_now)))
}

/// The rest of a lookup: the read (unless the backend answered it at once), then the
/// flight on a miss.
async fn lookup_later(
    call: &Call,
    cache: &Cache,
    spec: &'static CacheSpec,
    key: &str,
    read_now: Option<Result<Option<Bytes>, CacheFailure>>,
) -> Result<Result<Outcome, Miss>, BizError> {
    // An App built outside a Tokio runtime starts listening for other instances'
    // invalidations at its first miss, before anything is cached.
    cache.listen();
    let epoch = cache.epoch(key);
    let read = match read_now {
        Some(read) => read,
        None => cache.checked_json(key, cache.backend().get(key).await),
    };
    match read {
        Ok(Some(json)) => return Ok(Ok(Outcome::Json(json))),
        Ok(None) => {}
        Err(failure) if spec.ignore_errors => {
            tracing::warn!(cache = cache.name(), key, %failure, "cache read failed; computing instead");
        }
        Err(failure) => return Err(cache.failed("get", key, failure)),
    }
    let wait = call.runtime.caches.single_flight_wait;
    let mut flight = match cache.join_flight(key) {
        Joined::Follow(flight) => flight,
        // This instance's leader: across instances, it may find the value another
        // stored while it waited.
        Joined::Lead(leader) => {
            return Ok(match cache.shared_flight(leader, wait).await {
                SharedFlight::Stored(json) => Ok(Outcome::Json(json)),
                SharedFlight::Compute(leader) => Err(Miss {
                    flight: Some(leader),
                    epoch,
                }),
            })
        }
    };
    if let Ok(Ok(value)) = tokio::time::timeout(wait, flight.wait_for(Option::is_some)).await {
        if let Some(json) = value.as_ref() {
            return Ok(Ok(Outcome::Json(json.clone())));
        }
    }
    Ok(Err(Miss { flight: None, epoch }))
}

/// Phase "cache store": a result (never an error) is written, and handed to the
/// requests waiting on its key.
pub fn store<'a>(
    call: &'a Call,
    spec: &'static CacheSpec,
    key: &FilledKey,
    miss: Miss,
    outcome: &Outcome,
) -> impl Future<Output = Result<(), BizError>> + Send + 'a {
    let Ok(key) = key else {
        return Either::Left(ready(Ok(())));
    };
    let json = match outcome {
        Outcome::Json(json) => json.clone(),
        Outcome::Raw(_) | Outcome::Error(_) => return Either::Left(ready(Ok(()))),
    };
    if let Some(leader) = &miss.flight {
        leader.publish(&json);
    }
    if !spec.set_to_cache {
        return Either::Left(ready(Ok(())));
    }
    let key = key.to_owned();
    // Boxed: the write's future would enlarge every request's, hits included.
    Either::Right(Box::pin(async move {
        let mut miss = miss;
        let cache = cache_of(call, spec)?;
        if cache.epoch(&key) != miss.epoch {
            // Invalidated while it was computed: answered, not stored (a flight across
            // instances is released for the next miss).
            if let Some(leader) = &mut miss.flight {
                leader.land(None).await;
            }
            return Ok(());
        }
        let landed = match &mut miss.flight {
            Some(leader) => leader.land(Some((json.clone(), ttl(call, spec)))).await,
            None => None,
        };
        let written = match landed {
            // Stored under the lock across instances (or, the lease lost, not at all).
            Some(Ok(_)) => {
                let published = cache.published_write(&key).await;
                failed_write(cache, spec, &key, published)
            }
            Some(Err(failure)) => failed_write(cache, spec, &key, Err(failure)),
            None => write(call, cache, spec, vec![(key, json)]).await,
        };
        drop(miss);
        written
    }))
}

/// Phase "cache store" of a `batch` endpoint: each element of a list result (each
/// value of a map, with `{__key}` its key) under its own key, filled from the
/// element's fields first, then from the parameters. A parameter whose value makes no
/// key part (see [`fill_key`](crate::cache::fill_key)) leaves the result uncached.
pub async fn store_batch(
    call: &Call,
    spec: &'static CacheSpec,
    params: &[(&str, Result<String, KeyPartError>)],
    outcome: &Outcome,
) -> Result<(), BizError> {
    if !spec.set_to_cache {
        return Ok(());
    }
    let mut known = Vec::with_capacity(params.len());
    for (name, part) in params {
        match part {
            Ok(part) => known.push((*name, part)),
            Err(err) => {
                unkeyable(spec, name, err);
                return Ok(());
            }
        }
    }
    let value = match outcome {
        Outcome::Json(json) => match serde_json::from_slice::<Value>(json) {
            Ok(value) => value,
            Err(_) => return Ok(()),
        },
        Outcome::Raw(_) | Outcome::Error(_) => return Ok(()),
    };
    let items: Vec<(Option<&str>, &Value)> = match &value {
        Value::Array(items) => items.iter().map(|item| (None, item)).collect(),
        Value::Object(map) => map.iter().map(|(key, item)| (Some(key.as_str()), item)).collect(),
        _ => {
            tracing::warn!(
                template = spec.template,
                "a batch cache needs a list or map result; nothing cached"
            );
            return Ok(());
        }
    };
    let mut entries = Vec::with_capacity(items.len());
    'items: for (map_key, item) in items {
        let mut parts = Vec::with_capacity(spec.names.len());
        for name in spec.names {
            // A JSON value always serializes: `ok()` drops no part.
            let part = if *name == "__key" {
                map_key.and_then(|key| key_part(key).ok())
            } else {
                item.get(name).and_then(|value| key_part(value).ok()).or_else(|| {
                    known
                        .iter()
                        .find(|(param, _)| param == name)
                        .map(|(_, part)| (*part).clone())
                })
            };
            match part {
                Some(part) => parts.push(part),
                None => {
                    tracing::warn!(
                        template = spec.template,
                        field = name,
                        "a batch element lacks a key field; not cached"
                    );
                    continue 'items;
                }
            }
        }
        if let Ok(json) = serde_json::to_vec(item) {
            entries.push((fill(spec.literals, &parts), Bytes::from(json)));
        }
    }
    write(call, cache_of(call, spec)?, spec, entries).await
}

async fn write(
    call: &Call,
    cache: &Cache,
    spec: &'static CacheSpec,
    entries: Vec<(String, Bytes)>,
) -> Result<(), BizError> {
    let ttl = ttl(call, spec);
    for (key, json) in entries {
        let stored = cache.store_json(&key, json, ttl).await;
        if stored.is_err() {
            return failed_write(cache, spec, &key, stored);
        }
    }
    Ok(())
}

/// A write's failure: logged and answered anyway with `ignore_errors`, else a
/// `CacheError`.
fn failed_write(
    cache: &Cache,
    spec: &'static CacheSpec,
    key: &str,
    written: Result<(), CacheFailure>,
) -> Result<(), BizError> {
    let Err(failure) = written else {
        return Ok(());
    };
    if spec.ignore_errors {
        tracing::warn!(cache = cache.name(), key, %failure, "cache write failed; answered anyway");
        return Ok(());
    }
    Err(cache.failed("set", key, failure))
}
