//! Complaints over GraphQL: staff work on `Complaint`; customers (and anyone with the number
//! and phone) see `ComplaintTracking`, which has nothing internal in it.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::complaints::{self, ComplaintCategory, ComplaintChannel, ComplaintStatus, Severity};
use entity::escalation_routes::EscalationTarget;
use entity::ticket_events::TicketKind;
use entity::users::Role;
use rust_decimal::Decimal;

use super::loaders::{ComplaintEventsKey, EscalationsKey, UserKey, loaders};
use super::pagination::{KeysetConnection, PageRequest, TicketOrder};
use super::repair::TimelineEvent;
use super::scalars::{id, key};
use super::sla;
use super::{ClientIp, RoleGuard, env};
use crate::domain::complaint::{INTERNAL_READERS, level_words, sees_internals};
use crate::domain::identity::Principal;
use crate::domain::masking::mask_phone;
use crate::domain::money::money;
use crate::error::ApiError;
use crate::services::complaints as service;
use crate::store::complaints::{ListFilter, Scope};

/// A complaint as staff and partners work on it; customers get `ComplaintTracking`, or, from
/// `fileComplaint`, this type without its internal fields.
pub struct Complaint(pub complaints::Model);

/// The due times of the latest cycle of each clock (a summary of `slaClocks`).
#[derive(SimpleObject)]
pub struct ComplaintDeadlines {
    first_response_due: Option<DateTime<Utc>>,
    next_update_due: Option<DateTime<Utc>>,
    solution_due: Option<DateTime<Utc>>,
    resolution_due: Option<DateTime<Utc>>,
    /// The earliest due time of a clock still running.
    next_deadline: Option<DateTime<Utc>>,
}

#[derive(SimpleObject)]
pub struct Escalation {
    id: ID,
    ticket_kind: TicketKind,
    ticket_id: ID,
    from_level: i32,
    to_level: i32,
    reason: String,
    automatic: bool,
    deadline_kind: Option<String>,
    /// Whose inbox it went to (R-ESC-1).
    target: EscalationTarget,
    created_at: DateTime<Utc>,
    acknowledged_at: Option<DateTime<Utc>>,
}

impl From<entity::escalations::Model> for Escalation {
    fn from(e: entity::escalations::Model) -> Self {
        Self {
            id: id(e.id),
            ticket_kind: e.ticket_kind,
            ticket_id: id(e.ticket_id),
            from_level: i32::from(e.from_level),
            to_level: i32::from(e.to_level),
            reason: e.reason,
            automatic: e.automatic,
            deadline_kind: e.deadline_kind,
            target: e.target,
            created_at: e.created_at,
            acknowledged_at: e.acknowledged_at,
        }
    }
}

/// One centre's GENERAL complaints of one local day, reported to the manager (R-CLS-1).
#[derive(SimpleObject)]
pub struct ManagerDigest {
    day: chrono::NaiveDate,
    /// GENERAL complaints received that day.
    general_complaints: i32,
    /// Of those, not yet resolved when the digest was written (after the day ended).
    still_open: i32,
    /// Their numbers, at most the first 500 of the day.
    numbers: Vec<String>,
    created_at: DateTime<Utc>,
}

impl From<entity::manager_digests::Model> for ManagerDigest {
    fn from(d: entity::manager_digests::Model) -> Self {
        Self {
            day: d.day,
            general_complaints: d.general_complaints,
            still_open: d.still_open,
            numbers: d
                .numbers
                .split(',')
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect(),
            created_at: d.created_at,
        }
    }
}

