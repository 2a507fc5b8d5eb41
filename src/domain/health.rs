//! A webhook's health, derived in one place from its history: Healthy; Degraded (five failures
//! in a row, which open its circuit, or more than a set share of the last hour's attempts
//! failed); Failing (no success for a day: the warning before auto-disable); Disabled.

/// The health states, as stored in `webhooks.health` and answered by the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Health {
    Healthy,
    Degraded,
    Failing,
    Disabled,
}

impl Health {
    pub const ALL: [Health; 4] = [Self::Healthy, Self::Degraded, Self::Failing, Self::Disabled];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "HEALTHY",
            Self::Degraded => "DEGRADED",
            Self::Failing => "FAILING",
            Self::Disabled => "DISABLED",
        }
    }

    /// A stored value; anything unknown reads as Healthy (the next check stores the truth).
    pub fn of_stored(text: &str) -> Self {
        Self::ALL.into_iter().find(|h| h.as_str() == text).unwrap_or(Self::Healthy)
    }

    /// As a metrics label.
    pub const fn label_lowercase(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::Degraded => "degraded",
            Self::Failing => "failing",
            Self::Disabled => "disabled",
        }
    }

    /// As people read it.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Healthy => "Healthy",
            Self::Degraded => "Degraded",
            Self::Failing => "Failing",
            Self::Disabled => "Disabled",
        }
    }
}

/// Failures in a row that make a webhook Degraded: the count that opens its circuit.
pub const FAILURES_IN_A_ROW: usize = 5;

/// The thresholds of the ladder (configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthRules {
    /// Degraded when more than this share (percent) of the last hour's attempts failed...
    pub degraded_percent: u8,
    /// ...and there were at least this many (one failure of one is not a trend).
    pub degraded_min_attempts: i64,
    /// Failing after this long without a success.
    pub failing_after_ms: i64,
    /// Auto-disable after this long without a success (the next rung, for what the banner says).
    pub disable_after_ms: i64,
}

impl Default for HealthRules {
    fn default() -> Self {
        Self {
            degraded_percent: 20,
            degraded_min_attempts: 5,
            failing_after_ms: 24 * 3_600_000,
            disable_after_ms: 5 * 24 * 3_600_000,
        }
    }
}

/// What the ladder reads of a webhook.
#[derive(Debug, Clone, Copy)]
pub struct Vitals<'a> {
    /// Enabled, and its plan allows it.
    pub delivering: bool,
    /// When its current run of failures began (`None` after a success).
    pub failing_since: Option<i64>,
    /// The last 20 outcomes, oldest first (`S`, `F`).
    pub recent_outcomes: &'a str,
    /// The last hour's attempts and failures.
    pub last_hour: (i64, i64),
}

impl HealthRules {
    pub fn judge(&self, vitals: &Vitals, now: i64) -> Health {
        if !vitals.delivering {
            return Health::Disabled;
        }
        if vitals.failing_since.is_some_and(|since| now - since >= self.failing_after_ms) {
            return Health::Failing;
        }
        let in_a_row = vitals.recent_outcomes.chars().rev().take_while(|o| *o == 'F').count();
        let (attempts, failures) = vitals.last_hour;
        let share_high =
            attempts >= self.degraded_min_attempts && failures * 100 > attempts * i64::from(self.degraded_percent);
        // A success last means the endpoint answers again: the share alone keeps it Degraded
        // only while failures still come.
        let last_failed = vitals.recent_outcomes.ends_with('F');
        if in_a_row >= FAILURES_IN_A_ROW || (share_high && last_failed) {
            return Health::Degraded;
        }
        Health::Healthy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    fn vitals(outcomes: &str, last_hour: (i64, i64), failing_since: Option<i64>) -> Vitals<'_> {
        Vitals { delivering: true, failing_since, recent_outcomes: outcomes, last_hour }
    }

    #[test]
    fn the_ladder_climbs_with_failures_and_comes_down_with_a_success() {
        let rules = HealthRules::default();
        let now = 100 * HOUR;
        assert_eq!(rules.judge(&vitals("SSSS", (4, 0), None), now), Health::Healthy);
        assert_eq!(rules.judge(&vitals("SFFFF", (5, 4), Some(now)), now), Health::Degraded, "share over 20 %");
        assert_eq!(rules.judge(&vitals("FFFFF", (5, 5), Some(now)), now), Health::Degraded);
        assert_eq!(
            rules.judge(&vitals("FFFF", (4, 4), Some(now)), now),
            Health::Healthy,
            "four in a row, too few for a share"
        );
        assert_eq!(rules.judge(&vitals("SSSSSSSSF", (10, 3), Some(now)), now), Health::Degraded, "30 % failed");
        assert_eq!(
            rules.judge(&vitals("SSSSSSSSSF", (10, 2), Some(now)), now),
            Health::Healthy,
            "20 % is not more than 20 %"
        );
        assert_eq!(rules.judge(&vitals("FFFFS", (10, 9), None), now), Health::Healthy, "answering again");
        let day_ago = now - 24 * HOUR;
        assert_eq!(rules.judge(&vitals("FFFFF", (5, 5), Some(day_ago)), now), Health::Failing);
        assert_eq!(rules.judge(&vitals("F", (1, 1), Some(day_ago + 1)), now), Health::Healthy);
        let off = Vitals { delivering: false, ..vitals("S", (1, 0), None) };
        assert_eq!(rules.judge(&off, now), Health::Disabled);
    }

    #[test]
    fn stored_values_read_back() {
        for health in Health::ALL {
            assert_eq!(Health::of_stored(health.as_str()), health);
        }
        assert_eq!(Health::of_stored("SOMETHING"), Health::Healthy);
    }
}
