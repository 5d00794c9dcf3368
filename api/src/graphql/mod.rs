//! The GraphQL schema: one module per domain area, merged into the query and mutation roots.

mod accounts;
mod attachments;
mod complaint;
mod directory;
pub mod document_limits;
mod feed;
mod field_errors;
mod follow_ups;
mod guard;
mod identity;
mod input_guard;
mod inquiry;
pub mod loaders;
mod metrics;
mod node;
pub mod pagination;
mod parts;
mod policy;
mod privacy;
mod repair;
mod scalars;
mod single_login;
mod sla;
mod survey;
mod timeline;
mod warranty_visits;
mod webhooks;

use std::net::IpAddr;
use std::sync::Arc;

use governor::DefaultKeyedRateLimiter;

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Context, MergedObject, MergedSubscription, Schema};
use sea_orm::DatabaseConnection;

use crate::auth::principals::PrincipalCache;
use crate::auth::throttle::LoginThrottle;
use crate::auth::tokens::TokenIssuer;
use crate::domain::clock::Clock;
use crate::domain::identity::Principal;
use crate::error::{ApiError, ApiResult};
use crate::events::EventHub;
use crate::services::{Env, RuleSettings};

pub use document_limits::{DocumentLimits, DocumentTooLarge};
pub use guard::RoleGuard;

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Reads. Send credentials as `Authorization: Bearer <accessToken>` (from `login`) or
/// `Authorization: ApiKey <key>` (partners). Every error has a stable `extensions.code`
/// (`UNAUTHENTICATED`, `FORBIDDEN`, `NOT_FOUND`, `BAD_USER_INPUT` with `extensions.field`,
/// `CONFLICT`, `INVALID_TRANSITION` with `extensions.status`, `RATE_LIMITED`,
/// `SERVICE_UNAVAILABLE`). A record the caller may not see is `NOT_FOUND`, exactly like one
/// that does not exist. Times are RFC 3339 in UTC, money is a decimal string.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    node::NodeQuery,
    identity::IdentityQuery,
    directory::DirectoryQuery,
    accounts::AccountsQuery,
    repair::RepairQuery,
    complaint::ComplaintQuery,
    inquiry::InquiryQuery,
    policy::PolicyQuery,
    metrics::MetricsQuery,
    survey::SurveyQuery,
    sla::SlaQuery,
    feed::FeedQuery,
    webhooks::WebhookQuery,
    privacy::PrivacyQuery,
    warranty_visits::WarrantyVisitQuery,
);

/// Changes. Each runs in one transaction with its timeline entry; on an error nothing is
/// changed. Changes to a ticket name the `version` they read: a stale one is `CONFLICT`, a step
/// the ticket's status does not allow is `INVALID_TRANSITION`, a change to a ticket closed over
/// a year ago (sealed) is `SEALED`. Send `Idempotency-Key` to retry
/// safely.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    identity::IdentityMutation,
    accounts::AccountsMutation,
    repair::RepairMutation,
    repair::CustomerNoteMutation,
    parts::PartsMutation,
    follow_ups::FollowUpMutation,
    warranty_visits::WarrantyVisitMutation,
    complaint::ComplaintMutation,
    inquiry::InquiryMutation,
    policy::PolicyMutation,
    survey::SurveyMutation,
    webhooks::WebhookMutation,
    directory::DirectoryMutation,
    attachments::AttachmentMutation,
    privacy::PrivacyMutation,
);

/// Live changes over WebSocket at `/graphql/ws` (`graphql-transport-ws` or `graphql-ws`),
/// credentials in `connection_init`.
#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(feed::FeedSubscription);

/// Parsed queries by their text, with the verdict of `document_limits`: apps and
/// integrations send the same few queries over and over, and parsing was a twentieth of a
/// status lookup's CPU. Validation still runs on every request, since it depends on the
/// variables.
pub struct DocumentCache {
    documents: moka::sync::Cache<String, Checked>,
    limits: DocumentLimits,
}

