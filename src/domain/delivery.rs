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
}

impl DeliveryState {
    /// The settled states "recover" sends again.
    pub const RECOVERABLE: [DeliveryState; 2] = [Self::Failed, Self::Cancelled];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::Cancelled => "CANCELLED",
        }
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
        assert_eq!(DeliveryState::RECOVERABLE.map(DeliveryState::as_str), ["FAILED", "CANCELLED"]);
    }
}
