//! Password hashing with argon2id (the crate's defaults follow OWASP's recommendation).
//! Both functions are slow by design: call them on a blocking thread, outside transactions.

use std::sync::OnceLock;

use anyhow::anyhow;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::domain::Password;

pub fn hash(password: &Password) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow!("cannot hash a password: {e}"))
}

/// Whether `candidate` matches `stored`. A malformed stored hash never matches.
pub fn verify(candidate: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| Argon2::default().verify_password(candidate.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// Spends the same time as [`verify`] when there is no account to check against, so that a
/// login's timing does not tell whether an address has an account.
pub fn verify_against_nothing(candidate: &str) {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| Password::parse("not-a-real-password").ok().and_then(|p| hash(&p).ok()));
    if let Some(stored) = dummy {
        verify(candidate, stored);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let password = Password::parse("correct horse battery").expect("valid");
        let (a, b) = (hash(&password).expect("hash"), hash(&password).expect("hash"));
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify("correct horse battery", &a));
        assert!(!verify("correct horse batterY", &a));
        assert!(!verify("anything", "not a hash"));
    }
}