/// A query text as the cache knows it.
#[derive(Clone, Debug)]
pub enum Checked {
    /// Parsed and within the limits: hand it to the schema.
    Document(ExecutableDocument),
    /// Parsed but over a limit: answer with this error without validating.
    TooLarge(DocumentTooLarge),
    /// Does not parse: the schema parses it again to say why.
    Unparsable,
}

impl DocumentCache {
    pub fn new(limits: DocumentLimits) -> Self {
        Self {
            documents: moka::sync::Cache::builder()
                // Weighed by query length: about 1 MiB of query text.
                .weigher(|query: &String, _| u32::try_from(query.len()).unwrap_or(u32::MAX))
                .max_capacity(1 << 20)
                .build(),
            limits,
        }
    }

    /// The parsed `query`, or why it must not reach validation.
    pub fn check(&self, query: &str) -> Checked {
        if query.len() > self.limits.max_bytes {
            return Checked::TooLarge(DocumentTooLarge::Bytes(self.limits.max_bytes));
        }
        if let Some(checked) = self.documents.get(query) {
            return checked;
        }
        let Ok(document) = async_graphql::parser::parse_query(query) else {
            return Checked::Unparsable;
        };
        let checked = match document_limits::check(&document, &self.limits) {
            Ok(()) => Checked::Document(document),
            Err(reason) => Checked::TooLarge(reason),
        };
        self.documents.insert(query.to_owned(), checked.clone());
        checked
    }

    /// At most this many errors go into one response.
    pub fn max_errors(&self) -> usize {
        self.limits.max_errors
    }
}

/// Limits that stop expensive queries before any SQL runs.
pub struct Limits {
    pub depth: usize,
    pub complexity: usize,
    /// Longest text input without a column of its own limit.
    pub max_text_chars: usize,
    /// Most ids in one `nodes(ids:)` call.
    pub max_node_ids: usize,
}

/// Process-wide services, stored once in each schema (the clones share their state).
#[derive(Clone)]
pub struct Services {
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
    pub tokens: Arc<TokenIssuer>,
    /// Evicted when a user changes (R-PRV-4).
    pub principals: Arc<PrincipalCache>,
    pub settings: RuleSettings,
    /// Failed logins per account and address (brute force).
    pub login_throttle: Arc<LoginThrottle>,
    /// Per-IP limit of anonymous complaint tracking.
    pub track_limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    /// New timeline rows for live subscribers.
    pub events: Arc<EventHub>,
    /// Codes, sessions and their settings.
    pub accounts: Arc<crate::services::accounts::Accounts>,
    /// Per-operation counts, latency and error codes (see `crate::metrics`).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Where attachments are stored, and their limits.
    pub attachments: Arc<crate::attachments::Storage>,
    /// Queues reads of personal data for the audit log (R-PRV-3).
    pub audit: crate::jobs::audit_writer::AuditWriter,
}

/// Ends the WebSocket connection a subscription runs on, with a close code and reason (a
/// subscriber too slow to keep up). Absent outside WebSocket connections.
#[derive(Clone)]
pub struct Hangup(tokio::sync::mpsc::Sender<(u16, String)>);

impl Hangup {
    pub fn new(sender: tokio::sync::mpsc::Sender<(u16, String)>) -> Self {
        Self(sender)
    }

    pub fn close(&self, code: u16, reason: &str) {
        let _ = self.0.try_send((code, reason.to_owned()));
    }
}

/// The client's address, as the HTTP layer saw it.
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub IpAddr);

/// The schema for authenticated callers and the one for anonymous callers, which has
/// introspection and "Did you mean …" hints off unless `anonymous_discovery`: they map the
/// schema for anyone on the internet.
pub fn build_schemas(
    services: Services,
    limits: Limits,
    anonymous_discovery: bool,
) -> (AppSchema, AppSchema) {
    let input_guard = input_guard::InputGuard::new(&sdl(), limits.max_text_chars);
    let build = |services: Services| {
        let observe = crate::metrics::Observe(services.metrics.clone());
        Schema::build(
            QueryRoot::default(),
            MutationRoot::default(),
            SubscriptionRoot::default(),
        )
        .data(services)
        .extension(observe)
        .data(node::MaxNodeIds(limits.max_node_ids))
        .extension(input_guard.clone())
        .extension(single_login::SingleLogin)
        .extension(field_errors::SplitFieldErrors)
        .limit_depth(limits.depth)
        .limit_complexity(limits.complexity)
    };
    let authenticated = build(services.clone()).finish();
    let anonymous = if anonymous_discovery {
        build(services).finish()
    } else {
        build(services)
            .disable_introspection()
            .disable_suggestions()
            .finish()
    };
    (authenticated, anonymous)
}

