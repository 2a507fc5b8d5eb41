//! Where a delivery stands and why an attempt was made: the values of the `deliveries.state`,
//! `deliveries.trigger` and `attempts.trigger` columns, named once.

/// A delivery's state. Only `Pending` deliveries are sent; the others are settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Pending,
    Succeeded,
    /// Failed for good: the retries ran out.
    Failed,
    /// Dropped unsent (its webhook was deleted or disabled).
    Cancelled,
    /// An event while its webhook was disabled by failures: sent if the webhook is enabled
    /// again with its missed deliveries, cancelled if without.
    Missed,
}

impl DeliveryState {
    /// The settled states "recover" sends again.
    pub const RECOVERABLE: [DeliveryState; 3] = [Self::Failed, Self::Cancelled, Self::Missed];
    pub const ALL: [DeliveryState; 5] = [Self::Pending, Self::Succeeded, Self::Failed, Self::Cancelled, Self::Missed];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::Cancelled => "CANCELLED",
            Self::Missed => "MISSED",
        }
    }
}

/// Where a delivery stands as people read it (and filter on): a pending delivery is Queued
/// before its first attempt, Retrying after, and Waiting while its webhook's circuit is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Queued,
    Retrying,
    Waiting,
    Delivered,
    Failed,
    Cancelled,
    Missed,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 7] =
        [Self::Queued, Self::Retrying, Self::Waiting, Self::Delivered, Self::Failed, Self::Cancelled, Self::Missed];

    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        Self::ALL.into_iter().find(|s| s.as_str().eq_ignore_ascii_case(text)).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|s| s.as_str()).collect();
            format!("{text:?} is not a delivery state; use one of {}.", names.join(", "))
        })
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "QUEUED",
            Self::Retrying => "RETRYING",
            Self::Waiting => "WAITING",
            Self::Delivered => "DELIVERED",
            Self::Failed => "FAILED",
            Self::Cancelled => "CANCELLED",
            Self::Missed => "MISSED",
        }
    }

    /// The stored state it is one of.
    pub const fn stored(self) -> DeliveryState {
        match self {
            Self::Queued | Self::Retrying | Self::Waiting => DeliveryState::Pending,
            Self::Delivered => DeliveryState::Succeeded,
            Self::Failed => DeliveryState::Failed,
            Self::Cancelled => DeliveryState::Cancelled,
            Self::Missed => DeliveryState::Missed,
        }
    }

    /// A stored delivery's status, given whether its webhook's circuit is open.
    pub fn of(state: &str, attempts: i32, circuit_open: bool) -> Self {
        match state {
            "SUCCEEDED" => Self::Delivered,
            "FAILED" => Self::Failed,
            "CANCELLED" => Self::Cancelled,
            "MISSED" => Self::Missed,
            _ if circuit_open => Self::Waiting,
            _ if attempts > 0 => Self::Retrying,
            _ => Self::Queued,
        }
    }
}

/// A match on a delivery's latest status: an HTTP code (`500`), a class of codes (`5xx`), or
/// an error class (`timeout`, `connect`, `dns`, `tls`, `ssrf`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMatch(String);

