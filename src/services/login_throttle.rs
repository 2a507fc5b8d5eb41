//! Login throttling: after N failures for one account, or from one client address, within a
//! window, further attempts are refused for a while without checking the password.
//!
//! Counters live in memory. With several instances behind a load balancer each instance
//! counts on its own, so an attacker gets at most N tries per instance per window.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    window_start: Instant,
    locked_until: Option<Instant>,
}

#[derive(Debug)]
pub struct LoginThrottle {
    per_account: u32,
    per_address: u32,
    lockout: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

/// Entries kept before stale ones are swept; bounds memory under a spray of addresses.
const SWEEP_ABOVE: usize = 10_000;

impl LoginThrottle {
    pub fn new(per_account: u32, per_address: u32, lockout: Duration) -> Self {
        Self { per_account, per_address, lockout, entries: Mutex::new(HashMap::new()) }
    }

    /// How long the caller must still wait, if either the account or the address is locked.
    pub fn locked_for(&self, account: &str, address: IpAddr, now: Instant) -> Option<Duration> {
        let entries = self.lock();
        [account_key(account), address_key(address)]
            .iter()
            .filter_map(|key| entries.get(key)?.locked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max()
    }

    pub fn record_failure(&self, account: &str, address: IpAddr, now: Instant) {
        let mut entries = self.lock();
        if entries.len() > SWEEP_ABOVE {
            let lockout = self.lockout;
            entries
                .retain(|_, e| now.duration_since(e.window_start) < lockout || e.locked_until.is_some_and(|u| u > now));
        }
        for (key, limit) in [(account_key(account), self.per_account), (address_key(address), self.per_address)] {
            let entry = entries.entry(key).or_insert(Entry { failures: 0, window_start: now, locked_until: None });
            // Failures count within a window as long as the lockout; an old streak starts over.
            if now.duration_since(entry.window_start) >= self.lockout || entry.locked_until.is_some_and(|u| u <= now) {
                *entry = Entry { failures: 0, window_start: now, locked_until: None };
            }
            entry.failures += 1;
            if entry.failures >= limit {
                entry.locked_until = Some(now + self.lockout);
            }
        }
    }

    /// A successful login clears the account's streak. The address keeps its count, so that
    /// signing in to one's own account cannot reset a spray against others.
    pub fn record_success(&self, account: &str) {
        self.lock().remove(&account_key(account));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // The map holds only counters; a panic elsewhere cannot leave it inconsistent.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn account_key(account: &str) -> String {
    format!("account:{}", account.trim().to_lowercase())
}

fn address_key(address: IpAddr) -> String {
    format!("address:{address}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    const AWAY: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));

    #[test]
    fn locks_an_account_after_the_limit_and_releases_it() {
        let t = LoginThrottle::new(5, 100, Duration::from_secs(300));
        let start = Instant::now();
        for _ in 0..4 {
            t.record_failure("ana@example.com", HOME, start);
        }
        assert_eq!(t.locked_for("ana@example.com", HOME, start), None);
        t.record_failure("ANA@example.com", HOME, start);
        assert_eq!(t.locked_for("ana@example.com", AWAY, start), Some(Duration::from_secs(300)));
        assert_eq!(t.locked_for("bob@example.com", AWAY, start), None);
        let later = start + Duration::from_secs(301);
        assert_eq!(t.locked_for("ana@example.com", HOME, later), None);
    }

    #[test]
    fn locks_an_address_spraying_accounts() {
        let t = LoginThrottle::new(5, 5, Duration::from_secs(60));
        let now = Instant::now();
        for i in 0..5 {
            t.record_failure(&format!("user{i}@example.com"), HOME, now);
        }
        assert!(t.locked_for("someone@example.com", HOME, now).is_some());
        assert!(t.locked_for("someone@example.com", AWAY, now).is_none());
    }

    #[test]
    fn success_clears_the_account_but_not_the_address() {
        let t = LoginThrottle::new(3, 4, Duration::from_secs(60));
        let now = Instant::now();
        t.record_failure("ana@example.com", HOME, now);
        t.record_failure("ana@example.com", HOME, now);
        t.record_success("ana@example.com");
        t.record_failure("ana@example.com", HOME, now);
        t.record_failure("ana@example.com", HOME, now);
        assert!(t.locked_for("ana@example.com", AWAY, now).is_none(), "account streak restarted");
        assert!(t.locked_for("x@example.com", HOME, now).is_some(), "address saw four failures");
    }
}
