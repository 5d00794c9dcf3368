//! Privacy over GraphQL: list resolvers record what a page of personal data returned
//! (`record_page`, R-PRV-3), admins read the audit log (`auditLog`), customers see who read
//! their data (`myDataAccess`), staff reveal one masked value (`revealContact`, R-PRV-2),
//! retention and legal holds (R-PRV-6), approved exports and consents to disclosure (R-PRV-12).

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::audit_log;
use entity::disclosure_consents::{ConsentChannel, DisclosureBasis};
use entity::ticket_events::TicketKind;
use entity::users::Role;

use super::loaders::{UserKey, loaders};
use super::pagination::{KeysetConnection, PageRequest};
use super::scalars::{NodeType, id, key};
use super::{RoleGuard, client_ip, env, principal, services};
use crate::domain::privacy;
use crate::error::ApiResult;
use crate::services::privacy::{self as service, ContactField};
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

/// A row of `audit_log`.
pub struct AuditEntry(audit_log::Model);

/// One entry of the audit log: an access to or a change of personal data.
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
pub struct PrivacyQuery;

#[Object]
impl PrivacyQuery {
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

    /// How long each kind of ticket keeps its personal data after closing (R-PRV-6). Admins
    /// only (`FORBIDDEN` otherwise).
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn retention_policies(&self, ctx: &Context<'_>) -> Result<Vec<RetentionPolicy>> {
        let env = env(ctx)?;
        let policies = crate::store::retention::policies(env.db).await?;
        Ok(policies.into_iter().map(RetentionPolicy::from).collect())
    }

