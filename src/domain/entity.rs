//! The names and texts of a workspace's time-tracking entities (clients, tags, projects, tasks).

/// A trimmed entity name within its kind's length, without control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityName(String);

impl EntityName {
    /// Clients and tags: 1 to 100 characters (Clockify's limit).
    pub fn client_or_tag(input: &str) -> Result<Self, String> {
        Self::within(input, 1, 100)
    }

    /// Projects: 2 to 250 characters.
    pub fn project(input: &str) -> Result<Self, String> {
        Self::within(input, 2, 250)
    }

    /// Tasks: 1 to 1,000 characters.
    pub fn task(input: &str) -> Result<Self, String> {
        Self::within(input, 1, 1000)
    }

    fn within(input: &str, min: usize, max: usize) -> Result<Self, String> {
        let name = input.trim();
        let chars = name.chars().count();
        if chars == 0 {
            return Err("must not be empty".into());
        }
        if chars < min || chars > max {
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
