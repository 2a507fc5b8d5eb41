//! A short-lived cache of verified credentials (API key rows, signed-in sessions) by the
//! SHA-256 of what was presented, so that verifying one costs a hash and a map lookup instead
//! of a query. An entry lives `ttl` (1 s): a credential ended on another instance stops working
//! here within that time; on this instance the change calls [`VerifiedCache::forget`] and takes
//! effect at once.
//!
//! Only credentials that exist are cached. Unknown ones are not, so a flood of wrong ones
//! cannot grow it; its size is also capped.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::{Duration, Instant};

use crate::services::api_keys::KeyGrant;

/// Most entries kept; past this quick_cache evicts the least used.
const CAPACITY: usize = 10_000;

/// The cache of API key rows (with the workspaces each was revoked for).
pub type KeyCache = VerifiedCache<KeyGrant>;

/// The map is quick_cache's concurrent one (a `Mutex<HashMap>` before it: as fast with one
/// reader, 2.5x slower with both cores reading at once, measured in one run); what it adds is
/// the TTL and the epoch guard below.
pub struct VerifiedCache<V> {
    ttl: Duration,
    entries: quick_cache::sync::Cache<String, (V, Instant)>,
    /// Counts [`VerifiedCache::forget`] calls: a lookup that read the database before one must
    /// not put back what it read, or an ending racing the lookup would be undone for a TTL.
    epoch: AtomicU64,
    /// Taken shared by `put` (epoch check and insert) and exclusively by `forget` (epoch bump
    /// and removal), so no forget falls between a put's check and its insert. Reads never
    /// take it.
    forgetting: RwLock<()>,
}

impl<V: Clone> std::fmt::Debug for VerifiedCache<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedCache").field("ttl", &self.ttl).field("len", &self.entries.len()).finish()
    }
}

impl<V: Clone> VerifiedCache<V> {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: quick_cache::sync::Cache::new(CAPACITY),
            epoch: AtomicU64::new(0),
            forgetting: RwLock::new(()),
        }
    }

    /// The cached value for `hash`, if fetched within the TTL.
    pub fn get(&self, hash: &str, now: Instant) -> Option<V> {
        let (value, fetched) = self.entries.get(hash)?;
        (now.duration_since(fetched) < self.ttl).then_some(value)
    }

    /// Where the cache stands, to be read before looking a credential up in the database.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Caches what a lookup found, unless something was forgotten since `epoch` was read.
    pub fn put(&self, hash: String, value: V, now: Instant, epoch: u64) {
        // Only cached copies live here; a panic elsewhere cannot make them wrong.
        let _no_forget = self.forgetting.read().unwrap_or_else(|p| p.into_inner());
        if self.epoch.load(Ordering::Acquire) == epoch {
            self.entries.insert(hash, (value, now));
        }
    }

    /// Drops every entry whose value `ended` picks (a key's current and previous secret
    /// alike, or every session of a user).
    pub fn forget(&self, ended: impl Fn(&V) -> bool) {
        let _alone = self.forgetting.write().unwrap_or_else(|p| p.into_inner());
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.entries.retain(|_, (value, _)| !ended(value));
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_can_be_forgotten() {
        let cache = VerifiedCache::<i64>::new(Duration::from_secs(1));
        let start = Instant::now();
        let epoch = cache.epoch();
        cache.put("h1".into(), 1, start, epoch);
        cache.put("old1".into(), 1, start, epoch);
        cache.put("h2".into(), 2, start, epoch);
        assert_eq!(cache.get("h1", start), Some(1));
        assert!(cache.get("h1", start + Duration::from_millis(1001)).is_none());
        cache.forget(|id| *id == 1);
        assert!(cache.get("h1", start).is_none() && cache.get("old1", start).is_none());
        assert_eq!(cache.get("h2", start), Some(2));
        cache.put("h1".into(), 1, start, epoch);
        assert!(cache.get("h1", start).is_none(), "a lookup from before the forget is not cached");
    }

    #[test]
    fn the_cache_is_capped() {
        let cache = VerifiedCache::<i64>::new(Duration::from_secs(60));
        let now = Instant::now();
        for i in 0..(CAPACITY as i64 + 5) {
            cache.put(format!("h{i}"), i, now, 0);
        }
        assert!(cache.len() <= CAPACITY);
    }
}
