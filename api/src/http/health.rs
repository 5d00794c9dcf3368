//! Liveness (the process answers) and readiness (the database answers).

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::MetricsAccess;
use crate::app::AppState;
use crate::store;

pub async fn healthz() -> &'static str {
    "ok"
}

/// Prometheus text format (OpenMetrics, see `crate::metrics`); the statement count lets load
/// tests compute SQL per request. Guarded by `METRICS_TOKEN` (see `MetricsAccess`).
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
    // Read on the connection without the statement counter: a scrape is not request work.
    let backlog = match store::operations::backlog(&state.background_db, state.clock.now()).await {
        Ok(backlog) => Some(backlog),
        Err(err) => {
            tracing::warn!(error = ?err, "metrics: counting the backlog failed");
            None
        }
    };
    (
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(backlog),
    )
        .into_response()
}

/// Counts every response by route and status for `/metrics`.
pub async fn count_responses(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let route = route_of(request.extensions().get::<MatchedPath>());
    let response = next.run(request).await;
    state
        .metrics
        .observe_response(route, response.status().as_u16());
    response
}

/// The route's pattern as a label from a fixed set (never the request's own path).
fn route_of(matched: Option<&MatchedPath>) -> &'static str {
    match matched.map(MatchedPath::as_str) {
        Some("/graphql") => "/graphql",
        Some("/graphql/ws") => "/graphql/ws",
        Some("/graphiql/{file}") => "/graphiql",
        Some("/healthz") => "/healthz",
        Some("/readyz") => "/readyz",
        Some("/metrics") => "/metrics",
        _ => "other",
    }
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
