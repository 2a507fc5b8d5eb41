//! Webhook signing secrets and Standard Webhooks signatures
//! (https://www.standardwebhooks.com): `v1,<base64(HMAC-SHA256(key, "{id}.{ts}.{body}"))>`.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

const PREFIX: &str = "whsec_";

/// A signing secret, `whsec_` + base64 of 32 random bytes. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(String);

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(***)")
    }
}

impl SigningSecret {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(format!("{PREFIX}{}", BASE64.encode(bytes)))
    }

    /// Reads a stored secret (after decryption).
    pub fn parse(text: &str) -> Result<Self, String> {
        let key = text.strip_prefix(PREFIX).ok_or("a signing secret starts with whsec_")?;
        BASE64.decode(key).map_err(|_| "a signing secret is whsec_ and base64".to_owned())?;
        Ok(Self(text.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    fn key(&self) -> Vec<u8> {
        BASE64.decode(&self.0[PREFIX.len()..]).unwrap_or_default()
    }

    /// The `v1,...` signature of one message.
    pub fn sign(&self, message_id: &str, timestamp: i64, body: &str) -> String {
        // HMAC accepts keys of any length; this cannot fail.
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key()).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
        mac.update(format!("{message_id}.{timestamp}.").as_bytes());
        mac.update(body.as_bytes());
        format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
    }
}

/// The `webhook-signature` header: one signature per valid secret, space separated.
pub fn signature_header(secrets: &[SigningSecret], message_id: &str, timestamp: i64, body: &str) -> String {
    secrets.iter().map(|s| s.sign(message_id, timestamp, body)).collect::<Vec<_>>().join(" ")
}

/// A static token for the Clockify-compatible `Clockify-Signature` header.
pub fn new_auth_token() -> String {
    super::random_token()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector of the Standard Webhooks reference libraries.
    #[test]
    fn the_reference_test_vector_passes() {
        let secret = SigningSecret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").expect("valid");
        let signature = secret.sign(
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            1649367553,
            r#"{"email":"test@example.com","username":"test_user"}"#,
        );
        assert_eq!(signature, "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
    }

    #[test]
    fn every_valid_secret_signs() {
        let (old, new) = (SigningSecret::generate(), SigningSecret::generate());
        let header = signature_header(&[new.clone(), old.clone()], "msg_1", 1, "{}");
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts, [new.sign("msg_1", 1, "{}"), old.sign("msg_1", 1, "{}")]);
        assert!(new.expose().starts_with("whsec_") && new.expose().len() == 6 + 44);
        assert!(!format!("{new:?}").contains("whsec"));
    }
}
