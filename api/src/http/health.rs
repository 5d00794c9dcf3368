//! Liveness (the process answers) and readiness (the database answers).

use axum::extract::State;
use axum::http::StatusCode;

use crate::app::AppState;

pub async fn healthz() -> &'static str {
    "ok"
}

/// Prometheus text format; the statement count lets load tests compute SQL per request.
pub async fn metrics(State(state): State<AppState>) -> String {
    let statements = state
        .sql_statements
        .load(std::sync::atomic::Ordering::Relaxed);
    format!(
        "# TYPE servicedesk_sql_statements_total counter\nservicedesk_sql_statements_total {statements}\n"
    )
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
