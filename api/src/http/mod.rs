//! HTTP transport: routes, credential extraction, GraphQL-over-HTTP framing, health checks.

mod auth;
mod graphql;
mod health;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use tower::limit::ConcurrencyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::app::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/graphql",
            get(graphql::graphiql)
                .post(graphql::execute)
                .layer(ConcurrencyLimitLayer::new(state.max_concurrent_requests)),
        )
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .layer(DefaultBodyLimit::max(state.body_limit_bytes))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
