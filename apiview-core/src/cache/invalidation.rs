//! `cache.invalidation_channel` (DESIGN §18): what one instance invalidates in a cache
//! kept in memory (`memory://`, a near cache), every instance drops.
//!
//! The handle publishes each `set`, `delete`, `delete_pattern` and `invalidate` of
//! such a cache, and each `#[cache]` result written to a near cache, on a Redis
//! channel; every instance listens
//! on it and drops the keys from its own memory. A listener that loses its
//! subscription (the connection closed, or a PING a second unanswered) cannot know
//! what it missed: it drops every cached value when the
//! subscription ends and again when it is back, so that nothing read in between
//! outlives the outage. Nonces and throttle counters stay.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use super::handle::Shared;
use super::{CacheFailure, Forget, RedisBackend};

/// Longest pause between two attempts to subscribe.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// How often a listener checks that its App still exists, and that its server still
/// answers (a PING on the subscription).
const ALIVE_CHECK: Duration = Duration::from_secs(1);

/// How long a listener waits for the PING's answer: a server that stops answering (hung,
/// or cut off without the connection closing) ends the subscription, as one that closes
/// it does.
const PING_WITHIN: Duration = Duration::from_secs(1);

/// One invalidation on the channel.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Message {
    /// The publishing instance, which has applied it already.
    from: String,
    /// The cache's name in `[cache] backends`.
    cache: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pattern: Option<String>,
}

/// A cache whose memory the listener clears, by name.
type Listened = (String, Weak<Shared>);

/// The channel of one App: where it publishes, and its listener.
pub(crate) struct Invalidation {
    channel: String,
    carrier: RedisBackend,
    /// This instance, so that it skips its own messages.
    instance: String,
    /// The caches whose memory the listener clears, until it starts.
    pending: Mutex<Option<Vec<Listened>>>,
    started: AtomicBool,
    /// Subscriptions made so far (the first, then one per reconnection).
    subscriptions: Arc<AtomicU64>,
}

impl Invalidation {
    pub(crate) fn new(channel: &str, url: &str, timeout: Duration) -> Result<Invalidation, CacheFailure> {
        Ok(Invalidation {
            channel: channel.to_owned(),
            carrier: RedisBackend::new(url, timeout)?,
            instance: uuid::Uuid::new_v4().simple().to_string(),
            pending: Mutex::new(Some(Vec::new())),
            started: AtomicBool::new(false),
            subscriptions: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Has the listener clear `cache`'s memory (once it starts).
    pub(crate) fn listen_for(&self, name: &str, cache: Weak<Shared>) {
        if let Some(pending) = self.pending.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            pending.push((name.to_owned(), cache));
        }
    }

    /// Starts the listener, once, when a Tokio runtime is there to run it (the App is
    /// built in one, or serves a request).
    pub(crate) fn ensure_started(self: &Arc<Self>) {
        if self.started.load(Ordering::Acquire) || tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        if self.started.swap(true, Ordering::AcqRel) {
            return;
        }
        let caches = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .unwrap_or_default();
        tokio::spawn(listen(Arc::downgrade(self), caches.into_iter().collect()));
    }

    /// How many times the listener has subscribed: 0 until it first has.
    pub(crate) fn subscriptions(&self) -> u64 {
        self.subscriptions.load(Ordering::Acquire)
    }

    /// Tells the other instances to drop `what` from cache `name`'s memory.
    /// Type-erased: the carrier's future is deep, and would otherwise be part of the
    /// type of every future that invalidates.
    pub(crate) fn publish<'a>(
        &'a self,
        name: &'a str,
        what: Forget<'a>,
    ) -> BoxFuture<'a, Result<(), CacheFailure>> {
        Box::pin(self.publish_now(name, what))
    }

    async fn publish_now(&self, name: &str, what: Forget<'_>) -> Result<(), CacheFailure> {
        let (key, pattern) = match what {
            Forget::Key(key) => (Some(key.to_owned()), None),
            Forget::Pattern(pattern) => (None, Some(pattern.to_owned())),
            Forget::Everything => (None, Some("*".to_owned())),
        };
        let message = Message {
            from: self.instance.clone(),
            cache: name.to_owned(),
            key,
            pattern,
        };
        let payload = serde_json::to_vec(&message).map_err(|err| CacheFailure::new(err.to_string()))?;
        self.carrier.publish(&self.channel, &payload).await
    }
}

