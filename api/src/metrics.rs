//! Operational metrics for `GET /metrics`, in the Prometheus text format (OpenMetrics): GraphQL
//! operations (count and latency by operation name, errors by `extensions.code`), HTTP
//! responses by status, SQL statements, the SLA sweeper and webhook delivery.
//!
//! One registry per server (`AppState`), not a process-wide one: servers sharing a process (the
//! tests) count only their own requests. Counters are in memory, per instance; the gauges
//! read from the database at scrape time (clocks overdue, webhook messages pending, failing
//! endpoints) count for the whole deployment, since every instance shares the database.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextRequest,
};
use async_graphql::{Response, ServerError};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use tracing::Instrument;

/// The `operation` label of a document without an operation name.
pub const ANONYMOUS: &str = "(anonymous)";
/// The `operation` label of a request that did not get to run: unparsable, invalid, refused.
pub const NOT_RUN: &str = "(not run)";
/// The `operation` label of names beyond `METRICS_MAX_OPERATION_NAMES`.
pub const OTHER: &str = "(other)";

/// Seconds: from a cached lookup (~1 ms) to the request timeout.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResponseLabels {
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// What the database says at scrape time (see `store::operations`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Backlog {
    /// Open clocks counting down now.
    pub clocks_running: i64,
    /// Open clocks standing still (their ticket waits for parts, the customer, an authority).
    pub clocks_paused: i64,
    /// Running clocks past their due time: late tickets.
    pub clocks_overdue: i64,
    /// Overdue clocks whose miss the sweeper has not recorded yet: the sweeper's backlog,
    /// which stays near 0 while it keeps up.
    pub clocks_unswept: i64,
    /// Webhook messages waiting for their next attempt.
    pub webhook_pending: i64,
    /// Enabled endpoints whose last attempt failed.
    pub webhook_endpoints_failing: i64,
    /// Endpoints turned off (by an admin, or after failing too long).
    pub webhook_endpoints_disabled: i64,
}

/// The metrics of one server.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    operations: Family<OperationLabels, Counter>,
    latency: Family<OperationLabels, Histogram, fn() -> Histogram>,
    errors: Family<CodeLabels, Counter>,
    responses: Family<ResponseLabels, Counter>,
    sweeps: Family<OutcomeLabels, Counter>,
    sweep_last_run: Gauge<f64, AtomicU64>,
    webhook_attempts: Family<OutcomeLabels, Counter>,
    clocks: Family<StateLabels, Gauge>,
    clocks_overdue: Gauge,
    clocks_unswept: Gauge,
    webhook_pending: Gauge,
    webhook_endpoints: Family<StateLabels, Gauge>,
    /// Operation names with a label of their own: the first `max_names` seen. Names are chosen
    /// by clients, so without a cap anyone could grow the registry without bound.
    names: RwLock<HashSet<String>>,
    max_names: usize,
}

