//! How many requests one webhook may have in flight, learned from how its endpoint answers:
//! pure decisions, no clock and no I/O (the sender moves it; the API shows its latency).
//!
//! A webhook starts at [`START_LIMIT`] requests in flight and gains one for each answer (of any
//! status, however slow), up to the configured bound; a timeout halves it (at least one). So an
//! endpoint that hangs holds two sockets at most before its first timeout and one after, while
//! one that answers, even slowly, reaches the full bound after a handful of answers (a slow
//! endpoint with steady traffic needs its full bound: at 300 ms an answer, two at a time would
//! carry less than seven events a second).

/// Requests in flight a webhook starts with, before its endpoint has answered quickly.
pub const START_LIMIT: usize = 2;
/// An endpoint whose recent answers came within this many milliseconds is quick (see
/// [`Pace::claim_cap`]).
pub const QUICK_MS: u64 = 200;
/// The weight of the newest attempt in the recent latency (an exponential average).
const LATENCY_WEIGHT: f64 = 0.2;

/// One webhook's pace.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    limit: usize,
    /// The recent time to an answer (or to the timeout), in milliseconds.
    latency_ms: Option<f64>,
}

impl Default for Pace {
    fn default() -> Self {
        Self { limit: START_LIMIT, latency_ms: None }
    }
}

/// How an attempt's request ended, as the pace counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// An answer of any status (or a refused connection) after `ms`.
    After { ms: u64 },
    /// No answer within the send timeout, which was `ms`.
    TimedOut { ms: u64 },
}

impl Pace {
    /// Requests in flight allowed now, within the configured bound `max`.
    pub fn limit(&self, max: usize) -> usize {
        self.limit.clamp(1, max.max(1))
    }

    /// How many of the webhook's due deliveries one sender may hold at once (sending or
    /// waiting their turn), within the bound `max` on requests in flight: twice the bound, so
    /// a claimed delivery waits behind at most one round of its webhook's requests and its
    /// lease outlives that; eight times the bound while the endpoint answers quickly at its
    /// full pace, so a backlog drains without a claim per handful of sends.
    pub fn claim_cap(&self, max: usize) -> usize {
        let max = max.max(1);
        let quick = self.latency_ms.is_some_and(|ms| ms < QUICK_MS as f64);
        if quick && self.limit >= max {
            max * 8
        } else {
            max * 2
        }
    }

    /// The recent time to an answer, in whole milliseconds.
    pub fn latency_ms(&self) -> Option<u64> {
        self.latency_ms.map(|ms| ms.round() as u64)
    }

    pub fn record(&mut self, answer: Answer, max: usize) {
        let took = match answer {
            Answer::After { ms } => {
                self.limit = (self.limit + 1).min(max.max(1));
                ms
            }
            Answer::TimedOut { ms } => {
                self.limit = (self.limit / 2).max(1);
                ms
            }
        };
        let took = took as f64;
        self.latency_ms = Some(self.latency_ms.map_or(took, |recent| recent + LATENCY_WEIGHT * (took - recent)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_raise_the_limit_to_the_bound_however_slow() {
        let mut pace = Pace::default();
        assert_eq!(pace.limit(8), START_LIMIT);
        for _ in 0..10 {
            pace.record(Answer::After { ms: 900 }, 8);
        }
        assert_eq!(pace.limit(8), 8, "a slow endpoint that answers gets its full bound");
        assert_eq!(pace.limit(4), 4, "the configured bound always holds");
    }

    #[test]
    fn a_timeout_halves_it_never_below_one() {
        let mut pace = Pace::default();
        for _ in 0..6 {
            pace.record(Answer::After { ms: 3 }, 8);
        }
        pace.record(Answer::TimedOut { ms: 15_000 }, 8);
        assert_eq!(pace.limit(8), 4);
        for _ in 0..5 {
            pace.record(Answer::TimedOut { ms: 15_000 }, 8);
        }
        assert_eq!(pace.limit(8), 1, "never below one");
        pace.record(Answer::After { ms: 5 }, 8);
        assert_eq!(pace.limit(8), 2, "and it grows back one answer at a time");
    }

    #[test]
    fn only_a_quick_endpoint_at_full_pace_has_more_claimed_for_it() {
        let mut pace = Pace::default();
        assert_eq!(pace.claim_cap(8), 16, "unknown yet");
        for _ in 0..10 {
            pace.record(Answer::After { ms: 2 }, 8);
        }
        assert_eq!(pace.claim_cap(8), 64);
        pace.record(Answer::TimedOut { ms: 15_000 }, 8);
        assert_eq!(pace.claim_cap(8), 16, "a timeout takes it back at once");
    }

    #[test]
    fn the_latency_follows_recent_answers() {
        let mut pace = Pace::default();
        assert_eq!(pace.latency_ms(), None);
        pace.record(Answer::After { ms: 100 }, 8);
        assert_eq!(pace.latency_ms(), Some(100));
        for _ in 0..30 {
            pace.record(Answer::After { ms: 10 }, 8);
        }
        assert_eq!(pace.latency_ms(), Some(10));
        pace.record(Answer::TimedOut { ms: 15_000 }, 8);
        assert!(pace.latency_ms().is_some_and(|ms| ms > 2_000), "a timeout weighs in with its whole wait");
    }
}