/// The listener: subscribes (trying each server the carrier names, with backoff),
/// applies other instances' messages, and starts over when the subscription ends.
/// Ends when the App is gone.
async fn listen(invalidation: Weak<Invalidation>, caches: HashMap<String, Weak<Shared>>) {
    let mut backoff = Duration::from_millis(50);
    loop {
        let Some(this) = invalidation.upgrade() else {
            return;
        };
        let clients = this.carrier.subscribable().await.unwrap_or_default();
        let (channel, instance, subscriptions) = (
            this.channel.clone(),
            this.instance.clone(),
            this.subscriptions.clone(),
        );
        // Not held while listening: the App may go away meanwhile.
        drop(this);
        for client in clients {
            let Ok(Ok(mut pubsub)) = tokio::time::timeout(MAX_BACKOFF, client.get_async_pubsub()).await
            else {
                continue;
            };
            if pubsub.subscribe(&channel).await.is_err() {
                continue;
            }
            // What was cached before now may have missed invalidations.
            forget_everything(&caches);
            subscriptions.fetch_add(1, Ordering::AcqRel);
            backoff = Duration::from_millis(50);
            let ended = relay(pubsub.split(), &invalidation, &caches, &instance).await;
            forget_everything(&caches);
            if !ended {
                return;
            }
            tracing::warn!(
                channel,
                "the cache invalidation subscription ended; subscribing again"
            );
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Applies messages until the subscription ends or its server stops answering
/// (`true`), or the App is gone (`false`).
async fn relay(
    (mut sink, mut messages): (redis::aio::PubSubSink, redis::aio::PubSubStream),
    invalidation: &Weak<Invalidation>,
    caches: &HashMap<String, Weak<Shared>>,
    instance: &str,
) -> bool {
    let mut alive = tokio::time::interval(ALIVE_CHECK);
    loop {
        tokio::select! {
            message = messages.next() => match message {
                Some(message) => apply(message.get_payload_bytes(), caches, instance),
                None => return true,
            },
            _ = alive.tick() => {
                if invalidation.strong_count() == 0 {
                    return false;
                }
                let pong = tokio::time::timeout(PING_WITHIN, sink.ping::<redis::Value>()).await;
                if !matches!(pong, Ok(Ok(_))) {
                    return true;
                }
            }
        }
    }
}

fn apply(payload: &[u8], caches: &HashMap<String, Weak<Shared>>, instance: &str) {
    let Ok(message) = serde_json::from_slice::<Message>(payload) else {
        tracing::warn!("a message on the cache invalidation channel is not one; ignored");
        return;
    };
    if message.from == instance {
        return;
    }
    let Some(cache) = caches.get(&message.cache).and_then(Weak::upgrade) else {
        return;
    };
    let backend = cache.backend();
    match (&message.key, &message.pattern) {
        (Some(key), _) => {
            cache.invalidations.key(key);
            backend.forget_locally(Forget::Key(key));
        }
        (None, Some(pattern)) => {
            cache.invalidations.all();
            backend.forget_locally(Forget::Pattern(pattern));
        }
        (None, None) => {}
    }
}

fn forget_everything(caches: &HashMap<String, Weak<Shared>>) {
    for cache in caches.values().filter_map(Weak::upgrade) {
        cache.invalidations.all();
        cache.backend().forget_locally(Forget::Everything);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_back_as_written() {
        let message = Message {
            from: "a".into(),
            cache: "default".into(),
            key: Some("note:x".into()),
            pattern: None,
        };
        let text = serde_json::to_string(&message).unwrap();
        assert_eq!(text, r#"{"from":"a","cache":"default","key":"note:x"}"#);
        assert_eq!(serde_json::from_str::<Message>(&text).unwrap(), message);
    }
}