    /// What the retention job destroyed, newest first (R-PRV-6). Admins only (`FORBIDDEN`
    /// otherwise); `BAD_USER_INPUT` for a bad `first` or `after`.
    #[graphql(
        guard = "RoleGuard(&[Role::Admin])",
        complexity = "crate::graphql::pagination::page_cost(first, child_complexity)"
    )]
    async fn destruction_records(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; omit for the first page.")]
        after: Option<String>,
    ) -> Result<KeysetConnection<DestructionRecord>> {
        let env = env(ctx)?;
        let page = PageRequest::parse(first, after)?;
        let rows =
            crate::store::retention::destruction_records(env.db, page.after, page.limit()).await?;
        Ok(page.connection(
            rows,
            |row| (row.destroyed_at, row.id),
            DestructionRecord::from,
        ))
    }

    /// A customer's consents to disclosure to partner organizations, newest first, withdrawn
    /// ones included (R-PRV-12): customers their own (omit `customerId`), agents and
    /// supervisors a customer of their centre. `NOT_FOUND` for a customer out of scope,
    /// `FORBIDDEN` for other roles.
    async fn disclosure_consents(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer (staff); omit for your own.")] customer_id: Option<ID>,
    ) -> Result<Vec<DisclosureConsent>> {
        let env = env(ctx)?;
        let customer = customer_id.map(|c| key(&c, NodeType::User)).transpose()?;
        let rows = service::consents(&env, customer).await?;
        Ok(rows.into_iter().map(DisclosureConsent::from).collect())
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

/// A contact field that staff lists mask.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "ContactField")]
pub enum RevealedField {
    /// The order's `serviceAddress`.
    ServiceAddress,
    /// The order's `contactPhone`.
    ContactPhone,
    /// The customer's own phone (`customer.phone`).
    CustomerPhone,
}

impl From<RevealedField> for ContactField {
    fn from(field: RevealedField) -> Self {
        match field {
            RevealedField::ServiceAddress => Self::ServiceAddress,
            RevealedField::ContactPhone => Self::ContactPhone,
            RevealedField::CustomerPhone => Self::CustomerPhone,
        }
    }
}

#[derive(Default)]
pub struct PrivacyMutation;

#[Object]
impl PrivacyMutation {
    /// One masked contact value of one repair order, in full, for the call or visit that needs
    /// it now (R-PRV-2): agents of the order's centre while it is worked on, supervisors also
    /// after. Every reveal is in the audit log (and the customer's `myDataAccess`) before the
    /// value is returned. `NOT_FOUND` for an order the caller cannot see, `FORBIDDEN` for
    /// other roles and for agents on a finished order. Null when the customer has no phone.
    async fn reveal_contact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The repair order.")] repair_order_id: ID,
        #[graphql(desc = "Which value to reveal.")] field: RevealedField,
    ) -> Result<Option<String>> {
        let env = env(ctx)?;
        let order = key(&repair_order_id, NodeType::RepairOrder)?;
        Ok(service::reveal_contact(&env, order, field.into(), client_ip(ctx)).await?)
    }

    /// Sets how many days after closing a kind of ticket keeps its personal data before the
    /// retention job anonymizes it (R-PRV-6): at least the seal period (`SEAL_AFTER_DAYS`),
    /// at most 30 years. Admins only (`FORBIDDEN` otherwise); `BAD_USER_INPUT` (`days`, or
    /// `kind` RETURN_VISIT). Audited with the old and new period.
    async fn set_retention_policy(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "REPAIR_ORDER or COMPLAINT.")] kind: TicketKind,
        #[graphql(desc = "Days after closing.")] days: i32,
    ) -> Result<RetentionPolicy> {
        let env = env(ctx)?;
        let policy = service::set_retention_policy(&env, kind, days, client_ip(ctx)).await?;
        Ok(policy.into())
    }

    /// Puts a repair order or complaint under legal hold: its personal data is kept past the
    /// retention period until the hold is released (R-PRV-6). Supervisors of its centre;
    /// `NOT_FOUND` for a ticket they cannot see, `FORBIDDEN` for other roles,
    /// `BAD_USER_INPUT` for an empty reason. Audited.
    async fn place_legal_hold(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A repair order's or complaint's id.")] ticket_id: ID,
        #[graphql(desc = "Why (a dispute, a police case; 1–2,000 characters).")] reason: String,
    ) -> Result<LegalHold> {
        let env = env(ctx)?;
        let (kind, id) = ticket_key(&ticket_id)?;
        let hold = service::place_legal_hold(&env, kind, id, &reason, client_ip(ctx)).await?;
        Ok(LegalHold {
            ticket_id,
            reason: hold.reason,
            placed_at: hold.placed_at,
        })
    }

    /// Asks for a bulk export of personal data of your centre (R-PRV-12). Agents and
    /// supervisors; another supervisor must approve it (`approveExport`) before it is produced.
    /// `BAD_USER_INPUT` for an empty range. Audited.
    async fn request_export(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to export.")] kind: ExportKind,
        #[graphql(desc = "Which rows.")] filter: Option<ExportFilter>,
    ) -> Result<Export> {
        let env = env(ctx)?;
        let ExportKind::RepairOrders = kind;
        let filter = filter.unwrap_or_default();
        let export = crate::services::exports::request(
            &env,
            filter.reported_from,
            filter.reported_to,
            client_ip(ctx),
        )
        .await?;
        Ok(Export::of(export, env.now))
    }

    /// Approves an export: a supervisor of its centre who did not ask for it (`FORBIDDEN` for
    /// the requester and for other roles; `NOT_FOUND` for another centre's;
    /// `INVALID_TRANSITION` when approved already). Audited.
    async fn approve_export(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The export.")] id: ID,
    ) -> Result<Export> {
        let env = env(ctx)?;
        let key = key(&id, NodeType::Export)?;
        let export = crate::services::exports::approve(&env, key, client_ip(ctx)).await?;
        Ok(Export::of(export, env.now))
    }

    /// The export's CSV, once, for the person who asked for it, until `expiresAt`; the file is
    /// dropped after. `NOT_FOUND` for anyone else; `INVALID_TRANSITION` (`extensions.status`)
    /// before it is produced, after the download or once expired. Audited.
    async fn download_export(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The export.")] id: ID,
    ) -> Result<String> {
        let env = env(ctx)?;
        let key = key(&id, NodeType::Export)?;
        Ok(crate::services::exports::download(&env, key, client_ip(ctx)).await?)
    }

    /// Records a customer's consent for their personal data to go to a partner organization
    /// (R-PRV-12); until then a partner sees the data masked on tickets it did not file.
    /// Consent is written: customers give it in the app (`channel: APP`, their own); agents
    /// and supervisors of the customer's centre enter a signed form (`WRITTEN`, with its
    /// number in `reference`); a legal basis other than consent (`basis: LEGAL_BASIS`, naming
    /// the law or contract) is for supervisors. `FORBIDDEN` for partners (never for themselves)
    /// and other roles; `NOT_FOUND` for a customer out of scope; `BAD_USER_INPUT` (`basis`,
    /// `channel`, `reference`, `organizationId`); `CONFLICT` when one is in force already.
    /// Audited.
    async fn record_disclosure_consent(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to record.")] input: RecordDisclosureConsentInput,
    ) -> Result<DisclosureConsent> {
        let env = env(ctx)?;
        let request = service::ConsentRequest {
            customer_id: input
                .customer_id
                .map(|c| key(&c, NodeType::User))
                .transpose()?,
            organization_id: input
                .organization_id
                .map(|o| key(&o, NodeType::Organization))
                .transpose()?,
            basis: input.basis,
            channel: input.channel,
            reference: input.reference,
        };
        let consent = service::record_consent(&env, request, client_ip(ctx)).await?;
        Ok(consent.into())
    }

    /// Withdraws a consent (R-PRV-12): from now on the partner sees the customer's data
    /// masked. The customer their own; agents and supervisors of the customer's centre.
    /// `NOT_FOUND` otherwise; `INVALID_TRANSITION` when withdrawn already. Audited.
    async fn withdraw_disclosure_consent(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The consent.")] id: ID,
    ) -> Result<DisclosureConsent> {
        let env = env(ctx)?;
        let key = key(&id, NodeType::DisclosureConsent)?;
        Ok(service::withdraw_consent(&env, key, client_ip(ctx))
            .await?
            .into())
    }

    /// Releases a ticket's legal holds; the number released. Supervisors of its centre;
    /// `NOT_FOUND` for a ticket they cannot see or one without a hold. Audited.
    async fn release_legal_hold(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A repair order's or complaint's id.")] ticket_id: ID,
    ) -> Result<i32> {
        let env = env(ctx)?;
        let (kind, id) = ticket_key(&ticket_id)?;
        let released = service::release_legal_hold(&env, kind, id, client_ip(ctx)).await?;
        Ok(i32::try_from(released).unwrap_or(i32::MAX))
    }
}

