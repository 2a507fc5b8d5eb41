//! API key secrets: `kh_` + 32 random bytes in base62 (43 characters) + a 6-character base62
//! CRC32 of everything before it. The checksum lets a scanner tell a real key from noise and
//! lets the server refuse a typo before any database work. Only the SHA-256 is ever stored.

use std::fmt;

use rand::RngCore;
use sha2::{Digest, Sha256};

const PREFIX: &str = "kh_";
const BODY_LEN: usize = 43;
const CHECKSUM_LEN: usize = 6;
/// The length of every key: prefix, body, checksum.
pub const KEY_LEN: usize = PREFIX.len() + BODY_LEN + CHECKSUM_LEN;
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A well-formed key. `Debug` and `Display` never show it; [`ApiKeySecret::expose`] does,
/// for the one time it is shown to its owner.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeySecret(String);

/// Why a presented key was refused before any lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MalformedKey {
    Length,
    Prefix,
    Alphabet,
    Checksum,
}

impl ApiKeySecret {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let mut key = String::with_capacity(KEY_LEN);
        key.push_str(PREFIX);
        key.push_str(&base62(&bytes, BODY_LEN));
        let checksum = crc32fast::hash(key.as_bytes());
        key.push_str(&base62(&checksum.to_be_bytes(), CHECKSUM_LEN));
        Self(key)
    }

    /// Checks shape and checksum only: no database, no allocation beyond the copy.
    pub fn parse(input: &str) -> Result<Self, MalformedKey> {
        if input.len() != KEY_LEN {
            return Err(MalformedKey::Length);
        }
        if !input.starts_with(PREFIX) {
            return Err(MalformedKey::Prefix);
        }
        let rest = &input.as_bytes()[PREFIX.len()..];
        if !rest.iter().all(u8::is_ascii_alphanumeric) {
            return Err(MalformedKey::Alphabet);
        }
        let (signed, checksum) = input.split_at(PREFIX.len() + BODY_LEN);
        if base62(&crc32fast::hash(signed.as_bytes()).to_be_bytes(), CHECKSUM_LEN) != checksum {
            return Err(MalformedKey::Checksum);
        }
        Ok(Self(input.to_owned()))
    }

    /// What is stored and looked up: the SHA-256 of the whole key, in hex.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }

    /// What the pages show: `kh_…` and the last four characters.
    pub fn hint(&self) -> String {
        format!("{PREFIX}…{}", &self.0[KEY_LEN - 4..])
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKeySecret({})", self.hint())
    }
}

/// `bytes` as a big-endian number in base62, left-padded with '0' to `width` digits.
fn base62(bytes: &[u8], width: usize) -> String {
    let mut number = bytes.to_vec();
    let mut digits = Vec::with_capacity(width);
    while number.iter().any(|&b| b != 0) {
        // One long division of the whole number by 62; the remainder is the next digit.
        let mut remainder = 0u32;
        for byte in number.iter_mut() {
            let value = (remainder << 8) | u32::from(*byte);
            *byte = (value / 62) as u8;
            remainder = value % 62;
        }
        digits.push(ALPHABET[remainder as usize]);
    }
    digits.resize(width.max(digits.len()), b'0');
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_the_documented_shape_and_parse() {
        let key = ApiKeySecret::generate();
        assert_eq!(key.expose().len(), KEY_LEN);
        assert_eq!(KEY_LEN, 52);
        assert!(key.expose().starts_with("kh_"));
        assert_eq!(ApiKeySecret::parse(key.expose()), Ok(key.clone()));
        assert_ne!(ApiKeySecret::generate(), key);
        assert_eq!(key.hint(), format!("kh_…{}", &key.expose()[48..]));
        assert_eq!(key.hash().len(), 64);
        assert!(!format!("{key:?}").contains(&key.expose()[3..40]), "Debug hides the key");
    }

    #[test]
    fn any_single_changed_character_fails_the_checksum() {
        let key = ApiKeySecret::generate();
        let original = key.expose().as_bytes().to_vec();
        for position in 3..KEY_LEN {
            for replacement in [b'0', b'Z', b'z', b'7'] {
                if original[position] == replacement {
                    continue;
                }
                let mut typo = original.clone();
                typo[position] = replacement;
                let typo = String::from_utf8(typo).expect("ascii");
                assert_eq!(ApiKeySecret::parse(&typo), Err(MalformedKey::Checksum), "position {position}");
            }
        }
    }

    #[test]
    fn wrong_lengths_prefixes_and_alphabets_are_refused() {
        let key = ApiKeySecret::generate();
        let k = key.expose();
        assert_eq!(ApiKeySecret::parse(&k[..51]), Err(MalformedKey::Length));
        assert_eq!(ApiKeySecret::parse(&format!("{k}0")), Err(MalformedKey::Length));
        assert_eq!(ApiKeySecret::parse(&format!("kx_{}", &k[3..])), Err(MalformedKey::Prefix));
        assert_eq!(ApiKeySecret::parse(&format!("kh_-{}", &k[4..])), Err(MalformedKey::Alphabet));
        assert_eq!(ApiKeySecret::parse(""), Err(MalformedKey::Length));
        let multibyte = format!("kh_é{}", &k[5..]);
        assert_eq!(multibyte.len(), KEY_LEN);
        assert_eq!(ApiKeySecret::parse(&multibyte), Err(MalformedKey::Alphabet));
    }

    #[test]
    fn base62_is_positional_and_padded() {
        assert_eq!(base62(&[0], 3), "000");
        assert_eq!(base62(&[61], 1), "z");
        assert_eq!(base62(&[62], 2), "10");
        assert_eq!(base62(&[0xff, 0xff, 0xff, 0xff], 6), "4gfFC3");
        assert_eq!(base62(&[0xff; 32], 43).len(), 43, "32 bytes fit 43 digits");
    }
}
