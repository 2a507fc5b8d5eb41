//! The choices a user has for how long a key, or a regenerated key's old secret, keeps working.

const HOUR_MS: i64 = 60 * 60 * 1000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// How long a new key works: forever, or 30, 90 or 365 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyExpiry {
    Never,
    Days30,
    Days90,
    Days365,
}

impl KeyExpiry {
    pub const ALL: [KeyExpiry; 4] = [KeyExpiry::Never, KeyExpiry::Days30, KeyExpiry::Days90, KeyExpiry::Days365];

    /// Parses the form value (`never`, `30`, `90`, `365`); empty means never.
    pub fn parse(input: &str) -> Result<Self, String> {
        match input.trim() {
            "" | "never" => Ok(Self::Never),
            "30" => Ok(Self::Days30),
            "90" => Ok(Self::Days90),
            "365" => Ok(Self::Days365),
            _ => Err("Choose when the key expires from the list.".into()),
        }
    }

    pub fn value(self) -> &'static str {
        match self {
            Self::Never => "never",
            Self::Days30 => "30",
            Self::Days90 => "90",
            Self::Days365 => "365",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Never => "Never",
            Self::Days30 => "In 30 days",
            Self::Days90 => "In 90 days",
            Self::Days365 => "In 365 days",
        }
    }

    /// The expiry instant for a key created at `now_ms`.
    pub fn expires_at(self, now_ms: i64) -> Option<i64> {
        let days = match self {
            Self::Never => return None,
            Self::Days30 => 30,
            Self::Days90 => 90,
            Self::Days365 => 365,
        };
        Some(now_ms + days * DAY_MS)
    }
}

/// How long the old secret keeps working after a regeneration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GracePeriod {
    None,
    Hour,
    Day,
    Week,
}

impl GracePeriod {
    pub const ALL: [GracePeriod; 4] = [GracePeriod::None, GracePeriod::Hour, GracePeriod::Day, GracePeriod::Week];

    /// Parses the form value (`none`, `1h`, `24h`, `7d`); empty means none.
    pub fn parse(input: &str) -> Result<Self, String> {
        match input.trim() {
            "" | "none" => Ok(Self::None),
            "1h" => Ok(Self::Hour),
            "24h" => Ok(Self::Day),
            "7d" => Ok(Self::Week),
            _ => Err("Choose a grace period from the list.".into()),
        }
    }

    pub fn value(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Hour => "1h",
            Self::Day => "24h",
            Self::Week => "7d",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::None => "None: the old key stops working now",
            Self::Hour => "1 hour",
            Self::Day => "24 hours",
            Self::Week => "7 days",
        }
    }

    pub fn millis(self) -> i64 {
        match self {
            Self::None => 0,
            Self::Hour => HOUR_MS,
            Self::Day => DAY_MS,
            Self::Week => 7 * DAY_MS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_round_trip() {
        for expiry in KeyExpiry::ALL {
            assert_eq!(KeyExpiry::parse(expiry.value()), Ok(expiry));
        }
        for grace in GracePeriod::ALL {
            assert_eq!(GracePeriod::parse(grace.value()), Ok(grace));
        }
        assert!(KeyExpiry::parse("7").is_err());
        assert!(GracePeriod::parse("forever").is_err());
    }

    #[test]
    fn instants_follow_the_choice() {
        assert_eq!(KeyExpiry::Never.expires_at(1_000), None);
        assert_eq!(KeyExpiry::Days30.expires_at(0), Some(30 * DAY_MS));
        assert_eq!(GracePeriod::Week.millis(), 7 * DAY_MS);
        assert_eq!(GracePeriod::None.millis(), 0);
    }
}