/// What an export holds.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ExportKind {
    /// The centre's repair orders with their customers' names, phones and addresses (CSV).
    RepairOrders,
}

/// Which rows an export holds; all given conditions hold.
#[derive(InputObject, Default)]
pub struct ExportFilter {
    /// Orders reported at or after.
    reported_from: Option<DateTime<Utc>>,
    /// Orders reported before.
    reported_to: Option<DateTime<Utc>>,
}

/// A bulk export of personal data (R-PRV-12): approved by a second supervisor, produced in the
/// background, downloaded once by the requester before `expiresAt`.
#[derive(SimpleObject)]
pub struct Export {
    /// The export's id.
    id: ID,
    /// What it holds.
    kind: ExportKind,
    /// Where it stands.
    status: crate::domain::privacy::ExportStatus,
    /// Who asked for it.
    requested_by: ID,
    /// When.
    requested_at: DateTime<Utc>,
    /// Who approved it; null before approval.
    approved_by: Option<ID>,
    /// Rows in the file; null before it is produced.
    row_count: Option<i32>,
    /// Until when the file can be downloaded; null before it is produced.
    expires_at: Option<DateTime<Utc>>,
}

impl Export {
    fn of(export: entity::exports::Model, now: DateTime<Utc>) -> Self {
        Self {
            id: id(NodeType::Export, export.id),
            kind: ExportKind::RepairOrders,
            status: crate::domain::privacy::export_status(
                export.approved_at.is_some(),
                export.expires_at,
                export.downloaded_at.is_some(),
                now,
            ),
            requested_by: id(NodeType::User, export.requested_by),
            requested_at: export.requested_at,
            approved_by: export.approved_by.map(|user| id(NodeType::User, user)),
            row_count: export.row_count,
            expires_at: export.expires_at,
        }
    }
}

/// The kind and key of a repair order's or complaint's id; `NOT_FOUND` for anything else.
fn ticket_key(ticket_id: &ID) -> ApiResult<(TicketKind, i64)> {
    match crate::domain::global_id::decode(ticket_id) {
        Some((NodeType::RepairOrder, key)) => Ok((TicketKind::RepairOrder, key)),
        Some((NodeType::Complaint, key)) => Ok((TicketKind::Complaint, key)),
        _ => Err(crate::error::ApiError::NotFound("ticket")),
    }
}

