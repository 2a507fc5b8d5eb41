//! A circuit breaker per webhook: pure decisions, no clock of its own and no I/O. The sender
//! moves each webhook's circuit; the API and the pages show it (`crate::circuits`).
//!
//! Closed, every failure adds its weight (a timeout [`TIMEOUT_WEIGHT`], any other failure 1) and
//! a success clears the count; at [`OPEN_AT`] the circuit opens. Open, the webhook gets one
//! request at a time, a probe, the first [`FIRST_PROBE_MS`] after opening and each later one
//! twice as long after the last (at most [`MAX_PROBE_MS`]); its other due deliveries wait in
//! the database, unattempted. A probe's success closes the circuit.

/// The weight of failures in a row that opens a circuit: five quick failures, or three timeouts.
pub const OPEN_AT: u32 = 5;
/// A timeout holds a request for the whole send timeout, so it counts more than a quick 500.
pub const TIMEOUT_WEIGHT: u32 = 2;
/// The wait before the first probe of an open circuit.
pub const FIRST_PROBE_MS: i64 = 1_000;
/// The longest wait between probes.
pub const MAX_PROBE_MS: i64 = 60_000;
/// Probes are not to the millisecond: the sender wakes for them on this grid, so the probes of
/// many open circuits falling due together share one poll.
pub const PROBE_GRID_MS: i64 = 250;

/// When the sender wakes for a probe that may start at `at`: the next point of the grid.
pub fn probe_wake(at: i64) -> i64 {
    at + (PROBE_GRID_MS - at.rem_euclid(PROBE_GRID_MS)) % PROBE_GRID_MS
}

/// One webhook's circuit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Circuit {
    Closed {
        failures: u32,
    },
    /// Open since `since` (Unix ms); the next probe may start at `probe_at`, after `wait` ms.
    Open {
        since: i64,
        probe_at: i64,
        wait: i64,
        probing: bool,
    },
}

/// How an attempt ended, as the breaker counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Success,
    Timeout,
    Failure,
}

/// What an open or closed circuit says to a request about to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Send,
    /// The one request an open circuit lets through; only its result moves the circuit on.
    Probe,
    Wait,
}

impl Default for Circuit {
    fn default() -> Self {
        Self::Closed { failures: 0 }
    }
}

impl Circuit {
    /// Whether a request may start now; an open circuit admits one probe, which it marks.
    pub fn admit(&mut self, now: i64) -> Admission {
        match self {
            Self::Closed { .. } => Admission::Send,
            Self::Open { probe_at, probing, .. } if !*probing && now >= *probe_at => {
                *probing = true;
                Admission::Probe
            }
            Self::Open { .. } => Admission::Wait,
        }
    }

    /// Whether the poll should claim this webhook's deliveries now (without marking a probe).
    pub fn claimable(&self, now: i64) -> bool {
        match self {
            Self::Closed { .. } => true,
            Self::Open { probe_at, probing, .. } => !*probing && now >= *probe_at,
        }
    }

    /// Counts an attempt's result at `now`; `probe` says whether it was the open circuit's probe
    /// (a request that started before the circuit opened only closes it, by succeeding).
    pub fn record(&mut self, result: Ended, now: i64, probe: bool) {
        *self = match (*self, result) {
            (_, Ended::Success) => Self::Closed { failures: 0 },
            (open @ Self::Open { .. }, _) if !probe => open,
            (Self::Closed { failures }, failed) => {
                let failures = failures + if failed == Ended::Timeout { TIMEOUT_WEIGHT } else { 1 };
                if failures >= OPEN_AT {
                    Self::Open { since: now, probe_at: now + FIRST_PROBE_MS, wait: FIRST_PROBE_MS, probing: false }
                } else {
                    Self::Closed { failures }
                }
            }
            // A failed probe: wait twice as long for the next.
            (Self::Open { since, wait, .. }, _) => {
                let wait = (wait * 2).min(MAX_PROBE_MS);
                Self::Open { since, probe_at: now + wait, wait, probing: false }
            }
        };
    }