impl StatusMatch {
    pub const ERROR_CLASSES: [&'static str; 5] = ["timeout", "connect", "dns", "tls", "ssrf"];

    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim().to_ascii_lowercase();
        let digits =
            |s: &str| s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()) && (b'1'..=b'5').contains(&s.as_bytes()[0]);
        let class = text.len() == 3 && text.ends_with("xx") && (b'1'..=b'5').contains(&text.as_bytes()[0]);
        if digits(&text) || class || Self::ERROR_CLASSES.contains(&text.as_str()) {
            return Ok(Self(text));
        }
        Err(format!(
            "{text:?} is not a status; use an HTTP code (500), a class (5xx) or one of {}.",
            Self::ERROR_CLASSES.join(", ")
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a delivery's latest status (`500`, `timeout`) is one this matches (`5xx`
    /// stands for any three digits starting with 5).
    pub fn matches(&self, status: &str) -> bool {
        self.0.len() == status.len()
            && self
                .0
                .bytes()
                .zip(status.bytes())
                .all(|(want, got)| (want == b'x' && got.is_ascii_digit()) || want == got.to_ascii_lowercase())
    }
}

/// A search for a text in deliveries' payloads (an entity id, an e-mail address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadSearch(String);

impl PayloadSearch {
    pub const MAX_CHARS: usize = 200;

    /// `None` for an empty search.
    pub fn parse(text: &str) -> Result<Option<Self>, String> {
        let text = text.trim();
        if text.chars().count() > Self::MAX_CHARS {
            return Err(format!("Search for at most {} characters.", Self::MAX_CHARS));
        }
        if text.chars().any(char::is_control) {
            return Err("Remove the control characters from the search.".into());
        }
        Ok((!text.is_empty()).then(|| Self(text.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A case-blind `LIKE` pattern for the text anywhere, its `%`, `_` and `\` escaped with `\`.
    pub fn like_pattern(&self) -> String {
        let escaped = self.0.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        format!("%{escaped}%")
    }
}

/// Why a delivery exists (`Event`, `Test`, `Resend`) and, for an attempt, also `Retry`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Event,
    Retry,
    Test,
    Resend,
}

impl Trigger {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Event => "EVENT",
            Self::Retry => "RETRY",
            Self::Test => "TEST",
            Self::Resend => "RESEND",
        }
    }

    /// A delivery's stored trigger; anything unknown is taken as an event's.
    pub fn of_delivery(stored: &str) -> Self {
        match stored {
            "TEST" => Self::Test,
            "RESEND" => Self::Resend,
            _ => Self::Event,
        }
    }

    /// The trigger the logs show for the next attempt of a delivery made by `self` that has been
    /// attempted `attempts` times: an event's second attempt onwards is a retry.
    pub fn of_attempt(self, attempts: i32) -> Self {
        match self {
            Self::Event | Self::Retry if attempts > 0 => Self::Retry,
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_events_later_attempts_are_retries() {
        assert_eq!(Trigger::of_delivery("EVENT").of_attempt(0), Trigger::Event);
        assert_eq!(Trigger::of_delivery("EVENT").of_attempt(3), Trigger::Retry);
        assert_eq!(Trigger::of_delivery("TEST").of_attempt(2), Trigger::Test);
        assert_eq!(Trigger::of_delivery("RESEND").of_attempt(1), Trigger::Resend);
    }

    #[test]
    fn each_value_is_written_as_stored() {
        for t in [Trigger::Event, Trigger::Retry, Trigger::Test, Trigger::Resend] {
            if t != Trigger::Retry {
                assert_eq!(Trigger::of_delivery(t.as_str()), t);
            }
        }
        assert_eq!(DeliveryState::RECOVERABLE.map(DeliveryState::as_str), ["FAILED", "CANCELLED", "MISSED"]);
        for status in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::parse(&status.as_str().to_lowercase()), Ok(status));
        }
    }

    #[test]
    fn a_pending_delivery_reads_as_queued_retrying_or_waiting() {
        assert_eq!(DeliveryStatus::of("PENDING", 0, false), DeliveryStatus::Queued);
        assert_eq!(DeliveryStatus::of("PENDING", 2, false), DeliveryStatus::Retrying);
        assert_eq!(DeliveryStatus::of("PENDING", 2, true), DeliveryStatus::Waiting);
        assert_eq!(DeliveryStatus::of("SUCCEEDED", 1, true), DeliveryStatus::Delivered);
        assert!(DeliveryStatus::parse("DONE").expect_err("not a state").contains("QUEUED, RETRYING"));
    }

    #[test]
    fn statuses_are_codes_classes_or_error_classes() {
        let class = StatusMatch::parse("5XX").expect("a class");
        assert!(class.matches("500") && class.matches("503") && !class.matches("404") && !class.matches("5000"));
        let code = StatusMatch::parse(" 404 ").expect("a code");
        assert!(code.matches("404") && !code.matches("405"));
        let error = StatusMatch::parse("Timeout").expect("an error class");
        assert!(error.matches("timeout") && !error.matches("connect"));
        for bad in ["", "50", "5000", "600", "9xx", "x5x", "teapot", "%"] {
            assert!(StatusMatch::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn searches_are_bounded_and_match_their_text_literally() {
        assert_eq!(PayloadSearch::parse("  "), Ok(None));
        assert!(PayloadSearch::parse(&"a".repeat(201)).is_err());
        assert!(PayloadSearch::parse(&"a".repeat(200)).is_ok());
        assert!(PayloadSearch::parse("a\u{7}b").is_err());
        let search = PayloadSearch::parse("Ann_100%\\").expect("valid").expect("not empty");
        assert_eq!(search.like_pattern(), "%ann\\_100\\%\\\\%");
    }
}
