//! How many invalidations a cache has seen, so that a `#[cache]` result whose
//! computation one overtook is not stored (`serve::cache`): counted for every key at
//! once (a pattern, everything) and for each key by a stripe of its own, so that a
//! write to one key does not keep the results of unrelated keys out of the cache.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};

/// Stripes of single-key invalidations; keys sharing one see each other's.
const STRIPES: usize = 64;

#[derive(Debug)]
pub(crate) struct Invalidations {
    everything: AtomicU64,
    keys: Box<[AtomicU64]>,
    hasher: std::collections::hash_map::RandomState,
}

impl Invalidations {
    pub(crate) fn new() -> Self {
        Invalidations {
            everything: AtomicU64::new(0),
            keys: (0..STRIPES).map(|_| AtomicU64::new(0)).collect(),
            hasher: Default::default(),
        }
    }

    fn stripe(&self, key: &str) -> &AtomicU64 {
        &self.keys[(self.hasher.hash_one(key) % STRIPES as u64) as usize]
    }

    /// What `key` has seen: it changes with every invalidation that may reach it.
    pub(crate) fn epoch(&self, key: &str) -> u64 {
        let everything = self.everything.load(Ordering::Acquire);
        everything.wrapping_add(self.stripe(key).load(Ordering::Acquire))
    }

    /// One key is invalidated (counted before it is carried out).
    pub(crate) fn key(&self, key: &str) {
        self.stripe(key).fetch_add(1, Ordering::AcqRel);
    }

    /// Keys matching a pattern, or every key, are invalidated.
    pub(crate) fn all(&self) {
        self.everything.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_sees_its_own_and_everyones_invalidations() {
        let invalidations = Invalidations::new();
        let before = invalidations.epoch("price:tea");
        invalidations.key("price:tea");
        assert_ne!(invalidations.epoch("price:tea"), before);
        let before = invalidations.epoch("price:tea");
        invalidations.all();
        assert_ne!(invalidations.epoch("price:tea"), before);
        // Another key leaves it alone, unless it shares its stripe.
        let other = (0..)
            .map(|n| format!("other:{n}"))
            .find(|key| !std::ptr::eq(invalidations.stripe(key), invalidations.stripe("price:tea")))
            .unwrap();
        let before = invalidations.epoch("price:tea");
        invalidations.key(&other);
        assert_eq!(invalidations.epoch("price:tea"), before);
    }
}
