//! Application state shared by every request, and the router built from it.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Duration;
use sea_orm::DatabaseConnection;

use crate::attachments::Storage;
use crate::auth::principals::PrincipalCache;
use crate::auth::throttle::LoginThrottle;
use crate::auth::tokens::TokenIssuer;
use crate::config::Config;
use crate::domain::clock::Clock;
use crate::events::{EventHub, HubSettings};
use crate::graphql::{self, AppSchema, DocumentCache, DocumentLimits};
use crate::http::Transport;
use crate::jobs::audit_writer::AuditWriter;
use crate::metrics::Metrics;
use crate::notifications;

/// Everything a request handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
    pub tokens: Arc<TokenIssuer>,
    pub principals: Arc<PrincipalCache>,
    /// For authenticated callers.
    pub schema: AppSchema,
    /// For anonymous callers (see `graphql::build_schemas`).
    pub anonymous_schema: AppSchema,
    pub body_limit_bytes: usize,
    pub transport: Transport,
    pub documents: Arc<DocumentCache>,
    /// How long `/readyz` waits for the database before it answers "unavailable".
    pub readiness_timeout: std::time::Duration,
    /// SQL statements run through the pool since start, for `/metrics`.
    pub sql_statements: Arc<AtomicU64>,
    /// Fans new timeline rows out to live subscribers.
    pub events: Arc<EventHub>,
    /// The database without the statement counter, for work that is not a request's (the
    /// scrape's own counts).
    pub background_db: DatabaseConnection,
    /// What `/metrics` reports (see `crate::metrics`); jobs of this process report into it.
    pub metrics: Arc<Metrics>,
    /// Attachment storage and its download links.
    pub attachments: Arc<Storage>,
    /// Queues reads of personal data for the audit log (R-PRV-3).
    pub audit: AuditWriter,
}

impl AppState {
    /// Builds the state; statements are counted on `db` from here on.
    pub fn new(
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        config: &Config,
        jwt_secret: &str,
    ) -> Self {
        let audit = AuditWriter::start(
            db.clone(),
            config.privacy.audit_queue,
            config.privacy.audit_batch,
        );
        Self::with_audit(db, clock, config, jwt_secret, audit)
    }

    /// `new` with an audit writer of the caller's (the bench measures reads without one).
    pub fn with_audit(
        mut db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        config: &Config,
        jwt_secret: &str,
        audit: AuditWriter,
    ) -> Self {
        // A connection without the statement counter: the fan-out's polling is background work.
        let events = EventHub::start(
            db.clone(),
            HubSettings {
                poll: std::time::Duration::from_millis(config.event_poll_ms.max(10)),
                capacity: config.subscription_buffer,
            },
        );
        let background_db = db.clone();
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
        let metrics = Arc::new(Metrics::new(
            config.metrics_max_operation_names,
            sql_statements.clone(),
        ));
        // `serve` opened the store once already, to refuse bad settings before starting.
        let attachments = Arc::new(
            Storage::open(&config.attachments, jwt_secret)
                .unwrap_or_else(|err| panic!("attachment store: {err}")),
        );
        notifications::listen(&db, vec![principals.clone(), events.clone()]);
        let (schema, anonymous_schema) = graphql::build_schemas(
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
                events: events.clone(),
                accounts: Arc::new(crate::services::accounts::Accounts::new(
                    config.account_settings(),
                    jwt_secret,
                    match config.notifier {
                        crate::config::NotifierKind::Log => Box::new(crate::notify::LogNotifier {
                            reveal_codes: config.environment
                                == crate::config::Environment::Development,
                        }),
                        crate::config::NotifierKind::Webhook => {
                            Box::new(crate::notify::WebhookNotifier)
                        }
                    },
                )),
                metrics: metrics.clone(),
                attachments: attachments.clone(),
                audit: audit.clone(),
            },
            graphql::Limits {
                depth: config.graphql_depth_limit,
                complexity: config.graphql_complexity_limit,
                max_text_chars: config.max_input_text_chars,
                max_node_ids: config.graphql_max_node_ids,
            },
            config.anonymous_introspection(),
        );
        Self {
            db,
            clock,
            tokens,
            principals,
            schema,
            anonymous_schema,
            body_limit_bytes: config.body_limit_bytes,
            transport: Transport::from_config(config),
            documents: Arc::new(DocumentCache::new(DocumentLimits {
                max_bytes: config.graphql_max_document_bytes,
                max_selections: config.graphql_max_selections,
                max_fragment_spreads: config.graphql_max_fragment_spreads,
                max_directives: config.graphql_max_directives,
                max_input_values: config.graphql_max_input_values,
                max_definitions: config.graphql_max_definitions,
                max_errors: config.graphql_max_errors,
            })),
            readiness_timeout: std::time::Duration::from_millis(config.readiness_timeout_ms),
            sql_statements,
            events,
            background_db,
            metrics,
            attachments,
            audit,
        }
    }
}
