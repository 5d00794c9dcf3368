//! The access audit over GraphQL (R-PRV-3, R-PRV-12): list resolvers record what a page of
//! personal data returned (`record_page`), admins read the log (`auditLog`), customers see who
//! read their data (`myDataAccess`).

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::audit_log;
use entity::users::Role;

use super::loaders::{UserKey, loaders};
use super::pagination::{KeysetConnection, PageRequest};
use super::scalars::{NodeType, id, key};
use super::{RoleGuard, client_ip, env, principal, services};
use crate::domain::privacy;
use crate::error::ApiResult;
use crate::store::audit::{Access, Actor, Filter};

/// What one list page returned, for `record_page`.
pub(super) struct PageRead<'a> {
    /// `REPAIR_ORDER`, …: what the rows are.
    pub subject_kind: &'static str,
    /// The personal fields the query selected (`customer.name`, `contactPhone`, …).
    pub fields: Vec<&'static str>,
    /// Whose data each row holds.
    pub people: &'a [i64],
}

/// Queues one audit entry for a page of personal data (one per page, not per row). Pages
/// without personal fields, empty pages and a customer's reads of their own data are not
/// recorded.
pub(super) async fn record_page(ctx: &Context<'_>, read: PageRead<'_>) -> ApiResult<()> {
    let actor = principal(ctx);
    if read.fields.is_empty() || read.people.is_empty() || !privacy::audits_reads_of(actor) {
        return Ok(());
    }
    let services = services(ctx)?;
    services
        .audit
        .record(Access {
            occurred_at: services.clock.now(),
            actor: Actor::of(actor, client_ip(ctx)),
            action: "personal_data.read",
            subject_kind: read.subject_kind,
            subject_id: None,
            operation: Some(ctx.field().name().to_owned()),
            fields: read.fields,
            row_count: i32::try_from(read.people.len()).ok(),
            users: read.people.to_vec(),
            detail: None,
        })
        .await
}

/// One entry of the audit log: an access to or a change of personal data.
pub struct AuditEntry(audit_log::Model);

#[Object]
impl AuditEntry {
    /// The entry's id.
    async fn id(&self) -> ID {
        id(NodeType::AuditEntry, self.0.id)
    }
    /// When it happened.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    /// The actor's role (`AGENT`, `PARTNER`, …; `SYSTEM` for the retention job).
    async fn actor_role(&self) -> &str {
        &self.0.actor_role
    }
    /// The acting user; null for partners and the system.
    async fn actor_id(&self) -> Option<ID> {
        self.0.actor_user_id.map(|key| id(NodeType::User, key))
    }
    /// The partner's API key that acted; null for users.
    async fn api_key_id(&self) -> Option<ID> {
        self.0.actor_api_key_id.map(|key| id(NodeType::ApiKey, key))
    }
    /// Where the request came from.
    async fn client_address(&self) -> Option<&str> {
        self.0.client_address.as_deref()
    }
    /// What happened: `personal_data.read`, `contact.reveal`, `customer.lookup`,
    /// `customer.created`, `retention_policy.changed`, `personal_data.destroyed`, …
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// The kind of record concerned (`USER`, `REPAIR_ORDER`, …).
    async fn subject_kind(&self) -> &str {
        &self.0.subject_kind
    }
    /// The record concerned, when the entry is about one.
    async fn subject_id(&self) -> Option<ID> {
        let node = node_of(&self.0.subject_kind)?;
        self.0.subject_id.map(|key| id(node, key))
    }
    /// The query or export that read the data (`repairOrders`, …).
    async fn operation(&self) -> Option<&str> {
        self.0.operation.as_deref()
    }
    /// The personal fields a read returned.
    async fn fields(&self) -> Vec<&str> {
        split_fields(self.0.fields.as_deref())
    }
    /// Rows a read returned (one entry per page, however many rows).
    async fn row_count(&self) -> Option<i32> {
        self.0.row_count
    }
    /// Details as JSON: how a lookup named its subject, a change's old and new values.
    async fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }
}

/// A read of the customer's data, as the customer sees it (`myDataAccess`).
#[derive(SimpleObject)]
pub struct DataAccess {
    /// When.
    occurred_at: DateTime<Utc>,
    /// The role of who read it (`AGENT`, `TECHNICIAN`, `PARTNER`, …).
    actor_role: String,
    /// Their name; null for partners' systems and the service itself.
    actor_name: Option<String>,
    /// What was done (`personal_data.read`, `contact.reveal`, …).
    action: String,
    /// The query or export.
    operation: Option<String>,
    /// Which of the customer's fields were shown.
    fields: Vec<String>,
}