/// How long a kind of ticket keeps its personal data after closing (R-PRV-6).
#[derive(SimpleObject)]
pub struct RetentionPolicy {
    /// The kind of ticket.
    kind: TicketKind,
    /// Days after closing until the personal data is anonymized.
    days: i32,
    /// When the period was last set.
    updated_at: DateTime<Utc>,
}

impl From<entity::retention_policies::Model> for RetentionPolicy {
    fn from(policy: entity::retention_policies::Model) -> Self {
        Self {
            kind: policy.ticket_kind,
            days: policy.retention_days,
            updated_at: policy.updated_at,
        }
    }
}

/// A legal hold in force on a ticket.
#[derive(SimpleObject)]
pub struct LegalHold {
    /// The held ticket.
    ticket_id: ID,
    /// Why it is held.
    reason: String,
    /// Since when.
    placed_at: DateTime<Utc>,
}

/// A ticket whose personal data the retention job destroyed (anonymized in place, R-PRV-6).
#[derive(SimpleObject)]
pub struct DestructionRecord {
    /// The kind of ticket.
    ticket_kind: TicketKind,
    /// The ticket, which stays for statistics.
    ticket_id: ID,
    /// When the ticket was closed.
    closed_at: DateTime<Utc>,
    /// The retention period applied, in days.
    retention_days: i32,
    /// The fields anonymized.
    fields: Vec<String>,
    /// When.
    destroyed_at: DateTime<Utc>,
}

impl From<entity::destruction_records::Model> for DestructionRecord {
    fn from(record: entity::destruction_records::Model) -> Self {
        Self {
            ticket_kind: record.ticket_kind,
            ticket_id: id(NodeType::of_ticket(record.ticket_kind), record.ticket_id),
            closed_at: record.closed_at,
            retention_days: record.retention_days,
            fields: record.fields.split(',').map(str::to_owned).collect(),
            destroyed_at: record.destroyed_at,
        }
    }
}

/// What `recordDisclosureConsent` records.
#[derive(InputObject)]
pub struct RecordDisclosureConsentInput {
    /// The customer (staff); omit for your own consent.
    customer_id: Option<ID>,
    /// The partner organization; by default the customer's own.
    organization_id: Option<ID>,
    /// Consent (default) or, for supervisors, another legal basis.
    #[graphql(default_with = "DisclosureBasis::Consent")]
    basis: DisclosureBasis,
    /// How it was given: `APP` (the customer) or `WRITTEN` (a signed form, entered by staff).
    channel: ConsentChannel,
    /// The signed form's number, or the law or contract relied on (1–200 characters);
    /// required from staff.
    reference: Option<String>,
}

/// A customer's consent, or a legal basis, for their personal data to go to one partner
/// organization (R-PRV-12).
#[derive(SimpleObject)]
pub struct DisclosureConsent {
    /// The record's id.
    id: ID,
    /// Whose data.
    customer_id: ID,
    /// To which partner organization.
    organization_id: ID,
    /// Consent or another legal basis.
    basis: DisclosureBasis,
    /// How it was given.
    channel: ConsentChannel,
    /// The signed form's number, or the law or contract relied on.
    reference: Option<String>,
    /// Who recorded it (the customer, or staff).
    recorded_by: ID,
    /// When.
    recorded_at: DateTime<Utc>,
    /// When it was withdrawn; null while in force.
    withdrawn_at: Option<DateTime<Utc>>,
    /// Not withdrawn.
    in_force: bool,
}

impl From<entity::disclosure_consents::Model> for DisclosureConsent {
    fn from(row: entity::disclosure_consents::Model) -> Self {
        Self {
            id: id(NodeType::DisclosureConsent, row.id),
            customer_id: id(NodeType::User, row.customer_id),
            organization_id: id(NodeType::Organization, row.organization_id),
            basis: row.basis,
            channel: row.channel,
            reference: row.reference,
            recorded_by: id(NodeType::User, row.recorded_by),
            recorded_at: row.recorded_at,
            in_force: row.withdrawn_at.is_none(),
            withdrawn_at: row.withdrawn_at,
        }
    }
}
