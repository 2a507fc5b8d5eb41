//! Encryption at rest for webhook secrets: AES-256-GCM under the configured encryption key,
//! a fresh random nonce per value, stored as base64(nonce || ciphertext).

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use anyhow::anyhow;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use rand::RngCore;

const NONCE_LEN: usize = 12;

#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(***)")
    }
}

impl SecretBox {
    /// `key` must be 32 bytes (checked when the settings are read).
    pub fn new(key: &[u8]) -> anyhow::Result<Self> {
        if key.len() != 32 {
            return Err(anyhow!("the encryption key must be 32 bytes"));
        }
        Ok(Self { cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)) })
    }

    pub fn seal(&self, plaintext: &str) -> anyhow::Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .map_err(|_| anyhow!("encryption failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(BASE64.encode(out))
    }

    pub fn open(&self, stored: &str) -> anyhow::Result<String> {
        let bytes = BASE64.decode(stored).map_err(|_| anyhow!("a stored secret is not base64"))?;
        if bytes.len() <= NONCE_LEN {
            return Err(anyhow!("a stored secret is too short"));
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| anyhow!("a stored secret does not decrypt: wrong KEYHOOK_ENCRYPTION_KEY?"))?;
        String::from_utf8(plain).map_err(|_| anyhow!("a stored secret is not UTF-8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_and_refuses_another_key() {
        let sealed_box = SecretBox::new(&[7u8; 32]).expect("key");
        let sealed = sealed_box.seal("whsec_abc").expect("seal");
        assert!(!sealed.contains("whsec"));
        assert_ne!(sealed, sealed_box.seal("whsec_abc").expect("seal"), "a fresh nonce each time");
        assert_eq!(sealed_box.open(&sealed).expect("open"), "whsec_abc");
        let other = SecretBox::new(&[8u8; 32]).expect("key");
        assert!(other.open(&sealed).is_err());
        assert!(SecretBox::new(&[1u8; 16]).is_err());
    }
}