/// Narrows `auditLog`; all given conditions hold.
#[derive(InputObject, Default)]
pub struct AuditLogFilter {
    /// Entries of this acting user.
    actor_id: Option<ID>,
    /// Entries of this action (`personal_data.read`, …).
    action: Option<String>,
    /// Entries about records of this kind (`USER`, `REPAIR_ORDER`, …).
    subject_kind: Option<String>,
    /// Entries that touched this person's data (a customer's id).
    customer_id: Option<ID>,
    /// At or after.
    from: Option<DateTime<Utc>>,
    /// Before.
    to: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The audit log, newest first: every read of personal data by staff and partners, every
    /// reveal, lookup, export and admin change (R-PRV-3). Admins only (`FORBIDDEN` otherwise);
    /// `BAD_USER_INPUT` for a bad `first` or `after`.
    #[graphql(
        guard = "RoleGuard(&[Role::Admin])",
        complexity = "crate::graphql::pagination::page_cost(first, child_complexity)"
    )]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only entries matching this filter.")] filter: Option<AuditLogFilter>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; omit for the first page.")]
        after: Option<String>,
    ) -> Result<KeysetConnection<AuditEntry>> {
        let filter = filter.unwrap_or_default();
        let filter = Filter {
            actor_user_id: filter
                .actor_id
                .map(|a| key(&a, NodeType::User))
                .transpose()?,
            action: filter.action,
            subject_kind: filter.subject_kind,
            subject_id: None,
            touched_user_id: filter
                .customer_id
                .map(|c| key(&c, NodeType::User))
                .transpose()?,
            from: filter.from,
            to: filter.to,
        };
        let (page, rows) = rows(ctx, &filter, first, after).await?;
        Ok(page.connection(rows, |row| (row.occurred_at, row.id), AuditEntry))
    }

    /// Who read or changed your personal data, newest first (R-PRV-3): staff and partners'
    /// reads, reveals, lookups and exports that included you. Customers only (`FORBIDDEN`
    /// otherwise).
    #[graphql(
        guard = "RoleGuard(&[Role::Customer])",
        complexity = "crate::graphql::pagination::page_cost(first, child_complexity)"
    )]
    async fn my_data_access(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; omit for the first page.")]
        after: Option<String>,
    ) -> Result<KeysetConnection<DataAccess>> {
        let me = principal(ctx).user()?.id;
        let filter = Filter {
            touched_user_id: Some(me),
            ..Filter::default()
        };
        let (page, rows) = rows(ctx, &filter, first, after).await?;
        let actors: Vec<UserKey> = rows
            .iter()
            .filter_map(|row| row.actor_user_id.map(UserKey))
            .collect();
        let names = loaders(ctx)?.load_many(actors).await?;
        Ok(page.connection(
            rows,
            |row| (row.occurred_at, row.id),
            |row| DataAccess {
                actor_name: row
                    .actor_user_id
                    .and_then(|user| names.get(&UserKey(user)))
                    .map(|user| user.name.clone()),
                fields: split_fields(row.fields.as_deref())
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
                occurred_at: row.occurred_at,
                actor_role: row.actor_role,
                action: row.action,
                operation: row.operation,
            },
        ))
    }
}

/// A page of the log, read after the writer has committed what this process queued, so a
/// reader sees every access made before it asked.
async fn rows(
    ctx: &Context<'_>,
    filter: &Filter,
    first: Option<i32>,
    after: Option<String>,
) -> ApiResult<(PageRequest, Vec<audit_log::Model>)> {
    let env = env(ctx)?;
    let page = PageRequest::parse(first, after)?;
    services(ctx)?.audit.flush().await;
    let rows = crate::store::audit::list(env.db, filter, page.after, page.limit()).await?;
    Ok((page, rows))
}

fn split_fields(fields: Option<&str>) -> Vec<&str> {
    fields.map_or_else(Vec::new, |fields| fields.split(',').collect())
}

/// The id type of an audited record kind.
fn node_of(subject_kind: &str) -> Option<NodeType> {
    match subject_kind {
        "USER" => Some(NodeType::User),
        "REPAIR_ORDER" => Some(NodeType::RepairOrder),
        "COMPLAINT" => Some(NodeType::Complaint),
        "RETURN_VISIT" => Some(NodeType::ReturnVisit),
        _ => None,
    }
}
