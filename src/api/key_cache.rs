//! A short-lived cache of key rows by the hash of the presented key, so that verifying a key
//! costs a hash and a map lookup instead of a query. An entry lives `ttl` (1 s): a key deleted,
//! revoked or regenerated on another instance stops working here within that time; on this
//! instance the change calls [`KeyCache::forget`] and takes effect at once.
//!
//! Only rows that exist are cached. Unknown keys are not, so a flood of wrong keys cannot
//! grow it; its size is also capped.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::db::api_keys::ApiKey;

/// Most entries kept; past this the stale ones go, and if none are stale, all of them.
const CAPACITY: usize = 10_000;

#[derive(Debug)]
pub struct KeyCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (ApiKey, Instant)>>,
}

impl KeyCache {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, entries: Mutex::new(HashMap::new()) }
    }

    /// The cached row for `hash`, if fetched within the TTL.
    pub fn get(&self, hash: &str, now: Instant) -> Option<ApiKey> {
        let entries = self.lock();
        let (row, fetched) = entries.get(hash)?;
        (now.duration_since(*fetched) < self.ttl).then(|| row.clone())
    }

    pub fn put(&self, hash: String, row: ApiKey, now: Instant) {
        let mut entries = self.lock();
        if entries.len() >= CAPACITY {
            let ttl = self.ttl;
            entries.retain(|_, (_, fetched)| now.duration_since(*fetched) < ttl);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(hash, (row, now));
    }

    /// Drops every entry of the key, current and previous secret alike.
    pub fn forget(&self, key_id: i64) {
        self.lock().retain(|_, (row, _)| row.id != key_id);
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (ApiKey, Instant)>> {
        // Only cached copies live here; a panic elsewhere cannot make them wrong.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64) -> ApiKey {
        ApiKey {
            id,
            public_id: "0".repeat(24),
            user_id: 1,
            name: "k".into(),
            hint: "kh_…0000".into(),
            secret_hash: format!("h{id}"),
            previous_secret_hash: None,
            previous_valid_until: None,
            created_at: 0,
            last_used_at: None,
            expires_at: None,
        }
    }

    #[test]
    fn entries_expire_and_can_be_forgotten() {
        let cache = KeyCache::new(Duration::from_secs(1));
        let start = Instant::now();
        cache.put("h1".into(), row(1), start);
        cache.put("old1".into(), row(1), start);
        cache.put("h2".into(), row(2), start);
        assert_eq!(cache.get("h1", start).map(|r| r.id), Some(1));
        assert!(cache.get("h1", start + Duration::from_millis(1001)).is_none());
        cache.forget(1);
        assert!(cache.get("h1", start).is_none() && cache.get("old1", start).is_none());
        assert_eq!(cache.get("h2", start).map(|r| r.id), Some(2));
    }

    #[test]
    fn the_cache_is_capped() {
        let cache = KeyCache::new(Duration::from_secs(60));
        let now = Instant::now();
        for i in 0..(CAPACITY as i64 + 5) {
            cache.put(format!("h{i}"), row(i), now);
        }
        assert!(cache.len() <= CAPACITY);
    }
}
