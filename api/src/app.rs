//! Application state shared by every request, and the router built from it.

use std::num::NonZeroU32;
use std::sync::Arc;

use chrono::Duration;
use sea_orm::DatabaseConnection;

use crate::auth::tokens::TokenIssuer;
use crate::config::Config;
use crate::domain::clock::Clock;
use crate::graphql::{self, AppSchema};

/// Everything a request handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
    pub tokens: Arc<TokenIssuer>,
    pub schema: AppSchema,
    pub body_limit_bytes: usize,
}

impl AppState {
    pub fn new(
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        config: &Config,
        jwt_secret: &str,
    ) -> Self {
        let tokens = Arc::new(TokenIssuer::new(
            jwt_secret,
            Duration::seconds(i64::from(config.token_ttl_seconds)),
        ));
        let schema = graphql::build_schema(
            graphql::Services {
                db: db.clone(),
                clock: clock.clone(),
                tokens: tokens.clone(),
                settings: config.rule_settings(),
                track_limiter: Arc::new(governor::RateLimiter::keyed(governor::Quota::per_minute(
                    NonZeroU32::new(config.track_rate_per_minute).unwrap_or(NonZeroU32::MIN),
                ))),
            },
            graphql::Limits {
                depth: config.graphql_depth_limit,
                complexity: config.graphql_complexity_limit,
            },
        );
        Self {
            db,
            clock,
            tokens,
            schema,
            body_limit_bytes: config.body_limit_bytes,
        }
    }
}