    /// A probe that was admitted but made no attempt (its delivery was cancelled, or shutdown
    /// came first): the next one may go.
    pub fn probe_over(&mut self) {
        if let Self::Open { probing, .. } = self {
            *probing = false;
        }
    }

    /// When this open circuit's next probe may start (none while one is out, or when closed).
    pub fn probe_due(&self) -> Option<i64> {
        match self {
            Self::Open { probe_at, probing: false, .. } => Some(*probe_at),
            _ => None,
        }
    }

    pub fn is_open(&self) -> bool {
        matches!(self, Self::Open { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_are_woken_for_on_a_grid_never_before_they_may_start() {
        assert_eq!(probe_wake(10_000), 10_000);
        assert_eq!(probe_wake(10_001), 10_250);
        assert_eq!(probe_wake(10_249), 10_250);
        assert_eq!(probe_wake(10_250), 10_250);
    }

    #[test]
    fn five_failures_or_three_timeouts_open_it() {
        let mut circuit = Circuit::default();
        for i in 0..4 {
            circuit.record(Ended::Failure, i, false);
        }
        assert!(!circuit.is_open());
        circuit.record(Ended::Failure, 4, false);
        assert!(circuit.is_open());

        let mut slow = Circuit::default();
        slow.record(Ended::Timeout, 0, false);
        slow.record(Ended::Timeout, 0, false);
        assert!(!slow.is_open());
        slow.record(Ended::Timeout, 0, false);
        assert!(slow.is_open(), "a timeout weighs two");
    }

    #[test]
    fn a_success_clears_the_count() {
        let mut circuit = Circuit::default();
        for _ in 0..4 {
            circuit.record(Ended::Failure, 0, false);
        }
        circuit.record(Ended::Success, 0, false);
        circuit.record(Ended::Failure, 0, false);
        assert_eq!(circuit, Circuit::Closed { failures: 1 });
    }

    #[test]
    fn an_open_circuit_admits_one_probe_at_a_time_backing_off() {
        let mut circuit = Circuit::Closed { failures: OPEN_AT - 1 };
        circuit.record(Ended::Failure, 10_000, false);
        assert_eq!(circuit.admit(10_500), Admission::Wait, "no request before the first probe is due");
        assert_eq!(circuit.probe_due(), Some(11_000));
        assert_eq!(circuit.admit(11_000), Admission::Probe);
        assert_eq!(circuit.admit(11_000), Admission::Wait, "one probe at a time");
        assert_eq!(circuit.probe_due(), None, "the sender's timer waits for the probe out, not a time");
        circuit.record(Ended::Failure, 11_500, false);
        assert_eq!(circuit.admit(11_500), Admission::Wait, "a straggler's failure frees no second probe");
        circuit.record(Ended::Timeout, 12_000, true);
        assert!(!circuit.claimable(13_999));
        assert_eq!(circuit.admit(14_000), Admission::Probe, "the next probe waits twice as long");
        circuit.record(Ended::Success, 14_100, true);
        assert_eq!(circuit, Circuit::Closed { failures: 0 });
        assert_eq!((circuit.admit(14_100), circuit.admit(14_100)), (Admission::Send, Admission::Send));
    }

    #[test]
    fn a_probe_that_sent_nothing_frees_the_next() {
        let mut circuit = Circuit::Closed { failures: OPEN_AT - 1 };
        circuit.record(Ended::Failure, 0, false);
        assert_eq!(circuit.admit(FIRST_PROBE_MS), Admission::Probe);
        circuit.probe_over();
        assert_eq!(circuit.admit(FIRST_PROBE_MS), Admission::Probe, "another probe may go");
    }

    #[test]
    fn probes_wait_at_most_a_minute() {
        let mut circuit = Circuit::Closed { failures: OPEN_AT - 1 };
        circuit.record(Ended::Failure, 0, false);
        let mut now = 0;
        for _ in 0..20 {
            now += MAX_PROBE_MS;
            assert_eq!(circuit.admit(now), Admission::Probe);
            circuit.record(Ended::Failure, now, true);
        }
        assert!(matches!(circuit, Circuit::Open { wait: MAX_PROBE_MS, .. }));
    }
}
