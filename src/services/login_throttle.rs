//! Login throttling: after N failures for one account, or from one client address, within a
//! window, further attempts are refused for a while without checking the password.
//!
//! An attempt is counted as a failure when it is admitted, before its password is checked,
//! in the same step as the question "may it be checked?": however many arrive at once, at
//! most N are ever checked. A success then takes its count back.
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

impl Entry {
    fn fresh(now: Instant) -> Self {
        Entry { failures: 0, window_start: now, locked_until: None }
    }

    /// Failures count within a window as long as the lockout; an old streak starts over.
    fn current(self, now: Instant, lockout: Duration) -> Self {
        let stale = now.duration_since(self.window_start) >= lockout || self.locked_until.is_some_and(|u| u <= now);
        if stale {
            Entry::fresh(now)
        } else {
            self
        }
    }
}

#[derive(Debug)]
pub struct LoginThrottle {
    per_account: u32,
    per_address: u32,
    lockout: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

/// An attempt admitted to have its password checked, already counted as a failure. Call
/// [`Admitted::succeeded`] when the password matched; otherwise just drop it.
#[must_use = "an admitted attempt that succeeds must say so"]
pub struct Admitted<'a> {
    throttle: &'a LoginThrottle,
    account: String,
    address: String,
}

impl Admitted<'_> {
    /// The password matched: the account's streak is cleared, and the address's count given
    /// back (so signing in to one's own account cannot reset a spray against others, nor
    /// count against the address).
    pub fn succeeded(self) {
        let mut entries = self.throttle.lock();
        entries.remove(&self.account);
        if let Some(entry) = entries.get_mut(&self.address) {
            entry.failures = entry.failures.saturating_sub(1);
            if entry.failures < self.throttle.per_address {
                entry.locked_until = None;
            }
        }
    }
}

/// Entries kept before stale ones are swept; bounds memory under a spray of addresses.
const SWEEP_ABOVE: usize = 10_000;

impl LoginThrottle {
    pub fn new(per_account: u32, per_address: u32, lockout: Duration) -> Self {
        Self { per_account, per_address, lockout, entries: Mutex::new(HashMap::new()) }
    }

    /// Admits one attempt to have its password checked, counting it as a failure, or answers
    /// how long the caller must still wait if the account or the address is locked. One step
    /// under one lock, so simultaneous attempts cannot all pass the check before any counts.
    pub fn admit(&self, account: &str, address: IpAddr, now: Instant) -> Result<Admitted<'_>, Duration> {
        let mut entries = self.lock();
        if entries.len() > SWEEP_ABOVE {
            let lockout = self.lockout;
            entries
                .retain(|_, e| now.duration_since(e.window_start) < lockout || e.locked_until.is_some_and(|u| u > now));
        }
        let keys = [(account_key(account), self.per_account), (address_key(address), self.per_address)];
        let current: Vec<Entry> = keys
            .iter()
            .map(|(key, _)| entries.get(key).map_or(Entry::fresh(now), |e| e.current(now, self.lockout)))
            .collect();
        let wait = current.iter().filter_map(|e| e.locked_until).filter(|u| *u > now).map(|u| u - now).max();
        if let Some(wait) = wait {
            return Err(wait);
        }
        for ((key, limit), mut entry) in keys.iter().zip(current) {
            entry.failures += 1;
            if entry.failures >= *limit {
                entry.locked_until = Some(now + self.lockout);
            }
            entries.insert(key.clone(), entry);
        }
        let [(account, _), (address, _)] = keys;
        Ok(Admitted { throttle: self, account, address })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // The map holds only counters; a panic elsewhere cannot leave it inconsistent.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The message of a refused attempt, the same on every form that checks a password.
pub fn locked_message(wait: Duration) -> String {
    let minutes = wait.as_secs().div_ceil(60).max(1);
    let unit = if minutes == 1 { "minute" } else { "minutes" };
    format!("Too many failed attempts. Login is locked; try again in {minutes} {unit}.")
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

    fn fail(t: &LoginThrottle, account: &str, address: IpAddr, now: Instant) {
        drop(t.admit(account, address, now).expect("admitted"));
    }

    #[test]
    fn locks_an_account_after_the_limit_and_releases_it() {
        let t = LoginThrottle::new(5, 100, Duration::from_secs(300));
        let start = Instant::now();
        for _ in 0..4 {
            fail(&t, "ana@example.com", HOME, start);
        }
        fail(&t, "ANA@example.com", AWAY, start);
        assert_eq!(t.admit("ana@example.com", AWAY, start).err(), Some(Duration::from_secs(300)));
        assert!(t.admit("bob@example.com", AWAY, start).is_ok());
        let later = start + Duration::from_secs(301);
        assert!(t.admit("ana@example.com", HOME, later).is_ok());
    }

    #[test]
    fn locks_an_address_spraying_accounts() {
        let t = LoginThrottle::new(5, 5, Duration::from_secs(60));
        let now = Instant::now();
        for i in 0..5 {
            fail(&t, &format!("user{i}@example.com"), HOME, now);
        }
        assert!(t.admit("someone@example.com", HOME, now).is_err());
        assert!(t.admit("someone@example.com", AWAY, now).is_ok());
    }

    #[test]
    fn success_clears_the_account_and_gives_back_the_address_count() {
        let t = LoginThrottle::new(3, 4, Duration::from_secs(60));
        let now = Instant::now();
        fail(&t, "ana@example.com", HOME, now);
        fail(&t, "ana@example.com", HOME, now);
        t.admit("ana@example.com", HOME, now).expect("admitted").succeeded();
        fail(&t, "ana@example.com", HOME, now);
        fail(&t, "ana@example.com", HOME, now);
        assert!(t.admit("ana@example.com", AWAY, now).is_ok(), "account streak restarted");
        assert!(t.admit("x@example.com", HOME, now).is_err(), "address saw four failures");
    }

    #[test]
    fn attempts_in_flight_count_before_their_outcome() {
        let t = LoginThrottle::new(5, 100, Duration::from_secs(60));
        let now = Instant::now();
        // Admitted but not yet decided, as simultaneous requests are while argon2 runs.
        let in_flight: Vec<_> = (0..40).filter_map(|_| t.admit("ana@example.com", HOME, now).ok()).collect();
        assert_eq!(in_flight.len(), 5, "at most the limit are checked");
    }

    #[test]
    fn the_lock_message_names_the_wait() {
        assert!(locked_message(Duration::from_secs(300)).contains("5 minutes"));
        assert!(locked_message(Duration::from_secs(20)).contains("1 minute."));
    }
}
