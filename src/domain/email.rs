//! Email addresses, normalised so that one address is one account.

use std::fmt;

/// A syntactically valid address of at most 254 characters, trimmed and lowercased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX_CHARS: usize = 254;

    pub fn parse(input: &str) -> Result<Self, String> {
        let normalised = input.trim().to_lowercase();
        if normalised.is_empty() {
            return Err("Enter an email address.".into());
        }
        if normalised.chars().count() > Self::MAX_CHARS {
            return Err(format!("Use at most {} characters.", Self::MAX_CHARS));
        }
        // The crate follows RFC 5322 closely; we add that the domain must have a dot, since
        // invitations go to real mailboxes, not to hosts on a local network.
        let valid = email_address::EmailAddress::is_valid(&normalised)
            && normalised.rsplit_once('@').is_some_and(|(_, domain)| domain.contains('.'))
            && !normalised.contains(['<', '>', '"', ' ']);
        if !valid {
            return Err("Enter a valid email address, like name@example.com.".into());
        }
        Ok(Self(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_space() {
        assert_eq!(Email::parse(" Ana@Example.COM ").map(|e| e.0), Ok("ana@example.com".into()));
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        for bad in ["", "ana", "ana@", "@example.com", "ana@localhost", "<script>@x.com", "a b@x.com"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }
}
