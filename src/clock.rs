//! The one clock keyhook reads: now, as Unix milliseconds; and the sender's [`Clock`], which a
//! test driving the sender may move ahead.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Now, as Unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)).unwrap_or(0)
}

/// The sender's time: the real clock, or (a test driving the sender) the real clock moved
/// ahead by the jumps the test made, so a retry an hour away falls due in one call instead of
/// an hour. It only moves forward, so what the rest of the server dates by the real clock is
/// never in the sender's future.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    ahead_ms: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The real clock.
    pub fn real() -> Self {
        Self::default()
    }

    /// A clock [`Clock::advance_to`] can move ahead.
    pub fn adjustable() -> Self {
        Self { ahead_ms: Some(Arc::new(AtomicI64::new(0))) }
    }

    /// How far ahead of the real clock this one is.
    pub fn ahead_ms(&self) -> i64 {
        self.ahead_ms.as_ref().map_or(0, |ahead| ahead.load(Ordering::SeqCst))
    }

    pub fn now_ms(&self) -> i64 {
        now_ms() + self.ahead_ms()
    }

    /// Moves an adjustable clock forward so that it reads at least `at` (never back; the real
    /// clock cannot be moved).
    pub fn advance_to(&self, at: i64) {
        if let Some(ahead) = &self.ahead_ms {
            ahead.fetch_max(at - now_ms(), Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_adjustable_clock_moves_forward_only_and_the_real_one_not_at_all() {
        let clock = Clock::adjustable();
        let hour_on = now_ms() + 3_600_000;
        clock.advance_to(hour_on);
        assert!(clock.now_ms() >= hour_on && clock.now_ms() < hour_on + 1_000);
        clock.advance_to(now_ms());
        assert!(clock.now_ms() >= hour_on, "never back");
        let real = Clock::real();
        real.advance_to(hour_on);
        assert!(real.now_ms() < hour_on - 1_000);
    }
}
