//! Application state shared by every request, and the router built from it.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Duration;
use sea_orm::DatabaseConnection;

use crate::auth::principals::PrincipalCache;
use crate::auth::throttle::LoginThrottle;
use crate::auth::tokens::TokenIssuer;
use crate::config::Config;
use crate::domain::clock::Clock;
use crate::graphql::{self, AppSchema, DocumentCache};

/// Everything a request handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
    pub tokens: Arc<TokenIssuer>,
    pub principals: Arc<PrincipalCache>,
    pub schema: AppSchema,
    pub body_limit_bytes: usize,
    pub max_concurrent_requests: usize,
    pub documents: Arc<DocumentCache>,
    /// How long `/readyz` waits for the database before it answers "unavailable".
    pub readiness_timeout: std::time::Duration,
    /// SQL statements run through the pool since start, for `/metrics`.
    pub sql_statements: Arc<AtomicU64>,
}

impl AppState {
    /// Builds the state; statements are counted on `db` from here on.
    pub fn new(
        mut db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        config: &Config,
        jwt_secret: &str,
    ) -> Self {
        let sql_statements = Arc::new(AtomicU64::new(0));
        let counter = sql_statements.clone();
        db.set_metric_callback(move |info| {
            counter.fetch_add(1, Ordering::Relaxed);
            crate::reconnect::statement_sent(&info.statement.sql);
            // `RUST_LOG=servicedesk::sql=trace`: every statement with its values and time.
            tracing::trace!(
                target: "servicedesk::sql",
                micros = info.elapsed.as_micros() as u64,
                sql = %info.statement,
            );
        });
        let tokens = Arc::new(TokenIssuer::new(
            jwt_secret,
            Duration::seconds(i64::from(config.token_ttl_seconds)),
        ));
        let principals = Arc::new(PrincipalCache::default());
        principals.listen(&db);
        let schema = graphql::build_schema(
            graphql::Services {
                db: db.clone(),
                clock: clock.clone(),
                tokens: tokens.clone(),
                principals: principals.clone(),
                settings: config.rule_settings(),
                login_throttle: Arc::new(LoginThrottle::new(config.login_throttle())),
                track_limiter: Arc::new(governor::RateLimiter::keyed(governor::Quota::per_minute(
                    NonZeroU32::new(config.track_rate_per_minute).unwrap_or(NonZeroU32::MIN),
                ))),
            },
            graphql::Limits {
                depth: config.graphql_depth_limit,
                complexity: config.graphql_complexity_limit,
                max_text_chars: config.max_input_text_chars,
            },
        );
        Self {
            db,
            clock,
            tokens,
            principals,
            schema,
            body_limit_bytes: config.body_limit_bytes,
            max_concurrent_requests: config.max_concurrent_requests.max(1),
            documents: Arc::new(DocumentCache::default()),
            readiness_timeout: std::time::Duration::from_millis(config.readiness_timeout_ms),
            sql_statements,
        }
    }
}
