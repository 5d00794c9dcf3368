//! One-time codes (sign-up, password reset): six random digits, stored only as an HMAC keyed
//! with the server secret, so a copy of the table does not reveal codes still valid (six digits
//! fall to a plain hash at once). Expiry, attempts, single use and rate limits are applied by
//! `services::accounts` over `store::codes`.

use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::{Digest, Sha256};

/// Digits of a code.
pub const DIGITS: usize = 6;

/// What a code is for; a code is valid for that purpose only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, async_graphql::Enum)]
pub enum CodePurpose {
    /// `registerCustomer`.
    SignUp,
    /// `resetPassword`.
    PasswordReset,
}

impl CodePurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignUp => "SIGN_UP",
            Self::PasswordReset => "PASSWORD_RESET",
        }
    }
}

/// Keys the code hashes.
pub struct CodeHasher {
    key: [u8; 32],
}

impl CodeHasher {
    /// The key is derived from the server secret, apart from its use for tokens.
    pub fn new(server_secret: &str) -> Self {
        let mut digest = Sha256::new();
        digest.update(b"servicedesk one-time codes\0");
        digest.update(server_secret.as_bytes());
        Self {
            key: digest.finalize().into(),
        }
    }

    /// Hex HMAC-SHA256 of the code for its purpose and destination.
    pub fn hash(&self, purpose: CodePurpose, destination: &str, code: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(purpose.as_str().as_bytes());
        mac.update(b"\0");
        mac.update(destination.as_bytes());
        mac.update(b"\0");
        mac.update(code.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

/// A fresh code, uniformly random.
pub fn generate() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

/// The code as typed, if it can be one (six digits, spaces allowed).
pub fn parse(typed: &str) -> Option<String> {
    let code: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    (code.len() == DIGITS && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_hashes_depend_on_everything() {
        let code = generate();
        assert_eq!(parse(&code).as_deref(), Some(code.as_str()));
        assert_eq!(parse(" 123 456 ").as_deref(), Some("123456"));
        assert!(parse("12345").is_none() && parse("12345a").is_none());
        let hasher = CodeHasher::new("secret one");
        let base = hasher.hash(CodePurpose::SignUp, "+8613600000001", "123456");
        assert_eq!(base.len(), 64);
        assert_ne!(
            base,
            hasher.hash(CodePurpose::PasswordReset, "+8613600000001", "123456")
        );
        assert_ne!(
            base,
            hasher.hash(CodePurpose::SignUp, "+8613600000002", "123456")
        );
        assert_ne!(
            base,
            hasher.hash(CodePurpose::SignUp, "+8613600000001", "123457")
        );
        assert_ne!(
            base,
            CodeHasher::new("secret two").hash(CodePurpose::SignUp, "+8613600000001", "123456")
        );
    }
}