impl Metrics {
    /// `sql_statements` is the pool's statement counter (see `AppState::new`).
    pub fn new(max_names: usize, sql_statements: Arc<AtomicU64>) -> Self {
        let mut registry = Registry::default();
        let operations = Family::<OperationLabels, Counter>::default();
        registry.register(
            "servicedesk_graphql_operations",
            "GraphQL operations executed, by operation name",
            operations.clone(),
        );
        let latency = Family::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register(
            "servicedesk_graphql_operation_duration_seconds",
            "Time from parsing a GraphQL request to its response, by operation name",
            latency.clone(),
        );
        let errors = Family::<CodeLabels, Counter>::default();
        registry.register(
            "servicedesk_graphql_errors",
            "GraphQL errors in responses, by extensions.code",
            errors.clone(),
        );
        let responses = Family::<ResponseLabels, Counter>::default();
        registry.register(
            "servicedesk_http_responses",
            "HTTP responses, by route and status code",
            responses.clone(),
        );
        registry.register_collector(Box::new(SqlStatements(sql_statements)));
        let sweeps = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "servicedesk_sla_sweeps",
            "SLA sweeper passes of this instance, by outcome (ok, failed)",
            sweeps.clone(),
        );
        let sweep_last_run = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "servicedesk_sla_sweep_last_run_timestamp_seconds",
            "When this instance's SLA sweeper last finished a pass (Unix time; 0: not yet)",
            sweep_last_run.clone(),
        );
        let clocks = Family::<StateLabels, Gauge>::default();
        registry.register(
            "servicedesk_sla_clocks_open",
            "Open SLA clocks of the deployment, running or paused",
            clocks.clone(),
        );
        let clocks_overdue = Gauge::default();
        registry.register(
            "servicedesk_sla_clocks_overdue",
            "Running SLA clocks past their due time (late tickets)",
            clocks_overdue.clone(),
        );
        let clocks_unswept = Gauge::default();
        registry.register(
            "servicedesk_sla_clocks_unswept",
            "Overdue SLA clocks whose miss the sweeper has not recorded yet (its backlog)",
            clocks_unswept.clone(),
        );
        let webhook_attempts = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "servicedesk_webhook_attempts",
            "Webhook delivery attempts of this instance, by outcome (delivered, rejected, unreachable)",
            webhook_attempts.clone(),
        );
        let webhook_pending = Gauge::default();
        registry.register(
            "servicedesk_webhook_messages_pending",
            "Webhook messages waiting for their next attempt",
            webhook_pending.clone(),
        );
        let webhook_endpoints = Family::<StateLabels, Gauge>::default();
        registry.register(
            "servicedesk_webhook_endpoints",
            "Webhook endpoints that are failing (enabled, last attempt failed) or disabled",
            webhook_endpoints.clone(),
        );
        Self {
            registry,
            operations,
            latency,
            errors,
            responses,
            sweeps,
            sweep_last_run,
            webhook_attempts,
            clocks,
            clocks_overdue,
            clocks_unswept,
            webhook_pending,
            webhook_endpoints,
            names: RwLock::default(),
            max_names,
        }
    }

    /// The text for a scrape, with the database's numbers as of now (`None`: the database did
    /// not answer, and the gauges keep their last values).
    pub fn encode(&self, backlog: Option<Backlog>) -> String {
        if let Some(backlog) = backlog {
            let state = |state| StateLabels { state };
            self.clocks
                .get_or_create(&state("running"))
                .set(backlog.clocks_running);
            self.clocks
                .get_or_create(&state("paused"))
                .set(backlog.clocks_paused);
            self.clocks_overdue.set(backlog.clocks_overdue);
            self.clocks_unswept.set(backlog.clocks_unswept);
            self.webhook_pending.set(backlog.webhook_pending);
            self.webhook_endpoints
                .get_or_create(&state("failing"))
                .set(backlog.webhook_endpoints_failing);
            self.webhook_endpoints
                .get_or_create(&state("disabled"))
                .set(backlog.webhook_endpoints_disabled);
        }
        let mut text = String::new();
        if let Err(err) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!(%err, "encoding metrics failed");
        }
        text
    }

    /// One GraphQL request: `operation` is the operation's name (`Some("")` for an unnamed one),
    /// `None` when it did not get to run.
    pub fn observe_operation(
        &self,
        operation: Option<&str>,
        took: Duration,
        errors: &[ServerError],
    ) {
        let labels = OperationLabels {
            operation: self.operation_label(operation),
        };
        self.operations.get_or_create(&labels).inc();
        self.latency
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
        for error in errors {
            let code = CodeLabels {
                code: crate::graphql::error_code(error).to_owned(),
            };
            self.errors.get_or_create(&code).inc();
        }
    }

    /// One HTTP response; `route` is the router's path pattern, or "unmatched".
    pub fn observe_response(&self, route: &'static str, status: u16) {
        self.responses
            .get_or_create(&ResponseLabels { route, status })
            .inc();
    }

    /// One pass of this instance's SLA sweeper, finished at `at` (Unix seconds).
    pub fn observe_sweep(&self, ok: bool, at: f64) {
        let outcome = if ok { "ok" } else { "failed" };
        self.sweeps.get_or_create(&OutcomeLabels { outcome }).inc();
        self.sweep_last_run.set(at);
    }

    /// One webhook attempt: `status` is the receiver's answer, `None` when there was none
    /// (refused connection, timeout, refused address).
    pub fn observe_webhook_attempt(&self, status: Option<u16>) {
        let outcome = match status {
            Some(200..=299) => "delivered",
            Some(_) => "rejected",
            None => "unreachable",
        };
        self.webhook_attempts
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    fn operation_label(&self, operation: Option<&str>) -> String {
        let name = match operation {
            None => return NOT_RUN.into(),
            Some("") => return ANONYMOUS.into(),
            Some(name) => name,
        };
        let names = self.names.read().unwrap_or_else(|p| p.into_inner());
        if names.contains(name) {
            return name.to_owned();
        }
        let full = names.len() >= self.max_names;
        drop(names);
        if full {
            return OTHER.into();
        }
        let mut names = self.names.write().unwrap_or_else(|p| p.into_inner());
        if names.len() < self.max_names {
            names.insert(name.to_owned());
            name.to_owned()
        } else if names.contains(name) {
            name.to_owned()
        } else {
            OTHER.into()
        }
    }
}

