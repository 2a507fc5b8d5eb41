//! The names and texts of a workspace's time-tracking entities (clients, tags, projects, tasks).

/// A trimmed entity name within its kind's length, without control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityName(String);

impl EntityName {
    /// Clients and tags: 1 to 100 characters (Clockify's limit).
    pub fn client_or_tag(input: &str) -> Result<Self, String> {
        Self::within(input, 1, 100)
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
    }
}