#[Object]
impl Complaint {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// e.g. `CP-20261122-000042`.
    async fn number(&self) -> &str {
        &self.0.number
    }
    /// The filing client's own id for it (`FileComplaintInput.externalReference`).
    async fn external_reference(&self) -> Option<&str> {
        self.0.external_reference.as_deref()
    }
    async fn status(&self) -> ComplaintStatus {
        self.0.status
    }
    async fn channel(&self) -> ComplaintChannel {
        self.0.channel
    }
    async fn category(&self) -> ComplaintCategory {
        self.0.category
    }
    /// As staff classified it (R-CLS-1..3).
    async fn severity(&self) -> Severity {
        self.0.severity
    }
    /// The highest severity the complaint ever had; closure needs the approvals of this one
    /// (R-ESC-4).
    async fn highest_severity(&self) -> Severity {
        self.0.max_severity
    }
    /// What the customer or partner asked for when filing; staff classify (R-CLS-3).
    async fn claimed_severity(&self) -> Option<Severity> {
        self.0.claimed_severity
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn customer_id(&self) -> ID {
        id(self.0.customer_id)
    }
    async fn repair_order_id(&self) -> Option<ID> {
        self.0.repair_order_id.map(id)
    }
    async fn service_centre_id(&self) -> ID {
        id(self.0.service_centre_id)
    }
    #[graphql(guard = "RoleGuard(INTERNAL_READERS)")]
    async fn owner_id(&self) -> Option<ID> {
        self.0.owner_id.map(id)
    }
    /// 1 agent, 2 supervisor/manager, 3 top level.
    async fn escalation_level(&self) -> i32 {
        i32::from(self.0.escalation_level)
    }
    async fn acknowledged_at(&self) -> Option<DateTime<Utc>> {
        self.0.acknowledged_at
    }
    async fn promised_resolution_at(&self) -> Option<DateTime<Utc>> {
        self.0.promised_resolution_at
    }
    async fn next_contact_at(&self) -> Option<DateTime<Utc>> {
        self.0.next_contact_at
    }
    /// Deprecated summary of `slaClocks`.
    #[graphql(deprecation = "read slaClocks: every clock, cycle, pause and breach")]
    async fn deadlines(&self, ctx: &Context<'_>) -> Result<ComplaintDeadlines> {
        use entity::sla_policies::SlaMetric::*;
        let due = |metric| sla::latest(ctx, TicketKind::Complaint, self.0.id, metric);
        let (first, update, solution, resolution) = tokio::try_join!(
            due(FirstResponse),
            due(ProgressUpdate),
            due(Solution),
            due(Resolution)
        )?;
        let next_deadline = [&first, &update, &solution, &resolution]
            .into_iter()
            .flatten()
            .filter(|c| c.met_at.is_none() && c.stopped_at.is_none() && c.paused_since.is_none())
            .map(|c| c.due_at)
            .min();
        let at = |c: Option<entity::sla_clocks::Model>| c.map(|c| c.due_at);
        Ok(ComplaintDeadlines {
            first_response_due: at(first),
            next_update_due: at(update),
            solution_due: at(solution),
            resolution_due: at(resolution),
            next_deadline,
        })
    }
    /// Every time limit of the complaint, each cycle of the repeating update clock included
    /// (R-SLA-3..6, R-SLA-12).
    async fn sla_clocks(&self, ctx: &Context<'_>) -> Result<Vec<sla::SlaClock>> {
        sla::clocks_of(ctx, TicketKind::Complaint, self.0.id).await
    }
    /// Photos and videos on the complaint, oldest first, each with a short-lived download URL
    /// (`attachUploads` adds them). Whoever sees the complaint sees them.
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<super::attachments::Attachment>> {
        super::attachments::of_ticket(
            ctx,
            crate::services::attachments::Viewed::Complaint(&self.0),
        )
        .await
    }
    #[graphql(guard = "RoleGuard(INTERNAL_READERS)")]
    async fn cause(&self) -> Option<&str> {
        self.0.cause.as_deref()
    }
    #[graphql(guard = "RoleGuard(INTERNAL_READERS)")]
    async fn responsible_party(&self) -> Option<&str> {
        self.0.responsible_party.as_deref()
    }
    #[graphql(guard = "RoleGuard(INTERNAL_READERS)")]
    async fn justified(&self) -> Option<bool> {
        self.0.justified
    }
    async fn resolution(&self) -> Option<&str> {
        self.0.resolution.as_deref()
    }
    async fn compensation_amount(&self) -> Option<Decimal> {
        self.0.compensation_amount.map(money)
    }
    async fn compensation_approved(&self) -> bool {
        self.0.compensation_approved_by.is_some()
    }
    async fn supervisor_approved(&self) -> bool {
        self.0.supervisor_approved_by.is_some()
    }
    async fn top_level_approved(&self) -> bool {
        self.0.top_approved_by.is_some()
    }
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved_at
    }
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    #[graphql(guard = "RoleGuard(INTERNAL_READERS)")]
    async fn escalations(&self, ctx: &Context<'_>) -> Result<Vec<Escalation>> {
        let rows = loaders(ctx)?
            .load_one(EscalationsKey(TicketKind::Complaint, self.0.id))
            .await?
            .unwrap_or_default();
        Ok(rows.iter().cloned().map(Escalation::from).collect())
    }
    /// The full timeline for staff; public entries only for partners. The clocks' own entries
    /// (`SLA_STARTED`, `SLA_WARNING`, …, staff only) only with `sla: true`.
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] sla: bool,
    ) -> Result<Vec<TimelineEvent>> {
        let internal = sees_internals(super::principal(ctx));
        let rows = loaders(ctx)?
            .load_one(ComplaintEventsKey(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(rows
            .iter()
            .filter(|e| internal || e.public)
            .filter(|e| sla || !crate::domain::sla::transitions::is_clock_event(&e.action))
            .cloned()
            .map(TimelineEvent::from)
            .collect())
    }
}

/// What a customer sees of a complaint (R-CMP-2, R-PRV-2): status, public timeline, promised
/// and next contact times, who handles it with a masked contact, the level in plain words.
pub struct ComplaintTracking(pub complaints::Model);

#[derive(SimpleObject)]
pub struct Handler {
    name: String,
    phone: Option<String>,
}

#[Object]
impl ComplaintTracking {
    async fn number(&self) -> &str {
        &self.0.number
    }
    async fn status(&self) -> ComplaintStatus {
        self.0.status
    }
    async fn category(&self) -> ComplaintCategory {
        self.0.category
    }
    async fn received_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn promised_resolution_at(&self) -> Option<DateTime<Utc>> {
        self.0.promised_resolution_at
    }
    async fn next_contact_at(&self) -> Option<DateTime<Utc>> {
        self.0.next_contact_at
    }
    async fn resolution(&self) -> Option<&str> {
        self.0.resolution.as_deref()
    }
    /// e.g. "handled by the customer-service manager".
    async fn handled_at(&self) -> &'static str {
        level_words(self.0.escalation_level)
    }
    /// What is promised and by when: first reply, next update, resolution.
    async fn sla_clocks(&self, ctx: &Context<'_>) -> Result<Vec<sla::SlaClock>> {
        sla::clocks_of(ctx, TicketKind::Complaint, self.0.id).await
    }
    /// Photos and videos on the complaint, with short-lived download URLs: for its customer
    /// (`myComplaints`, `complaint`); always empty in `trackComplaint`, which has no caller.
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<super::attachments::Attachment>> {
        super::attachments::of_ticket(
            ctx,
            crate::services::attachments::Viewed::Complaint(&self.0),
        )
        .await
    }
    async fn handler(&self, ctx: &Context<'_>) -> Result<Option<Handler>> {
        let Some(owner) = self.0.owner_id else {
            return Ok(None);
        };
        let user = loaders(ctx)?
            .load_one(UserKey(owner))
            .await?
            .ok_or_else(|| ApiError::Internal(format!("user {owner} missing")))?;
        Ok(Some(Handler {
            name: user.name.clone(),
            phone: user.phone.as_deref().map(mask_phone),
        }))
    }
    async fn timeline(&self, ctx: &Context<'_>) -> Result<Vec<TimelineEvent>> {
        let rows = loaders(ctx)?
            .load_one(ComplaintEventsKey(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(rows
            .iter()
            .filter(|e| e.public)
            .cloned()
            .map(|mut e| {
                e.actor_role = public_actor(&e.actor_role);
                TimelineEvent::from(e)
            })
            .collect())
    }
}

/// Customers see "customer" or "service team", not internal roles.
fn public_actor(role: &str) -> String {
    if role == "CUSTOMER" {
        "CUSTOMER"
    } else {
        "SERVICE_TEAM"
    }
    .to_owned()
}

#[derive(InputObject)]
pub struct FileComplaintInput {
    /// Required for staff and partners; customers file for themselves. Staff act for the
    /// customers of their own centre only.
    customer_id: Option<ID>,
    /// An order of the customer that the caller can see.
    repair_order_id: Option<ID>,
    /// Staff file into their own centre; customers and partners into the customer's (the
    /// order's, else the customer's home centre).
    service_centre_id: Option<ID>,
    /// Staff and partners say how the customer complained; customers' are APP.
    channel: Option<ComplaintChannel>,
    category: ComplaintCategory,
    /// Defaults to GENERAL; PROPERTY_DAMAGE and INJURY are at least SERIOUS. Staff classify:
    /// from customers and partners it is recorded as `claimedSeverity` only (R-CLS-3).
    severity: Option<Severity>,
    description: String,
    /// Your own id for the complaint (1–100 characters), unique for you (a partner: for the
    /// organization): filing again with it returns the first complaint instead of a second.
    external_reference: Option<String>,
}

#[derive(InputObject, Default)]
pub struct ComplaintFilter {
    status: Option<Vec<ComplaintStatus>>,
    severity: Option<Vec<Severity>>,
    /// Complaints with a clock running past its due time.
    overdue: Option<bool>,
    /// The complaint filed with this `externalReference`.
    external_reference: Option<String>,
    /// Changed (any field, a new timeline entry) at or after.
    updated_since: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct ComplaintQuery;

#[Object]
impl ComplaintQuery {
    /// A complaint for staff (their centre) and partners (their organization).
    #[graphql(guard = "RoleGuard(&[Role::Agent, Role::Supervisor, Role::Partner])")]
    async fn complaint_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Complaint> {
        let env = env(ctx)?;
        Ok(Complaint(service::get(&env, key(&id, "complaint")?).await?))
    }

    /// The centre's complaints (agents, supervisors) or the organization's (partners), newest
    /// first unless `orderBy` says otherwise.
    #[graphql(
        guard = "RoleGuard(&[Role::Agent, Role::Supervisor, Role::Partner])",
        complexity = "crate::graphql::pagination::page_cost(first, child_complexity)"
    )]
    async fn complaints(
        &self,
        ctx: &Context<'_>,
        filter: Option<ComplaintFilter>,
        order_by: Option<TicketOrder>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<KeysetConnection<Complaint>> {
        let env = env(ctx)?;
        let scope = match env.actor {
            Principal::Partner {
                organization_id, ..
            } => Scope::Organization(*organization_id),
            Principal::User(user) => {
                Scope::ServiceCentre(user.service_centre_id.ok_or(ApiError::Forbidden)?)
            }
            Principal::Anonymous => return Err(ApiError::Unauthenticated.into()),
        };
        let filter = filter.unwrap_or_default();
        let filter = ListFilter {
            statuses: filter.status.unwrap_or_default(),
            severities: filter.severity.unwrap_or_default(),
            overdue: filter.overdue,
            external_reference: filter.external_reference,
            updated_since: filter.updated_since,
            order: order_by.unwrap_or_default().into(),
        };
        let page = PageRequest::parse(first, after)?;
        let rows = crate::store::complaints::list(
            env.db,
            scope,
            &filter,
            page.after,
            page.limit(),
            env.now,
        )
        .await?;
        let order = filter.order;
        Ok(page.connection(
            rows,
            |row| order.position(row.created_at, row.updated_at, row.id),
            Complaint,
        ))
    }

    /// Escalations of the supervisor's centre routed to `target` that nobody has taken yet,
    /// oldest first, for tickets of every kind (R-ESC-1, R-ESC-2). By default (the
    /// `escalationRoutes` policy) level 2 goes to the centre's supervisors (SERIOUS complaints
    /// at once, missed clocks) and level 3 to the top level (MAJOR complaints, a second missed
    /// period), whose inbox only top-level supervisors read. Defaults to the caller's own
    /// inbox.
    #[graphql(guard = "RoleGuard(&[Role::Supervisor])")]
    async fn escalation_inbox(
        &self,
        ctx: &Context<'_>,
        target: Option<EscalationTarget>,
    ) -> Result<Vec<Escalation>> {
        let env = env(ctx)?;
        let user = crate::store::users::get(env.db, env.actor.user()?.id).await?;
        let centre = user.service_centre_id.ok_or(ApiError::Forbidden)?;
        let target = target.unwrap_or(if user.top_level {
            EscalationTarget::TopLevel
        } else {
            EscalationTarget::CentreSupervisors
        });
        if !crate::domain::sla::reads_inbox(user.top_level, target) {
            return Err(ApiError::Forbidden.into());
        }
        let rows = crate::store::escalations::inbox(env.db, centre, target).await?;
        Ok(rows.into_iter().map(Escalation::from).collect())
    }

    /// R-CLS-1: the daily reports of the GENERAL complaints the supervisor's centre received,
    /// newest day first (the last `days`, 1–90, default 7), written after each local day.
    #[graphql(guard = "RoleGuard(&[Role::Supervisor])")]
    async fn general_complaint_digests(
        &self,
        ctx: &Context<'_>,
        days: Option<i32>,
    ) -> Result<Vec<ManagerDigest>> {
        let env = env(ctx)?;
        let centre = env.actor.centre()?;
        let days = match days {
            None => 7,
            Some(days @ 1..=90) => days.unsigned_abs().into(),
            Some(_) => return Err(ApiError::bad_input("days", "from 1 to 90").into()),
        };
        let rows = crate::store::digests::of_centre(env.db, centre, days).await?;
        Ok(rows.into_iter().map(ManagerDigest::from).collect())
    }

    /// The customer's own complaints, newest first.
    #[graphql(guard = "RoleGuard(&[Role::Customer])")]
    async fn my_complaints(&self, ctx: &Context<'_>) -> Result<Vec<ComplaintTracking>> {
        let env = env(ctx)?;
        let rows = crate::store::complaints::of_customer(env.db, env.actor.user()?.id, 100).await?;
        Ok(rows.into_iter().map(ComplaintTracking).collect())
    }

    /// Status of a complaint without an account: its number and the customer's phone. A wrong
    /// number and a wrong phone look the same; lookups are rate-limited per client address.
    async fn track_complaint(
        &self,
        ctx: &Context<'_>,
        number: String,
        phone: String,
    ) -> Result<ComplaintTracking> {
        let services = super::services(ctx)?;
        if let Ok(ClientIp(ip)) = ctx.data::<ClientIp>() {
            services
                .track_limiter
                .check_key(ip)
                .map_err(|not_until| ApiError::rate_limited(&not_until))?;
        }
        let not_found = || ApiError::NotFound("complaint");
        let (found, customer) =
            crate::store::complaints::find_by_number_with_customer(&services.db, number.trim())
                .await?
                .ok_or_else(not_found)?;
        let wanted = digits(&phone);
        let matches = !wanted.is_empty() && customer.phone.as_deref().map(digits) == Some(wanted);
        if matches {
            Ok(ComplaintTracking(found))
        } else {
            Err(not_found().into())
        }
    }

    /// One of the customer's own complaints by its number.
    #[graphql(guard = "RoleGuard(&[Role::Customer])")]
    async fn complaint(&self, ctx: &Context<'_>, number: String) -> Result<ComplaintTracking> {
        let env = env(ctx)?;
        let found = crate::store::complaints::find_by_number(env.db, number.trim())
            .await?
            .filter(|c| service::is_owner_customer(env.actor, c))
            .ok_or(ApiError::NotFound("complaint"))?;
        Ok(ComplaintTracking(found))
    }
}

/// Digits only, so `138-1234-5678` and `13812345678` match.
fn digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

#[derive(Default)]
pub struct ComplaintMutation;

#[Object]
impl ComplaintMutation {
    /// R-CMP-1: customers (app), agents and supervisors (any channel) and partners file.
    async fn file_complaint(
        &self,
        ctx: &Context<'_>,
        input: FileComplaintInput,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let filed = service::file(
            &env,
            service::FileComplaint {
                customer_id: input.customer_id.map(|c| key(&c, "customer")).transpose()?,
                repair_order_id: input
                    .repair_order_id
                    .map(|r| key(&r, "repair order"))
                    .transpose()?,
                service_centre_id: input
                    .service_centre_id
                    .map(|c| key(&c, "service centre"))
                    .transpose()?,
                channel: input.channel,
                category: input.category,
                severity: input.severity,
                external_reference: input.external_reference,
                description: input.description,
            },
        )
        .await?;
        Ok(Complaint(filed))
    }

    /// R-CMP-2: promised handling time and next contact time are required.
    async fn acknowledge_complaint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        promised_resolution_at: DateTime<Utc>,
        next_contact_at: DateTime<Utc>,
        message: Option<String>,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, "complaint")?;
        Ok(Complaint(
            service::acknowledge(
                &env,
                id,
                version,
                promised_resolution_at,
                next_contact_at,
                message,
            )
            .await?,
        ))
    }

    /// R-SLA-3: a public update to the customer; restarts the 24 h update clock.
    async fn post_progress_update(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        message: String,
        next_contact_at: DateTime<Utc>,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, "complaint")?;
        Ok(Complaint(
            service::post_update(&env, id, version, message, next_contact_at).await?,
        ))
    }

    /// R-CMP-3: cause, responsible party, justified.
    async fn record_investigation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        cause: String,
        responsible_party: String,
        justified: bool,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, "complaint")?;
        let input = service::Investigation {
            cause,
            responsible_party,
            justified,
        };
        Ok(Complaint(
            service::investigate(&env, id, version, input).await?,
        ))
    }

    /// Raising the severity is any handler's call; lowering it needs a supervisor, and from
    /// MAJOR a top-level one (R-CLS-2/3). Closure still needs the approvals of the highest
    /// severity the complaint had (R-ESC-4).
    async fn reclassify_complaint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        category: Option<ComplaintCategory>,
        severity: Option<Severity>,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, "complaint")?;
        Ok(Complaint(
            service::reclassify(&env, id, version, category, severity).await?,
        ))
    }

    /// R-ESC-5: agents up to the configured limit, supervisors above it.
    async fn approve_compensation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        amount: Decimal,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, "complaint")?;
        Ok(Complaint(
            service::approve_compensation(&env, id, version, amount).await?,
        ))
    }

    /// Compensation, if any, must have been approved at exactly this amount.
    async fn resolve_complaint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        resolution: String,
        compensation: Option<Decimal>,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, "complaint")?;
        Ok(Complaint(
            service::resolve(&env, id, version, resolution, compensation).await?,
        ))
    }

    async fn reopen_complaint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        reason: String,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, "complaint")?;
        Ok(Complaint(service::reopen(&env, id, version, reason).await?))
    }

    /// R-ESC-4: supervisor's approval; a top-level supervisor's for SERIOUS and MAJOR.
    async fn approve_complaint_closure(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, "complaint")?;
        Ok(Complaint(
            service::approve_closure(&env, id, version).await?,
        ))
    }

    async fn close_complaint(&self, ctx: &Context<'_>, id: ID, version: i32) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, "complaint")?;
        Ok(Complaint(service::close(&env, id, version).await?))
    }

    /// R-ESC-3: by hand, with a reason, one level up.
    async fn escalate_complaint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        reason: String,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, "complaint")?;
        Ok(Complaint(
            service::escalate(&env, id, version, reason).await?,
        ))
    }

    /// A supervisor takes an escalation out of the inbox.
    #[graphql(guard = "RoleGuard(&[Role::Supervisor])")]
    async fn acknowledge_escalation(&self, ctx: &Context<'_>, id: ID) -> Result<Escalation> {
        let env = env(ctx)?;
        let user = crate::store::users::get(env.db, env.actor.user()?.id).await?;
        // Only escalations of the supervisor's centre, from an inbox they read.
        let escalation = crate::store::escalations::find(env.db, key(&id, "escalation")?)
            .await?
            .filter(|e| Some(e.service_centre_id) == user.service_centre_id)
            .ok_or(ApiError::NotFound("escalation"))?;
        if !crate::domain::sla::reads_inbox(user.top_level, escalation.target) {
            return Err(ApiError::Forbidden.into());
        }
        let acknowledged = crate::store::escalations::acknowledge(
            env.db,
            escalation,
            env.actor.user()?.id,
            env.now,
        )
        .await?;
        Ok(acknowledged.into())
    }

    /// R-CMP-8: a SERIOUS or MAJOR complaint handed to the police or an insurer (agents,
    /// supervisors). The resolution and solution clocks pause; the 24 h progress updates go on.
    async fn open_external_case(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        authority: String,
        reference: String,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, "complaint")?;
        Ok(Complaint(
            service::open_external_case(&env, id, version, authority, reference).await?,
        ))
    }

    /// The external case is over: back to INVESTIGATING, the paused clocks run again.
    async fn close_external_case(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        outcome: String,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, "complaint")?;
        Ok(Complaint(
            service::close_external_case(&env, id, version, outcome).await?,
        ))
    }

    /// Supervisors hand a complaint to another agent or supervisor of the centre.
    #[graphql(guard = "RoleGuard(&[Role::Supervisor])")]
    async fn reassign_complaint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        owner_id: ID,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, "complaint")?;
        let owner = key(&owner_id, "user")?;
        Ok(Complaint(
            service::reassign(&env, id, version, owner).await?,
        ))
    }
}