/// The `extensions.code` of an error as clients get it. Resolver errors carry their own (see
/// `ApiError`); async-graphql's own carry none: a request-level one (parse, validation, depth
/// and complexity limits) has no path, a field-level one is an argument that failed to coerce.
pub fn error_code(error: &async_graphql::ServerError) -> &str {
    match error.extensions.as_ref().and_then(|ext| ext.get("code")) {
        Some(async_graphql::Value::String(code)) => code,
        _ if error.path.is_empty() => "GRAPHQL_VALIDATION_FAILED",
        _ => "BAD_USER_INPUT",
    }
}

/// The SDL checked in as `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .finish()
    .sdl()
}

pub(crate) fn services<'a>(ctx: &Context<'a>) -> ApiResult<&'a Services> {
    ctx.data::<Services>()
        .map_err(|_| ApiError::Internal("schema built without services".into()))
}

/// The use-case context of this request.
pub(crate) fn env<'a>(ctx: &Context<'a>) -> ApiResult<Env<'a>> {
    let services = services(ctx)?;
    Ok(Env {
        db: &services.db,
        now: services.clock.now(),
        actor: principal(ctx),
        settings: &services.settings,
    })
}

/// The client's address; unspecified for requests executed without one (in-process calls).
pub(crate) fn client_ip(ctx: &Context<'_>) -> IpAddr {
    ctx.data_opt::<ClientIp>().map_or(
        IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
        |ClientIp(ip)| *ip,
    )
}

/// The caller; requests executed without one are anonymous.
pub(crate) fn principal<'a>(ctx: &Context<'a>) -> &'a Principal {
    ctx.data_opt::<Principal>().unwrap_or(&Principal::Anonymous)
}

#[cfg(test)]
mod tests {
    use super::{Checked, DocumentCache, DocumentLimits, DocumentTooLarge};

    fn cache() -> DocumentCache {
        DocumentCache::new(DocumentLimits {
            max_bytes: 1000,
            max_selections: 10,
            max_fragment_spreads: 10,
            max_directives: 2,
            max_input_values: 10,
            max_definitions: 10,
            max_errors: 10,
        })
    }

    #[test]
    fn documents_are_parsed_once_and_bad_ones_left_to_the_schema() {
        let cache = cache();
        let Checked::Document(first) = cache.check("{ me { role } }") else {
            panic!("parses")
        };
        let Checked::Document(again) = cache.check("{ me { role } }") else {
            panic!("cached")
        };
        assert_eq!(format!("{first:?}"), format!("{again:?}"));
        assert!(matches!(cache.check("{ me { role "), Checked::Unparsable));
        assert_eq!(cache_len(&cache), 1, "only the good document is kept");
    }

    #[test]
    fn documents_over_a_limit_are_remembered_as_such() {
        let cache = cache();
        let wide: String = (0..11).map(|i| format!("a{i}: __typename ")).collect();
        for _ in 0..2 {
            assert!(matches!(
                cache.check(&format!("{{ {wide} }}")),
                Checked::TooLarge(DocumentTooLarge::Selections(10))
            ));
        }
        assert_eq!(cache_len(&cache), 1);
        assert!(matches!(
            cache.check(&format!("{{ __typename }} #{}", "x".repeat(1000))),
            Checked::TooLarge(DocumentTooLarge::Bytes(1000))
        ));
        assert_eq!(
            cache_len(&cache),
            1,
            "overlong queries are not parsed nor kept"
        );
    }

    fn cache_len(cache: &DocumentCache) -> u64 {
        cache.documents.run_pending_tasks();
        cache.documents.entry_count()
    }
}