/// The pool's statement counter, read at scrape time.
#[derive(Debug)]
struct SqlStatements(Arc<AtomicU64>);

impl Collector for SqlStatements {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let counter = ConstCounter::new(self.0.load(Ordering::Relaxed));
        let metric = encoder.encode_descriptor(
            "servicedesk_sql_statements",
            "SQL statements sent by request handling (not background jobs)",
            None,
            counter.metric_type(),
        )?;
        counter.encode(metric)
    }
}

/// The schema extension that times every GraphQL request and counts its errors.
pub struct Observe(pub Arc<Metrics>);

impl ExtensionFactory for Observe {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Observed {
            metrics: self.0.clone(),
            operation: std::sync::Mutex::new(None),
        })
    }
}

/// One request's observation: the operation's name is known once it executes.
struct Observed {
    metrics: Arc<Metrics>,
    operation: std::sync::Mutex<Option<String>>,
}

#[async_trait::async_trait]
impl Extension for Observed {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let started = std::time::Instant::now();
        let response = next.run(ctx).await;
        let operation = self
            .operation
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        self.metrics
            .observe_operation(operation.as_deref(), started.elapsed(), &response.errors);
        response
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let name = operation_name.unwrap_or_default();
        *self.operation.lock().unwrap_or_else(|p| p.into_inner()) = Some(name.to_owned());
        // Exported by `crate::telemetry` when it is on; a disabled span costs next to nothing.
        let span = tracing::debug_span!(
            target: "servicedesk::graphql",
            "graphql operation",
            otel.name = format!("graphql {}", if name.is_empty() { ANONYMOUS } else { name }),
            graphql.operation.name = name,
        );
        next.run(ctx, operation_name).instrument(span).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_past_the_cap_share_one_label() {
        let metrics = Metrics::new(2, Default::default());
        assert_eq!(metrics.operation_label(Some("A")), "A");
        assert_eq!(metrics.operation_label(Some("B")), "B");
        assert_eq!(metrics.operation_label(Some("C")), OTHER);
        assert_eq!(metrics.operation_label(Some("A")), "A");
        assert_eq!(metrics.operation_label(Some("")), ANONYMOUS);
        assert_eq!(metrics.operation_label(None), NOT_RUN);
    }

    #[test]
    fn the_text_names_every_family() {
        let metrics = Metrics::new(10, Arc::new(AtomicU64::new(7)));
        metrics.observe_operation(Some("Me"), Duration::from_millis(3), &[]);
        metrics.observe_response("/graphql", 200);
        metrics.observe_webhook_attempt(Some(503));
        let text = metrics.encode(Some(Backlog {
            clocks_overdue: 4,
            ..Default::default()
        }));
        for line in [
            r#"servicedesk_graphql_operations_total{operation="Me"} 1"#,
            r#"servicedesk_graphql_operation_duration_seconds_bucket{le="0.005",operation="Me"} 1"#,
            r#"servicedesk_http_responses_total{route="/graphql",status="200"} 1"#,
            "servicedesk_sql_statements_total 7",
            "servicedesk_sla_clocks_overdue 4",
            r#"servicedesk_webhook_attempts_total{outcome="rejected"} 1"#,
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }
}
