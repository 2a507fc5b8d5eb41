//! A person's or a workspace's name.

use std::fmt;

/// A trimmed, non-empty name of at most 100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(input: &str) -> Result<Self, String> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err("Enter a name.".into());
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(format!("Use at most {} characters.", Self::MAX_CHARS));
        }
        if trimmed.chars().any(char::is_control) {
            return Err("Remove the control characters.".into());
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_keeps_markup_as_text() {
        assert_eq!(Name::parse("  Acme <script>\"x\" ").map(|n| n.0), Ok("Acme <script>\"x\"".into()));
    }

    #[test]
    fn refuses_blank_long_and_control_characters() {
        assert!(Name::parse("   ").is_err());
        assert!(Name::parse(&"é".repeat(100)).is_ok());
        assert!(Name::parse(&"é".repeat(101)).is_err());
        assert!(Name::parse("a\u{0}b").is_err());
    }
}
