//! The names and texts of a workspace's time-tracking entities (clients, tags, projects, tasks).

/// A trimmed entity name within its kind's length, without control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityName(String);

impl EntityName {
    /// Clients and tags: 1 to 100 characters (Clockify's limit).
    pub const CLIENT_OR_TAG_CHARS: (usize, usize) = (1, 100);
    /// Projects: 2 to 250 characters.
    pub const PROJECT_CHARS: (usize, usize) = (2, 250);
    /// Tasks: 1 to 1,000 characters.
    pub const TASK_CHARS: (usize, usize) = (1, 1000);

    pub fn client_or_tag(input: &str) -> Result<Self, String> {
        Self::within(input, Self::CLIENT_OR_TAG_CHARS)
    }

    pub fn project(input: &str) -> Result<Self, String> {
        Self::within(input, Self::PROJECT_CHARS)
    }

    pub fn task(input: &str) -> Result<Self, String> {
        Self::within(input, Self::TASK_CHARS)
    }

    /// At least `min` characters once trimmed, at most `max` as sent (so a client's length
    /// check and the API document's `maxLength` say the same as the server).
    fn within(input: &str, (min, max): (usize, usize)) -> Result<Self, String> {
        let name = input.trim();
        let chars = name.chars().count();
        if chars == 0 {
            return Err("must not be empty".into());
        }
        if chars < min || input.chars().count() > max {
            return Err(format!("use {min} to {max} characters"));
        }
        if name.chars().any(char::is_control) {
            return Err("remove the control characters".into());
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The longest free text of a client (address, note) or a time entry (description).
pub const TEXT_CHARS: usize = 3000;
/// The longest project note.
pub const PROJECT_NOTE_CHARS: usize = 16_384;

/// Free text of at most `max` characters (a client's address or note), kept as written.
pub fn long_text(input: &str, max: usize) -> Result<String, String> {
    if input.chars().count() > max {
        return Err(format!("use at most {max} characters"));
    }
    Ok(input.to_owned())
}

/// A project's colour, `#RRGGBB`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Color(String);

impl Color {
    pub fn parse(input: &str) -> Result<Self, String> {
        let hex = input.strip_prefix('#').filter(|h| h.len() == 6 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        match hex {
            Some(_) => Ok(Self(input.to_ascii_uppercase())),
            None => Err("use a colour like #03A9F4 (# and six hex digits)".into()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An ISO-8601 duration as Clockify writes estimates and durations (`PT1H30M`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsoDuration(String);

impl IsoDuration {
    pub fn parse(input: &str) -> Result<Self, String> {
        // jiff also reads "90 minutes"; Clockify's clients send ISO-8601 only, which starts with P.
        if !input.trim().to_ascii_uppercase().starts_with('P') {
            return Err("use an ISO-8601 duration like PT1H30M".into());
        }
        let span: jiff::Span = input.trim().parse().map_err(|_| "use an ISO-8601 duration like PT1H30M".to_owned())?;
        if span.is_negative() {
            return Err("must not be negative".into());
        }
        Ok(Self(input.trim().to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A task's status: ACTIVE, or DONE (only a done task can be deleted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    Active,
    Done,
}

impl TaskStatus {
    pub fn parse(input: &str) -> Result<Self, String> {
        match input.trim() {
            "ACTIVE" => Ok(Self::Active),
            "DONE" => Ok(Self::Done),
            _ => Err("use ACTIVE or DONE".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Done => "DONE",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(EntityName::client_or_tag("  Acme  ").map(|n| n.0), Ok("Acme".to_owned()));
        assert!(EntityName::client_or_tag("   ").is_err());
        assert!(EntityName::client_or_tag(&"n".repeat(100)).is_ok());
        assert!(EntityName::client_or_tag(&"n".repeat(101)).is_err());
        assert!(EntityName::client_or_tag(&format!(" {} ", "n".repeat(99))).is_err(), "101 as sent");
        assert!(EntityName::client_or_tag("a\u{7}b").is_err());
        assert!(long_text(&"x".repeat(3000), 3000).is_ok());
        assert!(long_text(&"x".repeat(3001), 3000).is_err());
        assert!(EntityName::project("a").is_err());
        assert!(EntityName::project(&"p".repeat(250)).is_ok());
        assert!(EntityName::project(&"p".repeat(251)).is_err());
    }

    #[test]
    fn colours_durations_and_statuses_parse() {
        assert_eq!(Color::parse("#03a9f4").map(|c| c.0), Ok("#03A9F4".to_owned()));
        for bad in ["03A9F4", "#03A9F", "#03A9F44", "#GGGGGG", "red", ""] {
            assert!(Color::parse(bad).is_err(), "{bad}");
        }
        assert!(IsoDuration::parse("PT1H30M").is_ok());
        assert!(IsoDuration::parse("P1DT2H").is_ok());
        assert!(IsoDuration::parse("90 minutes").is_err());
        assert!(IsoDuration::parse("-PT1H").is_err());
        assert_eq!(TaskStatus::parse("DONE"), Ok(TaskStatus::Done));
        assert!(TaskStatus::parse("ALL").is_err());
    }
}
