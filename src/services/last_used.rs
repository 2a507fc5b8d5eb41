//! "Last used" without a write per request: a key's (or a session's) use is written at most
//! once a minute per instance (the first use is written at once, so it shows right away).

use std::collections::HashMap;
use std::sync::Mutex;

/// How often one key's last use is written at most.
pub const WRITE_EVERY_MS: i64 = 60_000;

#[derive(Debug, Default)]
pub struct LastUsed {
    written: Mutex<HashMap<i64, i64>>,
}

impl LastUsed {
    /// Records a use at `now_ms`; answers whether it should be written now.
    pub fn due(&self, id: i64, now_ms: i64) -> bool {
        let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
        match written.get(&id) {
            Some(&last) if now_ms - last < WRITE_EVERY_MS => false,
            _ => {
                written.insert(id, now_ms);
                true
            }
        }
    }

    pub fn forget(&self, id: i64) {
        self.written.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_one_write_a_minute_per_key() {
        let last = LastUsed::default();
        assert!(last.due(1, 0));
        assert!(!last.due(1, 59_999));
        assert!(last.due(2, 10), "another key");
        assert!(last.due(1, 60_000));
    }
}
