//! `Idempotency-Key` on the GraphQL endpoint: the HTTP side of `crate::idempotency`. A request
//! with a key either runs (and its answer is kept) or gets the key's first answer back, with
//! `Idempotent-Replayed` saying which.

use std::time::Duration as StdDuration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header::CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::app::AppState;
use crate::domain::identity::Principal;
use crate::error::ApiError;
use crate::idempotency::{self, Claim, Stored};

/// How long a duplicate waits for the first request with its key before it gets 409.
const WAIT: StdDuration = StdDuration::from_secs(10);
const POLL: StdDuration = StdDuration::from_millis(25);

/// The largest answer kept; a larger one still goes to the client, but its key is freed.
const MAX_KEPT_BODY: usize = 4 * 1024 * 1024;

/// A request's claim on its key, to finish with its answer.
pub struct Claimed {
    principal: String,
    key: String,
}

/// `Ok(None)`: no key, or an anonymous caller (their keys are ignored): run as usual.
/// `Ok(Some(_))`: run, then `finish`. `Err(answer)`: answer without running — the key's first
/// answer, or a refusal.
pub async fn begin(
    state: &AppState,
    headers: &HeaderMap,
    principal: &Principal,
    body: &[u8],
) -> Result<Option<Claimed>, Response> {
    let Some(raw) = headers.get(idempotency::HEADER) else {
        return Ok(None);
    };
    let key = idempotency::check_key(raw.as_bytes())
        .map_err(|message| refusal(StatusCode::BAD_REQUEST, "BAD_USER_INPUT", &message))?;
    let Some(principal) = idempotency::principal_key(principal) else {
        return Ok(None);
    };
    let fingerprint = idempotency::fingerprint(body);
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let now = state.clock.now();
        match idempotency::claim(&state.db, &principal, &key, &fingerprint, now).await {
            Ok(Claim::Run) => return Ok(Some(Claimed { principal, key })),
            Ok(Claim::Replay(stored)) => return Err(replay(stored)),
            Ok(Claim::Mismatch) => {
                return Err(refusal(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "BAD_USER_INPUT",
                    "this Idempotency-Key was used with another request; use a new key",
                ));
            }
            Ok(Claim::Busy) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(POLL).await;
            }
            Ok(Claim::Busy) => {
                return Err(refusal(
                    StatusCode::CONFLICT,
                    "CONFLICT",
                    "the first request with this Idempotency-Key is still running; retry later",
                ));
            }
            Err(err) => {
                let status = match err {
                    ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                    _ => StatusCode::INTERNAL_SERVER_ERROR,
                };
                tracing::error!(error = ?err, "idempotency claim failed");
                return Err(refusal(status, err.code(), &err.message()));
            }
        }
    }
}

/// Keeps the answer of a claimed request (or frees the key after an outage or a refused
/// rate) and returns it marked as not replayed.
pub async fn finish(state: &AppState, claimed: Claimed, response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    // The server built this answer in memory already; reading it back adds no bound to lift.
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(err) => {
            tracing::error!(error = %err, "reading an answer back for its Idempotency-Key failed");
            forget(state, &claimed).await;
            return refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_SERVER_ERROR",
                "the answer could not be read",
            );
        }
    };
    let status = parts.status.as_u16();
    if idempotency::keeps(status) && bytes.len() <= MAX_KEPT_BODY {
        let stored = Stored {
            status,
            content_type: parts
                .headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/json")
                .to_owned(),
            body: bytes.to_vec(),
        };
        let now = state.clock.now();
        if let Err(err) =
            idempotency::complete(&state.db, &claimed.principal, &claimed.key, &stored, now).await
        {
            // The claim stays until its lease runs out; a retry meanwhile gets 409.
            tracing::error!(error = ?err, "keeping an answer for its Idempotency-Key failed");
        }
    } else {
        forget(state, &claimed).await;
    }
    parts
        .headers
        .insert(idempotency::REPLAYED, HeaderValue::from_static("false"));
    Response::from_parts(parts, Body::from(bytes))
}

async fn forget(state: &AppState, claimed: &Claimed) {
    if let Err(err) = idempotency::abandon(&state.db, &claimed.principal, &claimed.key).await {
        tracing::error!(error = ?err, "freeing an Idempotency-Key failed");
    }
}

fn replay(stored: Stored) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, stored.body).into_response();
    let headers = response.headers_mut();
    if let Ok(content_type) = HeaderValue::from_str(&stored.content_type) {
        headers.insert(CONTENT_TYPE, content_type);
    }
    headers.insert(idempotency::REPLAYED, HeaderValue::from_static("true"));
    response
}

/// A GraphQL-shaped error; a bad key names the header as its field.
fn refusal(status: StatusCode, code: &str, message: &str) -> Response {
    let mut extensions = json!({ "code": code });
    if code == "BAD_USER_INPUT" {
        extensions["field"] = json!("Idempotency-Key");
    }
    let body = json!({ "errors": [{ "message": message, "extensions": extensions }] });
    (status, axum::Json(body)).into_response()
}
