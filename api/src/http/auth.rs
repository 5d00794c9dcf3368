//! Turns the `Authorization` header into a `Principal`: `Bearer <jwt>` for users,
//! `ApiKey <key>` for partner systems, nothing for anonymous callers.

use axum::http::{HeaderMap, header::AUTHORIZATION};
use chrono::{DateTime, Utc};

use crate::app::AppState;
use crate::auth::api_keys;
use crate::domain::identity::Principal;
use crate::error::{ApiError, ApiResult};
use crate::store;

/// Credentials that are present but wrong are an error, never a silent downgrade to anonymous.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> ApiResult<Principal> {
    Ok(authenticate_until(state, headers).await?.0)
}

/// The caller, and until when its credential is valid (a token's expiry; API keys last until
/// revoked).
pub async fn authenticate_until(
    state: &AppState,
    headers: &HeaderMap,
) -> ApiResult<(Principal, Option<DateTime<Utc>>)> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok((Principal::Anonymous, None));
    };
    let value = value.to_str().map_err(|_| ApiError::Unauthenticated)?;
    let (scheme, credential) = value.split_once(' ').ok_or(ApiError::Unauthenticated)?;
    let credential = credential.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        let (user_id, expires_at) = state.tokens.verify(credential, state.clock.now())?;
        // The account as it is now, so deactivation and role changes apply at once (R-PRV-4).
        let user = state
            .principals
            .active_user(&state.db, user_id)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        Ok((Principal::User(user), Some(expires_at)))
    } else if scheme.eq_ignore_ascii_case("apikey") {
        let key = store::api_keys::find_active(&state.db, &api_keys::digest(credential))
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        Ok((
            Principal::Partner {
                organization_id: key.organization_id,
                api_key_id: key.id,
            },
            None,
        ))
    } else {
        Err(ApiError::Unauthenticated)
    }
}
