//! HS256 access tokens. Expiry is checked against the injected clock, not the wall clock, so
//! tests can move time; a token only names its user, whose current state is re-read on every
//! request (R-PRV-4).

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use sea_orm::ActiveEnum;
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// User id.
    pub sub: String,
    pub role: String,
    /// Service centre (staff) or organization (customers of a partner), if any.
    pub org: Option<i64>,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
}

pub struct TokenIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl: Duration,
}

/// A freshly issued token.
pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl TokenIssuer {
    pub fn new(secret: &str, ttl: Duration) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            ttl,
        }
    }

    pub fn issue(&self, user: &entity::users::Model, now: DateTime<Utc>) -> ApiResult<IssuedToken> {
        let expires_at = now + self.ttl;
        let claims = Claims {
            sub: user.id.to_string(),
            role: user.role.to_value(),
            org: user.service_centre_id.or(user.organization_id),
            exp: expires_at.timestamp(),
            iat: now.timestamp(),
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|err| ApiError::Internal(format!("token signing failed: {err}")))?;
        Ok(IssuedToken { token, expires_at })
    }

    /// The user id of a valid, unexpired token, and when it expires (a live connection ends
    /// then).
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> ApiResult<(i64, DateTime<Utc>)> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| ApiError::Unauthenticated)?
            .claims;
        if claims.exp <= now.timestamp() {
            return Err(ApiError::Unauthenticated);
        }
        let user_id = claims.sub.parse().map_err(|_| ApiError::Unauthenticated)?;
        let expires_at =
            DateTime::from_timestamp(claims.exp, 0).ok_or(ApiError::Unauthenticated)?;
        Ok((user_id, expires_at))
    }
}
