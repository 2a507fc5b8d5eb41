//! Public ids (Clockify style: 24 lowercase hex characters) and random tokens.

use base64::Engine;
use rand::RngCore;

/// A fresh public id: 12 random bytes as 24 lowercase hex characters.
pub fn new_public_id() -> String {
    let mut bytes = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Whether `s` has the shape of a public id. Checked before any query, so a malformed id in a
/// URL is a plain 404 without touching the database.
pub fn is_public_id(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A URL-safe secret token of 32 random bytes.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A Standard Webhooks message id: `msg_` and 32 URL-safe random characters.
pub fn new_message_id() -> String {
    format!("msg_{}", &random_token()[..32])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_ids_are_24_hex_and_distinct() {
        let (a, b) = (new_public_id(), new_public_id());
        assert!(is_public_id(&a) && is_public_id(&b));
        assert_ne!(a, b);
        assert!(!is_public_id("5F6C023D6BF23143E1A97822"));
        assert!(!is_public_id("5f6c023d6bf23143e1a9782"));
        assert!(!is_public_id("../../etc/passwd0000000"));
    }

    #[test]
    fn tokens_are_url_safe_and_long() {
        let token = random_token();
        assert_eq!(token.len(), 43);
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }
}
