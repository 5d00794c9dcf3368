//! Refresh tokens: 256 random bits, handed to the app once and stored as a SHA-256 digest (the
//! token has full entropy, so a fast digest is right, as for API keys). Families, rotation and
//! reuse detection live in `services::accounts` over `store::refresh_tokens`.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;

/// Every refresh token starts with this, so leaked ones are easy to scan for.
const PREFIX: &str = "sdr_";

pub struct NewRefreshToken {
    /// Returned to the app; never stored.
    pub plaintext: String,
    pub digest: String,
}

pub fn generate() -> NewRefreshToken {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let plaintext = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
    NewRefreshToken {
        digest: digest(&plaintext),
        plaintext,
    }
}

pub fn digest(token: &str) -> String {
    super::api_keys::digest(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_only_their_digest_is_kept() {
        let a = generate();
        let b = generate();
        assert_ne!(a.plaintext, b.plaintext);
        assert_eq!(a.digest, digest(&a.plaintext));
        assert!(!a.digest.contains(&a.plaintext[PREFIX.len()..]));
    }
}
