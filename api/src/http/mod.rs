//! HTTP transport: routes, credential extraction, GraphQL-over-HTTP framing, health checks,
//! and the server loop with its timeouts.

mod accept;
mod attachments;
mod auth;
mod client_ip;
mod cors;
mod graphiql;
mod graphql;
mod health;
mod idempotent;
mod persisted;
mod serve;
mod ws;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::get;
use sha2::{Digest, Sha256};
use tokio::sync::{Semaphore, watch};
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::app::AppState;
use crate::config::{Config, Environment};

pub use client_ip::ClientIpSource;
pub use persisted::Allowlist;
pub use serve::serve;

/// Transport limits and access rules, from the configuration.
#[derive(Clone, Debug)]
pub struct Transport {
    pub header_read_timeout: Duration,
    pub body_read_timeout: Duration,
    pub request_timeout: Duration,
    pub shutdown_timeout: Duration,
    /// GraphQL requests executing at once. Taken once the body is in memory, so clients that
    /// send their bodies slowly cannot hold them.
    pub execution_permits: Arc<Semaphore>,
    pub metrics: MetricsAccess,
    pub client_ip: ClientIpSource,
    pub live: ws::LiveLimits,
    /// Cross-origin access for browser pages; `None` (the default) when no origin is listed.
    pub cors: Option<cors::Cors>,
    /// Documents registered by automatic persisted queries, by hash.
    pub persisted_queries: Arc<persisted::PersistedQueries>,
    /// Turned on when the server starts shutting down: live connections close (1001).
    pub closing: Arc<watch::Sender<bool>>,
    /// The GraphiQL page and its files (or the line saying how to install them).
    pub graphiql: Arc<graphiql::Graphiql>,
    /// Multipart (upload) requests being received at once; each spools its files to disk.
    pub upload_permits: Arc<Semaphore>,
    /// Whole-request time limit of upload requests (slow uplinks), instead of
    /// `request_timeout`.
    pub upload_timeout: Duration,
}

/// Who may read `/metrics`.
#[derive(Clone, Debug)]
pub enum MetricsAccess {
    Open,
    /// Callers presenting the token with this SHA-256 digest (compared as digests, so the
    /// comparison's timing says nothing about the token).
    Token([u8; 32]),
    Off,
}

impl Transport {
    pub fn from_config(config: &Config) -> Self {
        let metrics = match (&config.metrics_token, config.environment) {
            (Some(token), _) => MetricsAccess::Token(Sha256::digest(token.as_bytes()).into()),
            (None, Environment::Development) => MetricsAccess::Open,
            (None, Environment::Production) => MetricsAccess::Off,
        };
        Self {
            header_read_timeout: Duration::from_secs(config.header_read_timeout_seconds),
            body_read_timeout: Duration::from_secs(config.body_read_timeout_seconds),
            request_timeout: Duration::from_secs(config.request_timeout_seconds),
            shutdown_timeout: Duration::from_secs(config.shutdown_timeout_seconds),
            execution_permits: Arc::new(Semaphore::new(config.max_concurrent_requests.max(1))),
            metrics,
            client_ip: ClientIpSource::new(
                config.trusted_proxies.clone(),
                config.client_ip_header.clone(),
            ),
            live: ws::LiveLimits::from_config(config),
            cors: cors::Cors::new(&config.cors_allowed_origins.0),
            persisted_queries: Arc::new(persisted::PersistedQueries::new(
                config.persisted_queries_allowlist.clone(),
            )),
            closing: Arc::new(watch::channel(false).0),
            graphiql: graphiql::Graphiql::load(&config.graphiql_dir),
            upload_permits: Arc::new(Semaphore::new(
                config.attachments.attachment_max_concurrent_uploads.max(1),
            )),
            upload_timeout: Duration::from_secs(
                config.attachments.attachment_request_timeout_seconds,
            ),
        }
    }
}

/// The whole-request time limit (then 408): `REQUEST_TIMEOUT_SECONDS`, or
/// `ATTACHMENT_REQUEST_TIMEOUT_SECONDS` for an upload (a multipart POST), whose body may take
/// minutes on a phone's uplink.
async fn time_limit(
    State((request_timeout, upload_timeout)): State<(Duration, Duration)>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let upload = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/")
        });
    let limit = if upload {
        upload_timeout
    } else {
        request_timeout
    };
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => axum::response::IntoResponse::into_response(StatusCode::REQUEST_TIMEOUT),
    }
}

pub fn router(state: AppState) -> Router {
    let transport = state.transport.clone();
    let router = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(ws::upgrade))
        .route("/graphiql/{file}", get(graphiql::asset))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/attachments/{id}", get(attachments::download))
        .layer(DefaultBodyLimit::max(state.body_limit_bytes))
        .layer(RequestBodyTimeoutLayer::new(transport.body_read_timeout))
        .layer(middleware::from_fn_with_state(
            (transport.request_timeout, transport.upload_timeout),
            time_limit,
        ));
    // Outside the timeouts, so that a browser can read a 408 or 413 too.
    let router = match transport.cors {
        Some(cors) => router.layer(middleware::from_fn_with_state(cors, cors::gate)),
        None => router,
    };
    router
        .layer(middleware::from_fn_with_state(
            state.clone(),
            health::count_responses,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
