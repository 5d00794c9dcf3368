//! Liveness (the process answers) and readiness (the database answers).

use axum::extract::State;
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::MetricsAccess;
use crate::app::AppState;

pub async fn healthz() -> &'static str {
    "ok"
}

/// Prometheus text format; the statement count lets load tests compute SQL per request.
/// Guarded by `METRICS_TOKEN` (see `MetricsAccess`).
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match &state.transport.metrics {
        MetricsAccess::Open => {}
        MetricsAccess::Off => return StatusCode::NOT_FOUND.into_response(),
        MetricsAccess::Token(digest) => {
            let presented = headers
                .get(AUTHORIZATION)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.strip_prefix("Bearer "))
                .map(|token| <[u8; 32]>::from(Sha256::digest(token.trim().as_bytes())));
            if presented.as_ref() != Some(digest) {
                return (
                    StatusCode::UNAUTHORIZED,
                    [(WWW_AUTHENTICATE, "Bearer")],
                    "metrics token required",
                )
                    .into_response();
            }
        }
    }
    let statements = state
        .sql_statements
        .load(std::sync::atomic::Ordering::Relaxed);
    format!(
        "# TYPE servicedesk_sql_statements_total counter\nservicedesk_sql_statements_total {statements}\n"
    )
    .into_response()
}

/// Answers within the readiness timeout, whether the database answers, fails or hangs (an
/// exhausted pool, a server that accepts but does not respond).
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match tokio::time::timeout(state.readiness_timeout, state.db.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready"),
        Ok(Err(err)) => {
            tracing::warn!(%err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
        Err(_) => {
            tracing::warn!("readiness check timed out");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}
