//! The GraphQL schema: one module per domain area, merged into the query and mutation roots.

mod complaint;
mod guard;
mod identity;
mod input_guard;
pub mod loaders;
mod metrics;
pub mod pagination;
mod policy;
mod repair;
mod scalars;
mod single_login;
mod survey;

use std::net::IpAddr;
use std::sync::Arc;

use governor::DefaultKeyedRateLimiter;

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Context, EmptySubscription, MergedObject, Schema};
use sea_orm::DatabaseConnection;

use crate::auth::principals::PrincipalCache;
use crate::auth::throttle::LoginThrottle;
use crate::auth::tokens::TokenIssuer;
use crate::domain::clock::Clock;
use crate::domain::identity::Principal;
use crate::error::{ApiError, ApiResult};
use crate::services::{Env, RuleSettings};

pub use guard::RoleGuard;

pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    identity::IdentityQuery,
    repair::RepairQuery,
    complaint::ComplaintQuery,
    policy::PolicyQuery,
    metrics::MetricsQuery,
    survey::SurveyQuery,
);

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    identity::IdentityMutation,
    repair::RepairMutation,
    complaint::ComplaintMutation,
    policy::PolicyMutation,
    survey::SurveyMutation,
);

/// Parsed queries by their text: apps and integrations send the same few queries over and
/// over, and parsing was a twentieth of a status lookup's CPU. Validation still runs on every
/// request, since it depends on the variables.
pub struct DocumentCache {
    documents: moka::sync::Cache<String, ExecutableDocument>,
}

impl Default for DocumentCache {
    fn default() -> Self {
        Self {
            documents: moka::sync::Cache::builder()
                // Weighed by query length: about 1 MiB of query text.
                .weigher(|query: &String, _| u32::try_from(query.len()).unwrap_or(u32::MAX))
                .max_capacity(1 << 20)
                .build(),
        }
    }
}

impl DocumentCache {
    /// The parsed `query`; `None` when it does not parse, so that the schema reports why.
    pub fn parsed(&self, query: &str) -> Option<ExecutableDocument> {
        if let Some(document) = self.documents.get(query) {
            return Some(document);
        }
        let document = async_graphql::parser::parse_query(query).ok()?;
        self.documents.insert(query.to_owned(), document.clone());
        Some(document)
    }
}

/// Limits that stop expensive queries before any SQL runs.
pub struct Limits {
    pub depth: usize,
    pub complexity: usize,
    /// Longest text input without a column of its own limit.
    pub max_text_chars: usize,
}

/// Process-wide services, stored once in the schema.
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
}

/// The client's address, as the HTTP layer saw it.
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub IpAddr);

pub fn build_schema(services: Services, limits: Limits) -> AppSchema {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
    .data(services)
    .extension(input_guard::InputGuard::new(&sdl(), limits.max_text_chars))
    .extension(single_login::SingleLogin)
    .limit_depth(limits.depth)
    .limit_complexity(limits.complexity)
    .finish()
}

/// The SDL checked in as `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
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
    use super::DocumentCache;

    #[test]
    fn documents_are_parsed_once_and_bad_ones_left_to_the_schema() {
        let cache = DocumentCache::default();
        let first = cache.parsed("{ me { role } }").expect("parses");
        let again = cache.parsed("{ me { role } }").expect("cached");
        assert_eq!(format!("{first:?}"), format!("{again:?}"));
        assert!(cache.parsed("{ me { role ").is_none());
        assert_eq!(cache_len(&cache), 1, "only the good document is kept");
    }

    fn cache_len(cache: &DocumentCache) -> u64 {
        cache.documents.run_pending_tasks();
        cache.documents.entry_count()
    }
}
