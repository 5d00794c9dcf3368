//! Partner API keys: 256 random bits, shown once, stored as a SHA-256 digest. A fast digest is
//! right here (unlike passwords): the key has full entropy, so it cannot be guessed offline.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Every key starts with this, so leaked keys are easy to scan for.
const KEY_PREFIX: &str = "sdk_";

pub struct NewApiKey {
    /// The secret; returned to the caller once and never stored.
    pub plaintext: String,
    /// The first characters, stored so people can tell keys apart.
    pub prefix: String,
    pub digest: String,
}

pub fn generate() -> NewApiKey {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let plaintext = format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
    NewApiKey {
        prefix: plaintext[..KEY_PREFIX.len() + 6].to_owned(),
        digest: digest(&plaintext),
        plaintext,
    }
}

pub fn digest(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_unique_and_digest_matches() {
        let a = generate();
        let b = generate();
        assert_ne!(a.plaintext, b.plaintext);
        assert_eq!(a.digest, digest(&a.plaintext));
        assert_eq!(a.digest.len(), 64);
        assert!(a.plaintext.starts_with(&a.prefix));
    }
}
