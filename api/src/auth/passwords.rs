//! Argon2id password hashing. Hashing is CPU-heavy, so it runs on the blocking pool.

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};

use crate::error::{ApiError, ApiResult};

pub async fn hash(password: String) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|err| ApiError::Internal(format!("password hashing failed: {err}")))
    })
    .await
    .map_err(|err| ApiError::Internal(err.to_string()))?
}

/// Checks `password` against a stored hash. With no hash (unknown user) it still spends the
/// time of a verification so response times do not reveal which e-mails exist.
pub async fn verify(password: String, stored: Option<String>) -> ApiResult<bool> {
    tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let parsed = PasswordHash::new(&stored)
            .map_err(|err| ApiError::Internal(format!("stored password hash unreadable: {err}")))?;
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(ok)
    })
    .await
    .map_err(|err| ApiError::Internal(err.to_string()))?
}

/// Argon2id hash of a random string nobody knows, with the default parameters.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2VydmljZWRlc2tkdW1teQ$4u6Y1Q7s5a8X0tGq6rO4l7mM1r0T8YQ6b1p1n9c3m0E";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_round_trips_and_rejects_wrong_password() {
        let hashed = hash("correct horse battery".into()).await.unwrap();
        assert!(hashed.starts_with("$argon2id$"));
        assert!(
            verify("correct horse battery".into(), Some(hashed.clone()))
                .await
                .unwrap()
        );
        assert!(
            !verify("wrong horse battery".into(), Some(hashed))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn unknown_user_never_verifies() {
        assert!(!verify("anything at all".into(), None).await.unwrap());
    }
}
