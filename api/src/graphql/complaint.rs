//! Complaints over GraphQL: staff work on `Complaint`; customers (and anyone with the number
//! and phone) see `ComplaintTracking`, which has nothing internal in it.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::complaints::{
    self, ComplaintCategory, ComplaintChannel, ComplaintStatus, ResultRating, Severity,
};
use entity::escalation_routes::EscalationTarget;
use entity::ticket_events::TicketKind;
use entity::users::Role;
use rust_decimal::Decimal;

use super::loaders::{ComplaintEventsKey, EscalationsKey, UserKey, loaders};
use super::pagination::{KeysetConnection, PageRequest, TicketOrder};
use super::repair::TimelineEvent;
use super::scalars::{NodeType, id, key};
use super::sla;
use super::{ClientIp, RoleGuard, env};
use crate::domain::complaint::{
    INTERNAL_READERS, level_words, sees_complainant, sees_internals, severity_words,
};
use crate::domain::identity::Principal;
use crate::domain::masking::mask_phone;
use crate::domain::money::money;
use crate::domain::phone::Phone;
use crate::error::ApiError;
use crate::services::complaints as service;
use crate::store::complaints::{ListFilter, Scope};

/// A complaint as staff and partners work on it; customers get `ComplaintTracking`, or, from
/// `fileComplaint`, this type without its internal fields.
pub struct Complaint(pub complaints::Model);

/// The due times of the latest cycle of each clock (a summary of `slaClocks`).
#[derive(SimpleObject)]
pub struct ComplaintDeadlines {
    /// Due time of the first reply (R-SLA-6).
    first_response_due: Option<DateTime<Utc>>,
    /// Due time of the next progress update (R-SLA-3).
    next_update_due: Option<DateTime<Utc>>,
    /// Due time of the cause and proposed solution (R-SLA-5).
    solution_due: Option<DateTime<Utc>>,
    /// Due time of the resolution (R-SLA-4, R-SLA-12).
    resolution_due: Option<DateTime<Utc>>,
    /// The earliest due time of a clock still running.
    next_deadline: Option<DateTime<Utc>>,
}

/// A ticket moved up a level (1 agent, 2 centre supervisors, 3 top level): by a missed clock
/// (R-ESC-2), by hand (R-ESC-3) or by a (re)classification (R-ESC-1). Staff only.
#[derive(SimpleObject)]
pub struct Escalation {
    /// The escalation's id, for `acknowledgeEscalation`.
    #[graphql(owned)]
    pub(crate) id: ID,
    /// The kind of the escalated ticket.
    ticket_kind: TicketKind,
    /// The escalated ticket's id.
    ticket_id: ID,
    /// The level before (1–3).
    from_level: i32,
    /// The level after (2–3).
    to_level: i32,
    /// Why, in words (the missed clock, or the reason given by hand).
    reason: String,
    /// True when the SLA sweeper raised it for a missed clock.
    automatic: bool,
    /// The missed clock's metric (e.g. `RESOLUTION`); null for one by hand or by classification.
    deadline_kind: Option<String>,
    /// Whose inbox it went to (R-ESC-1).
    target: EscalationTarget,
    /// When it was raised (RFC 3339, UTC).
    created_at: DateTime<Utc>,
    /// When a supervisor took it out of the inbox; null while it waits.
    acknowledged_at: Option<DateTime<Utc>>,
}

impl From<entity::escalations::Model> for Escalation {
    fn from(e: entity::escalations::Model) -> Self {
        Self {
            id: id(NodeType::Escalation, e.id),
            ticket_kind: e.ticket_kind,
            ticket_id: id(NodeType::of_ticket(e.ticket_kind), e.ticket_id),
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

/// A staff member got `STAFF_COMPLAINT_ALERT` (3) valid, service-caused complaints in one
/// calendar month of the centre (R-CMP-9): in the centre supervisors' inbox until one of them
/// acknowledges it.
#[derive(SimpleObject)]
pub struct StaffComplaintAlert {
    /// The alert's id, for `acknowledgeStaffComplaintAlert`.
    id: ID,
    /// The staff member the complaints are about (R-CMP-12).
    staff_member_id: ID,
    /// The centre's local month, `YYYY-MM`.
    month: String,
    /// Valid, service-caused complaints of that month when the alert was raised.
    complaint_count: i32,
    /// The complaint whose verification raised it.
    complaint_id: ID,
    /// When it was raised (RFC 3339, UTC).
    created_at: DateTime<Utc>,
    /// When a supervisor acknowledged it; null while it waits.
    acknowledged_at: Option<DateTime<Utc>>,
}

impl From<entity::staff_complaint_alerts::Model> for StaffComplaintAlert {
    fn from(a: entity::staff_complaint_alerts::Model) -> Self {
        Self {
            id: id(NodeType::StaffComplaintAlert, a.id),
            staff_member_id: id(NodeType::User, a.staff_member_id),
            month: a.month,
            complaint_count: a.complaint_count,
            complaint_id: id(NodeType::Complaint, a.complaint_id),
            created_at: a.created_at,
            acknowledged_at: a.acknowledged_at,
        }
    }
}

/// One centre's GENERAL complaints of one local day, reported to the manager (R-CLS-1).
#[derive(SimpleObject)]
pub struct ManagerDigest {
    /// The centre's local day it covers.
    day: chrono::NaiveDate,
    /// GENERAL complaints received that day.
    general_complaints: i32,
    /// Of those, not yet resolved when the digest was written (after the day ended).
    still_open: i32,
    /// Their numbers, at most the first 500 of the day.
    numbers: Vec<String>,
    /// When it was written (RFC 3339, UTC).
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

/// A complaint as staff and partners work on it (R-CMP-1). Agents and supervisors see their
/// centre's, partners their organization's customers'; internal fields are `FORBIDDEN` to
/// partners and customers. Customers follow theirs as `ComplaintTracking`.
#[Object]
impl Complaint {
    /// The complaint's id (opaque global id, `Node`).
    pub(crate) async fn id(&self) -> ID {
        id(NodeType::Complaint, self.0.id)
    }
    /// e.g. `CP-20261122-000042`.
    async fn number(&self) -> &str {
        &self.0.number
    }
    /// The filing client's own id for it (`FileComplaintInput.externalReference`).
    async fn external_reference(&self) -> Option<&str> {
        self.0.external_reference.as_deref()
    }
    /// Where the complaint is in its flow.
    async fn status(&self) -> ComplaintStatus {
        self.0.status
    }
    /// How the customer complained (R-CMP-1).
    async fn channel(&self) -> ComplaintChannel {
        self.0.channel
    }
    /// What it is about.
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
    /// The customer's complaint in their words.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// The complaining customer; null when they asked for anonymity and the caller is not a
    /// supervisor other than the staff member complained about (R-PRV-10).
    async fn customer_id(&self, ctx: &Context<'_>) -> Option<ID> {
        sees_complainant(super::principal(ctx), &self.0)
            .then(|| id(NodeType::User, self.0.customer_id))
    }
    /// The repair order it is about; null when none, or when it would name an anonymous
    /// complainant to the caller (R-PRV-10).
    async fn repair_order_id(&self, ctx: &Context<'_>) -> Option<ID> {
        if !sees_complainant(super::principal(ctx), &self.0) {
            return None;
        }
        self.0.repair_order_id.map(|k| id(NodeType::RepairOrder, k))
    }
    /// The complainant asked that their identity be kept from the staff member complained
    /// about and from everyone who is not a supervisor (R-PRV-10).
    async fn anonymous(&self) -> bool {
        self.0.anonymous
    }
    /// The order the case is about (R-CMP-10); null when none was given, or when it would name
    /// an anonymous complainant to the caller (R-PRV-10).
    async fn order_number(&self, ctx: &Context<'_>) -> Option<&str> {
        if !sees_complainant(super::principal(ctx), &self.0) {
            return None;
        }
        self.0.order_number.as_deref()
    }
    /// When the product was bought (R-CMP-10); null when unknown.
    async fn purchase_date(&self) -> Option<chrono::NaiveDate> {
        self.0.purchase_date
    }
    /// What the customer asks for (R-CMP-10); null when not recorded.
    async fn customer_request(&self) -> Option<&str> {
        self.0.customer_request.as_deref()
    }
    /// The earlier complaint about the same event (same order or same complaint); such a
    /// complaint is at least SERIOUS (R-CLS-4). Null when none.
    async fn repeat_of_id(&self) -> Option<ID> {
        self.0.repeat_of_id.map(|k| id(NodeType::Complaint, k))
    }
    /// The customer also complained to a regulator or the 12315 consumer hotline: MAJOR
    /// (R-CLS-4).
    async fn regulator_complaint(&self) -> bool {
        self.0.regulator_complaint
    }
    /// The matter was exposed in the media: MAJOR (R-CLS-3).
    async fn media_exposure(&self) -> bool {
        self.0.media_exposure
    }
    /// A government body penalised the company for it: MAJOR (R-CLS-3).
    async fn government_penalty(&self) -> bool {
        self.0.government_penalty
    }
    /// The staff member the complaint is about, not who received it (R-CMP-12); null when
    /// none was named. Staff only (`FORBIDDEN` for customers and partners).
    #[graphql(guard = "RoleGuard(INTERNAL_READERS)")]
    async fn staff_member_id(&self) -> Option<ID> {
        self.0.staff_member_id.map(|k| id(NodeType::User, k))
    }
    /// The verification found it valid (R-CMP-9); null before `verifyComplaint`. Staff only
    /// (`FORBIDDEN` for customers and partners).
    #[graphql(guard = "RoleGuard(INTERNAL_READERS)")]
    async fn valid(&self) -> Option<bool> {
        self.0.valid
    }
    /// The verification found the service caused it (R-CMP-9); null before. Staff only
    /// (`FORBIDDEN` for customers and partners).
    #[graphql(guard = "RoleGuard(INTERNAL_READERS)")]
    async fn service_caused(&self) -> Option<bool> {
        self.0.service_caused
    }
    /// When it was verified (R-CMP-9); null before. Staff only (`FORBIDDEN` for customers and
    /// partners).
    #[graphql(guard = "RoleGuard(INTERNAL_READERS)")]
    async fn verified_at(&self) -> Option<DateTime<Utc>> {
        self.0.verified_at
    }
    /// Why it was not upheld, as the customer was told (R-CMP-11); null unless REJECTED.
    async fn rejection_reason(&self) -> Option<&str> {
        self.0.rejection_reason.as_deref()
    }
    /// When it was rejected (R-CMP-11); null unless REJECTED.
    async fn rejected_at(&self) -> Option<DateTime<Utc>> {
        self.0.rejected_at
    }
    /// The customer's rating of the latest resolution (R-CMP-13); null before they rated it,
    /// and again after a new resolution.
    async fn result_rating(&self) -> Option<ResultRating> {
        self.0.result_rating
    }
    /// The centre that handles it.
    async fn service_centre_id(&self) -> ID {
        id(NodeType::ServiceCentre, self.0.service_centre_id)
    }
    /// Who holds it now (the acknowledging agent, or whom a supervisor reassigned it to); null
    /// before anyone took it. Staff only (`FORBIDDEN` for customers and partners).
    #[graphql(guard = "RoleGuard(INTERNAL_READERS)")]
    async fn owner_id(&self) -> Option<ID> {
        self.0.owner_id.map(|k| id(NodeType::User, k))
    }
    /// 1 agent, 2 supervisor/manager, 3 top level.
    async fn escalation_level(&self) -> i32 {
        i32::from(self.0.escalation_level)
    }
    /// When it was acknowledged (R-CMP-2); null before.
    async fn acknowledged_at(&self) -> Option<DateTime<Utc>> {
        self.0.acknowledged_at
    }
    /// The resolution time promised to the customer at acknowledgement (R-CMP-2).
    async fn promised_resolution_at(&self) -> Option<DateTime<Utc>> {
        self.0.promised_resolution_at
    }
    /// When the customer will hear from the service next, as last promised (R-CMP-2, R-SLA-3).
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
    /// The cause the investigation found (R-CMP-3). Staff only (`FORBIDDEN` for customers
    /// and partners).
    #[graphql(guard = "RoleGuard(INTERNAL_READERS)")]
    async fn cause(&self) -> Option<&str> {
        self.0.cause.as_deref()
    }
    /// Who was responsible, as the investigation found (R-CMP-3). Staff only (`FORBIDDEN` for
    /// customers and partners).
    #[graphql(guard = "RoleGuard(INTERNAL_READERS)")]
    async fn responsible_party(&self) -> Option<&str> {
        self.0.responsible_party.as_deref()
    }
    /// Whether the complaint was found justified (R-CMP-3). Staff only (`FORBIDDEN` for
    /// customers and partners).
    #[graphql(guard = "RoleGuard(INTERNAL_READERS)")]
    async fn justified(&self) -> Option<bool> {
        self.0.justified
    }
    /// The resolution told to the customer; null before `resolveComplaint`.
    async fn resolution(&self) -> Option<&str> {
        self.0.resolution.as_deref()
    }
    /// Compensation approved or paid, as a decimal string with 2 decimals (e.g. `"120.00"`); null
    /// when none.
    async fn compensation_amount(&self) -> Option<Decimal> {
        self.0.compensation_amount.map(money)
    }
    /// Whether the compensation amount was approved (R-ESC-5).
    async fn compensation_approved(&self) -> bool {
        self.0.compensation_approved_by.is_some()
    }
    /// The solution proposed for approval (`proposeSolution`, R-ESC-5); null before. Staff only
    /// (`FORBIDDEN` for customers and partners): the customer is told the approved result.
    #[graphql(guard = "RoleGuard(INTERNAL_READERS)")]
    async fn proposed_solution(&self) -> Option<&str> {
        self.0.proposed_solution.as_deref()
    }
    /// Whether the proposed solution was approved, by the top level or a delegated supervisor
    /// (R-ESC-5).
    async fn solution_approved(&self) -> bool {
        self.0.solution_approved_by.is_some()
    }
    /// Goodwill compensation for a major client, authorised by the top level (R-ESC-7), as a
    /// decimal string with 2 decimals; null when none.
    async fn goodwill_amount(&self) -> Option<Decimal> {
        self.0.goodwill_amount.map(money)
    }
    /// Whether a supervisor approved the closure (R-ESC-4).
    async fn supervisor_approved(&self) -> bool {
        self.0.supervisor_approved_by.is_some()
    }
    /// Whether a top-level supervisor approved the closure, needed once it was ever SERIOUS or
    /// MAJOR (R-ESC-4).
    async fn top_level_approved(&self) -> bool {
        self.0.top_approved_by.is_some()
    }
    /// When it was resolved; null before (and again after a reopening).
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved_at
    }
    /// When it was closed; null before.
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }
    /// Increases with every change; send it back with the next change (a stale one is `CONFLICT`).
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// The satisfaction survey issued when the complaint closed; null before, or when the
    /// caller may not read it.
    async fn survey(&self, ctx: &Context<'_>) -> Result<Option<super::survey::Survey>> {
        super::survey::of_ticket(ctx, TicketKind::Complaint, self.0.id).await
    }
    /// When it was filed (RFC 3339, UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Its escalations, oldest first. Staff only (`FORBIDDEN` for customers and partners).
    #[graphql(guard = "RoleGuard(INTERNAL_READERS)")]
    async fn escalations(&self, ctx: &Context<'_>) -> Result<Vec<Escalation>> {
        let rows = loaders(ctx)?
            .load_one(EscalationsKey(TicketKind::Complaint, self.0.id))
            .await?
            .unwrap_or_default();
        Ok(rows.iter().cloned().map(Escalation::from).collect())
    }
    /// The inquiry this complaint was raised from (`convertInquiry`, R-SLA-11), if the caller
    /// sees it.
    async fn inquiry(&self, ctx: &Context<'_>) -> Result<Option<super::inquiry::Inquiry>> {
        let env = env(ctx)?;
        let found =
            crate::services::inquiries::converted_into(&env, TicketKind::Complaint, self.0.id)
                .await?;
        Ok(found.map(super::inquiry::Inquiry))
    }
    /// Follow-up cases opened for new needs raised on this complaint's return visits
    /// (R-CMP-7), oldest first; those the caller may see.
    async fn follow_ups(&self, ctx: &Context<'_>) -> Result<Vec<super::follow_ups::FollowUpCase>> {
        let (follow_ups, _) =
            super::follow_ups::links(ctx, TicketKind::Complaint, self.0.id).await?;
        Ok(follow_ups)
    }

    /// The case this complaint follows up, when it was opened on a return visit (R-CMP-7).
    async fn follow_up_of(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<super::follow_ups::FollowUpCase>> {
        let (_, of) = super::follow_ups::links(ctx, TicketKind::Complaint, self.0.id).await?;
        Ok(of)
    }

    /// The full timeline for staff; public entries only for partners. The clocks' own entries
    /// (`SLA_STARTED`, `SLA_WARNING`, …, staff only) only with `sla: true`.
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default = false,
            desc = "Include the SLA clocks' own entries (staff only)."
        )]
        sla: bool,
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

/// Who handles a complaint, as the customer may see them (R-PRV-2).
#[derive(SimpleObject)]
pub struct Handler {
    /// The handler's name.
    name: String,
    /// The handler's phone, masked (e.g. `138****5678`); null when none.
    phone: Option<String>,
}

/// What a customer, or anyone with the number and the customer's phone, sees of a complaint:
/// status, promised times, the public timeline and a masked handler contact (R-CMP-2,
/// R-PRV-2).
#[Object]
impl ComplaintTracking {
    /// The complaint's global id (the same a staff member sees): pass it with `version` to
    /// `reopenComplaint`, or to `node(id:)`.
    pub(crate) async fn id(&self) -> ID {
        id(NodeType::Complaint, self.0.id)
    }
    /// Pass it back with `reopenComplaint`; a stale one is a `CONFLICT` whose
    /// `extensions.currentVersion` is the version now.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// The complaint number, e.g. `CP-20261122-000042`.
    async fn number(&self) -> &str {
        &self.0.number
    }
    /// How serious the complaint was classified, in plain words for the customer.
    async fn severity(&self) -> &'static str {
        severity_words(self.0.severity)
    }
    /// The satisfaction survey to answer once the complaint is closed (R-CMP-4); null before.
    async fn survey(&self, ctx: &Context<'_>) -> Result<Option<super::survey::Survey>> {
        super::survey::of_ticket(ctx, TicketKind::Complaint, self.0.id).await
    }
    /// Where the complaint is in its flow.
    async fn status(&self) -> ComplaintStatus {
        self.0.status
    }
    /// What it is about.
    async fn category(&self) -> ComplaintCategory {
        self.0.category
    }
    /// When it was filed (RFC 3339, UTC).
    async fn received_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The resolution time promised at acknowledgement (R-CMP-2); null before.
    async fn promised_resolution_at(&self) -> Option<DateTime<Utc>> {
        self.0.promised_resolution_at
    }
    /// When the customer will hear from the service next (R-CMP-2, R-SLA-3); null before the
    /// acknowledgement.
    async fn next_contact_at(&self) -> Option<DateTime<Utc>> {
        self.0.next_contact_at
    }
    /// The resolution; null before it is resolved.
    async fn resolution(&self) -> Option<&str> {
        self.0.resolution.as_deref()
    }
    /// Why the complaint was not upheld (R-CMP-11); null unless REJECTED.
    async fn rejection_reason(&self) -> Option<&str> {
        self.0.rejection_reason.as_deref()
    }
    /// The order it is about, as recorded (R-CMP-10).
    async fn order_number(&self) -> Option<&str> {
        self.0.order_number.as_deref()
    }
    /// What you asked for, as recorded (R-CMP-10).
    async fn customer_request(&self) -> Option<&str> {
        self.0.customer_request.as_deref()
    }
    /// Your rating of the latest resolution (`rateComplaintResult`, R-CMP-13); null before.
    async fn result_rating(&self) -> Option<ResultRating> {
        self.0.result_rating
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
    /// Who handles it, with a masked phone; null before anyone took it.
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
    /// The inquiry this complaint was raised from (`convertInquiry`, R-SLA-11), if the caller
    /// sees it.
    async fn inquiry(&self, ctx: &Context<'_>) -> Result<Option<super::inquiry::Inquiry>> {
        let env = env(ctx)?;
        let found =
            crate::services::inquiries::converted_into(&env, TicketKind::Complaint, self.0.id)
                .await?;
        Ok(found.map(super::inquiry::Inquiry))
    }
    /// The public timeline entries, oldest first; actors are `CUSTOMER` or `SERVICE_TEAM`.
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

/// A complaint to file (R-CMP-1).
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
    /// What it is about; `PROPERTY_DAMAGE` and `INJURY` make it at least SERIOUS (R-CLS-2).
    category: ComplaintCategory,
    /// Defaults to GENERAL; PROPERTY_DAMAGE and INJURY are at least SERIOUS. Staff classify:
    /// from customers and partners it is recorded as `claimedSeverity` only (R-CLS-3).
    severity: Option<Severity>,
    /// The complaint in the customer's words (1–4,000 characters).
    description: String,
    /// Your own id for the complaint (1–100 characters), unique for you (a partner: for the
    /// organization): filing again with it returns the first complaint instead of a second.
    external_reference: Option<String>,
    /// An earlier complaint of the same customer about the same event: this one is at least
    /// SERIOUS (R-CLS-4). Without it, an earlier complaint about the same `repairOrderId` counts.
    repeat_of: Option<ID>,
    /// The customer also complained to a regulator or the 12315 hotline: MAJOR (R-CLS-4). Staff
    /// only (`BAD_USER_INPUT` from others).
    #[graphql(default)]
    regulator_complaint: bool,
    /// The matter was exposed in the media: MAJOR (R-CLS-3). Staff only.
    #[graphql(default)]
    media_exposure: bool,
    /// A government body penalised the company for it: MAJOR (R-CLS-3). Staff only.
    #[graphql(default)]
    government_penalty: bool,
    /// The technician, agent or supervisor of the centre the complaint is about (R-CMP-12).
    staff_member_id: Option<ID>,
    /// Keep the complainant's identity from the staff member complained about and from
    /// everyone who is not a supervisor (R-PRV-10).
    #[graphql(default)]
    anonymous: bool,
    /// The order the complaint is about as the customer names it (1–64 characters); defaults to
    /// the `repairOrderId`'s number (R-CMP-10).
    order_number: Option<String>,
    /// When the product was bought; defaults to the purchase date of the `repairOrderId`'s
    /// product (R-CMP-10).
    purchase_date: Option<chrono::NaiveDate>,
    /// What the customer asks for (1–2,000 characters) (R-CMP-10).
    customer_request: Option<String>,
    /// False: the staff member cannot handle the case on the spot (R-CMP-10), so `orderNumber`
    /// (or `repairOrderId`), `purchaseDate` (or `repairOrderId`) and `customerRequest` are
    /// required, each missing one a `BAD_USER_INPUT` naming it, all at once. Omitted or true:
    /// they stay optional.
    handled_on_the_spot: Option<bool>,
}

/// Facts recorded on a complaint that set its lowest severity (R-CLS-3/4); each unchanged when
/// omitted.
#[derive(InputObject)]
pub struct ComplaintFactsInput {
    /// The customer also complained to a regulator or the 12315 hotline: MAJOR (R-CLS-4).
    regulator_complaint: Option<bool>,
    /// The matter was exposed in the media: MAJOR (R-CLS-3).
    media_exposure: Option<bool>,
    /// A government body penalised the company for it: MAJOR (R-CLS-3).
    government_penalty: Option<bool>,
}

/// Narrows a complaint list; all given conditions must hold.
#[derive(InputObject, Default)]
pub struct ComplaintFilter {
    /// Any of these statuses.
    status: Option<Vec<ComplaintStatus>>,
    /// Any of these severities.
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
    /// `NOT_FOUND` when there is none or the caller may not see it; `FORBIDDEN` for other roles
    /// (customers use `complaint(number)`).
    #[graphql(guard = "RoleGuard(&[Role::Agent, Role::Supervisor, Role::Partner])")]
    async fn complaint_by_id(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint's id.")] id: ID,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        Ok(Complaint(
            service::get(&env, key(&id, NodeType::Complaint)?).await?,
        ))
    }

    /// The centre's complaints (agents, supervisors) or the organization's (partners), newest
    /// first unless `orderBy` says otherwise.
    /// `FORBIDDEN` for other roles; `BAD_USER_INPUT` for a bad `first` or `after`.
    #[graphql(
        guard = "RoleGuard(&[Role::Agent, Role::Supervisor, Role::Partner])",
        complexity = "crate::graphql::pagination::page_cost(first, child_complexity)"
    )]
    async fn complaints(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only complaints matching this filter.")] filter: Option<ComplaintFilter>,
        #[graphql(
            desc = "Sort order; newest report first by default. A cursor belongs to the order it came from."
        )]
        order_by: Option<TicketOrder>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; omit for the first page.")]
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
    /// Supervisors only (`FORBIDDEN` otherwise, also for another inbox than theirs).
    #[graphql(guard = "RoleGuard(&[Role::Supervisor])")]
    async fn escalation_inbox(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Which inbox: CENTRE_SUPERVISORS, or TOP_LEVEL (top-level supervisors only)."
        )]
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

    /// The daily reports of the GENERAL complaints the supervisor's centre received, for the
    /// customer-service manager (R-CLS-1): newest day first (the last `days`, 1–90, default 7),
    /// written after each local day.
    /// Supervisors only (`FORBIDDEN` otherwise); `BAD_USER_INPUT` for `days` out of range.
    #[graphql(guard = "RoleGuard(&[Role::Supervisor])")]
    async fn general_complaint_digests(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many days back, 1–90 (default 7).")] days: Option<i32>,
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

    /// The staff complaint alerts of the supervisor's centre nobody has acknowledged yet,
    /// oldest first (R-CMP-9). Supervisors only (`FORBIDDEN` otherwise).
    #[graphql(guard = "RoleGuard(&[Role::Supervisor])")]
    async fn staff_complaint_alerts(&self, ctx: &Context<'_>) -> Result<Vec<StaffComplaintAlert>> {
        let env = env(ctx)?;
        let rows = crate::store::staff_alerts::inbox(env.db, env.actor.centre()?).await?;
        Ok(rows.into_iter().map(StaffComplaintAlert::from).collect())
    }

    /// The customer's own complaints, newest first, a page at a time (`first` 1–100, default
    /// 20; `after` an `endCursor`). Customers only (`FORBIDDEN` otherwise).
    #[graphql(
        guard = "RoleGuard(&[Role::Customer])",
        complexity = "crate::graphql::pagination::page_cost(first, child_complexity)"
    )]
    async fn my_complaints(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<KeysetConnection<ComplaintTracking>> {
        let env = env(ctx)?;
        let page = PageRequest::parse(first, after)?;
        let rows = crate::store::complaints::of_customer(
            env.db,
            env.actor.user()?.id,
            page.after,
            page.limit(),
        )
        .await?;
        Ok(page.connection(rows, |row| (row.created_at, row.id), ComplaintTracking))
    }

    /// Status of a complaint without an account: its number and the customer's phone, in any
    /// common format (`+86 136 0000 0001`, `136-0000-0001`). A wrong number and a wrong phone
    /// look the same; lookups are rate-limited per client address.
    /// No account needed. `NOT_FOUND` for a wrong number or phone; `RATE_LIMITED` past
    /// `TRACK_RATE_PER_MINUTE` (10) lookups a minute per client address.
    async fn track_complaint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint number, e.g. `CP-20261122-000042`.")] number: String,
        #[graphql(desc = "The customer's phone; only its digits are compared.")] phone: String,
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
        // The same normalization as stored phones; a phone that is no number finds nothing,
        // like a wrong one.
        let region = services.settings.phone_region;
        let wanted = Phone::parse("phone", &phone, region).map_err(|_| not_found())?;
        let matches = customer
            .phone
            .as_deref()
            .and_then(|stored| Phone::parse("phone", stored, region).ok())
            == Some(wanted);
        if matches {
            Ok(ComplaintTracking(found))
        } else {
            Err(not_found().into())
        }
    }

    /// One of the customer's own complaints by its number.
    /// Customers only (`FORBIDDEN` otherwise); `NOT_FOUND` for a number that is not theirs.
    #[graphql(guard = "RoleGuard(&[Role::Customer])")]
    async fn complaint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint number, e.g. `CP-20261122-000042`.")] number: String,
    ) -> Result<ComplaintTracking> {
        let env = env(ctx)?;
        let found = crate::store::complaints::find_by_number(env.db, number.trim())
            .await?
            .filter(|c| service::is_owner_customer(env.actor, c))
            .ok_or(ApiError::NotFound("complaint"))?;
        Ok(ComplaintTracking(found))
    }
}

#[derive(Default)]
pub struct ComplaintMutation;

#[Object]
impl ComplaintMutation {
    /// Files a complaint with its time, content, complainant, channel and related order (R-CMP-1):
    /// customers (app), agents and supervisors (any channel) and partners. Severity is classified
    /// by staff (R-CLS-1..3): GENERAL starts at level 1, SERIOUS at level 2 in the supervisors'
    /// inbox at once, MAJOR at level 3 (R-ESC-1); the clocks start (first reply 24 h, R-SLA-6).
    /// `UNAUTHENTICATED` anonymously, `FORBIDDEN` for technicians and admins, `NOT_FOUND` for a
    /// customer or order the caller cannot act for, `BAD_USER_INPUT` for invalid fields.
    async fn file_complaint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint.")] input: FileComplaintInput,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let filed = service::file(
            &env,
            service::FileComplaint {
                customer_id: input
                    .customer_id
                    .map(|c| key(&c, NodeType::User))
                    .transpose()?,
                repair_order_id: input
                    .repair_order_id
                    .map(|r| key(&r, NodeType::RepairOrder))
                    .transpose()?,
                service_centre_id: input
                    .service_centre_id
                    .map(|c| key(&c, NodeType::ServiceCentre))
                    .transpose()?,
                channel: input.channel,
                category: input.category,
                severity: input.severity,
                external_reference: input.external_reference,
                description: input.description,
                details: service::ComplaintDetails {
                    repeat_of_id: input
                        .repeat_of
                        .map(|c| key(&c, NodeType::Complaint))
                        .transpose()?,
                    regulator_complaint: input.regulator_complaint,
                    media_exposure: input.media_exposure,
                    government_penalty: input.government_penalty,
                    staff_member_id: input
                        .staff_member_id
                        .map(|u| key(&u, NodeType::User))
                        .transpose()?,
                    anonymous: input.anonymous,
                    order_number: input.order_number,
                    purchase_date: input.purchase_date,
                    customer_request: input.customer_request,
                    handled_on_the_spot: input.handled_on_the_spot,
                },
            },
        )
        .await?;
        Ok(Complaint(filed))
    }

    /// Acknowledges a complaint to the customer with a promised resolution time and the next
    /// contact time, both required (R-CMP-2).
    /// Meets the first-reply clock (R-SLA-6), starts the update and solution clocks; the acting
    /// agent holds the complaint if nobody did. Agents and supervisors of its centre, on a RECEIVED
    /// complaint. Errors: `NOT_FOUND` (not visible), `FORBIDDEN` (role), `CONFLICT` (stale
    /// `version`), `INVALID_TRANSITION`, `BAD_USER_INPUT` (a time not in the future).
    async fn acknowledge_complaint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(desc = "When the customer is promised a resolution; in the future.")]
        promised_resolution_at: DateTime<Utc>,
        #[graphql(desc = "When the customer will be contacted next; in the future.")]
        next_contact_at: DateTime<Utc>,
        #[graphql(
            desc = "The public message to the customer (up to 4,000 characters); a standard one stating both times when omitted."
        )]
        message: Option<String>,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::Complaint)?;
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

    /// A public progress update to the customer, due at least every 24 h while the complaint
    /// is open and naming the next contact time (R-SLA-3); restarts the 24 h update clock.
    /// Agents and supervisors of its centre, on an open complaint. Errors: `NOT_FOUND`,
    /// `FORBIDDEN`, `CONFLICT` (stale `version`), `INVALID_TRANSITION` (resolved or closed),
    /// `BAD_USER_INPUT`.
    async fn post_progress_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(desc = "The update the customer reads (1–4,000 characters).")] message: String,
        #[graphql(desc = "When the customer will be contacted next; in the future.")]
        next_contact_at: DateTime<Utc>,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::Complaint)?;
        Ok(Complaint(
            service::post_update(&env, id, version, message, next_contact_at).await?,
        ))
    }

    /// Records what the investigation found: the cause, who was responsible, whether the complaint
    /// is justified (R-CMP-3); only staff read the findings. Agents and supervisors of its centre,
    /// on an acknowledged, investigating, reopened or external-case complaint; moves it to
    /// INVESTIGATING. Errors: `NOT_FOUND`, `FORBIDDEN`, `CONFLICT`, `INVALID_TRANSITION`,
    /// `BAD_USER_INPUT`.
    async fn record_investigation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(desc = "The cause found (1–4,000 characters).")] cause: String,
        #[graphql(desc = "Who was responsible (1–200 characters).")] responsible_party: String,
        #[graphql(desc = "Whether the complaint is justified.")] justified: bool,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::Complaint)?;
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
    /// MAJOR a top-level one (R-CLS-2/3). The recorded facts (regulator or 12315 complaint,
    /// media exposure, government penalty: MAJOR; a repeat: SERIOUS) set the lowest severity
    /// (R-CLS-3/4). Closure still needs the approvals of the highest
    /// severity the complaint had (R-ESC-4).
    /// A higher severity raises the escalation level at once (R-ESC-1) and the running clocks take
    /// its limits. Agents and supervisors of its centre, on an open complaint. Errors: `NOT_FOUND`,
    /// `FORBIDDEN` (role, or lowering without the right supervisor), `CONFLICT`,
    /// `INVALID_TRANSITION`.
    async fn reclassify_complaint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(desc = "The new category; unchanged when omitted.")] category: Option<
            ComplaintCategory,
        >,
        #[graphql(
            desc = "The new severity; unchanged when omitted. PROPERTY_DAMAGE and INJURY stay at least SERIOUS."
        )]
        severity: Option<Severity>,
        #[graphql(
            desc = "Facts that set the lowest severity (R-CLS-3/4); unchanged when omitted."
        )]
        facts: Option<ComplaintFactsInput>,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::Complaint)?;
        let facts = facts
            .map(|f| service::FactChanges {
                regulator_complaint: f.regulator_complaint,
                media_exposure: f.media_exposure,
                government_penalty: f.government_penalty,
            })
            .unwrap_or_default();
        Ok(Complaint(
            service::reclassify(&env, id, version, category, severity, facts).await?,
        ))
    }

    /// Approves the compensation of the proposed solution at exactly its amount (R-ESC-5): agents up
    /// to the configured limit, supervisors above it, never whoever proposed it. The limit is
    /// `COMPENSATION_AGENT_LIMIT` (500.00 by default). `approveSolution` approves the compensation
    /// with the solution. On an INVESTIGATING complaint of the caller's centre. Errors: `NOT_FOUND`,
    /// `FORBIDDEN` (other roles, an agent above the limit, the proposer), `CONFLICT`,
    /// `INVALID_TRANSITION`, `BAD_USER_INPUT` (not positive, more than 2 decimals, too large, not
    /// the proposed amount).
    async fn approve_compensation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(desc = "The compensation, a positive decimal string with at most 2 decimals.")]
        amount: Decimal,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::Complaint)?;
        Ok(Complaint(
            service::approve_compensation(&env, id, version, amount).await?,
        ))
    }

    /// Tells the customer the result once the solution is approved (`approveSolution`, R-ESC-5);
    /// compensation, if any, must have been approved at exactly this amount. Asks how satisfied
    /// they are: a survey is issued (R-CMP-4); the resolution clocks are met. Agents and
    /// supervisors of its centre, on an INVESTIGATING complaint. Errors: `NOT_FOUND`, `FORBIDDEN`,
    /// `CONFLICT`, `INVALID_TRANSITION`, `BAD_USER_INPUT` (`id`: no approved solution;
    /// `compensation`: not approved at this amount).
    async fn resolve_complaint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(desc = "The result told to the customer (1–4,000 characters).")]
        resolution: String,
        #[graphql(desc = "Compensation paid, a decimal string; must equal the approved amount.")]
        compensation: Option<Decimal>,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::Complaint)?;
        Ok(Complaint(
            service::resolve(&env, id, version, resolution, compensation).await?,
        ))
    }

    /// The customer is not satisfied with the resolution: back to investigation, the approvals
    /// given so far (closure and solution) are withdrawn. The customer, or agents and supervisors of its centre, on a
    /// RESOLVED complaint. Errors: `NOT_FOUND`, `FORBIDDEN`, `CONFLICT`, `INVALID_TRANSITION`,
    /// `BAD_USER_INPUT`.
    async fn reopen_complaint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(desc = "Why (1–4,000 characters); public on the timeline.")] reason: String,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::Complaint)?;
        Ok(Complaint(service::reopen(&env, id, version, reason).await?))
    }

    /// The complaint is not upheld (R-CMP-11): it ends as REJECTED with the written reason,
    /// public on the timeline and in `rejectionReason`, so the customer reads why at once; its
    /// clocks stop. Only after the investigation found it not justified (R-CMP-3). Agents and
    /// supervisors of its centre, on an INVESTIGATING complaint. Errors: `NOT_FOUND`,
    /// `FORBIDDEN`, `CONFLICT`, `INVALID_TRANSITION`, `BAD_USER_INPUT` (no reason, or not found
    /// unjustified).
    async fn reject_complaint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(desc = "Why it is not upheld, for the customer (1–4,000 characters).")]
        reason: String,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::Complaint)?;
        Ok(Complaint(service::reject(&env, id, version, reason).await?))
    }

    /// The customer rates the result of a resolved complaint on five points (R-CMP-13), once
    /// per resolution. VERY_SATISFIED, SATISFIED and NEUTRAL let it close; DISSATISFIED and
    /// VERY_DISSATISFIED reopen it and escalate it one level at once, or at the top level put
    /// it in the top level's escalation inbox for review. The complaint's survey answers it
    /// too (its `result` score). The complaint's customer only. Errors: `NOT_FOUND`,
    /// `FORBIDDEN` (other roles), `CONFLICT` (stale `version`, or already rated),
    /// `INVALID_TRANSITION` (not RESOLVED).
    async fn rate_complaint_result(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(desc = "How satisfied you are with the result.")] rating: ResultRating,
    ) -> Result<ComplaintTracking> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::Complaint)?;
        Ok(ComplaintTracking(
            service::rate_result(&env, id, version, rating).await?,
        ))
    }

    /// Records the verification of a complaint (R-CMP-9): valid or not, caused by the service
    /// or not, optionally naming the staff member it is about (R-CMP-12). A valid,
    /// service-caused complaint counts against its staff member in the centre's calendar month
    /// of receipt; the `STAFF_COMPLAINT_ALERT`th (3rd) of a month puts an alert in
    /// `staffComplaintAlerts` and a `STAFF_COMPLAINT_ALERT` timeline entry. Supervisors of its
    /// centre, not about themselves, on a complaint past RECEIVED. Errors: `NOT_FOUND`,
    /// `FORBIDDEN` (role, or the complaint is about the caller), `CONFLICT`,
    /// `INVALID_TRANSITION`, `BAD_USER_INPUT` (no such staff member in the centre).
    #[graphql(guard = "RoleGuard(&[Role::Supervisor])")]
    async fn verify_complaint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(desc = "Whether the complaint is valid.")] valid: bool,
        #[graphql(desc = "Whether the service (not the product or the customer) caused it.")]
        service_caused: bool,
        #[graphql(
            desc = "The staff member it is about; unchanged when omitted. A technician, agent or supervisor of the centre."
        )]
        staff_member_id: Option<ID>,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::Complaint)?;
        let staff = staff_member_id
            .map(|u| key(&u, NodeType::User))
            .transpose()?;
        Ok(Complaint(
            service::verify(&env, id, version, valid, service_caused, staff).await?,
        ))
    }

    /// A supervisor takes a staff complaint alert out of the centre's inbox (R-CMP-9).
    /// Supervisors of the alert's centre. Errors: `NOT_FOUND` (another centre's), `FORBIDDEN`
    /// (other roles).
    #[graphql(guard = "RoleGuard(&[Role::Supervisor])")]
    async fn acknowledge_staff_complaint_alert(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The alert's id (from `staffComplaintAlerts`).")] id: ID,
    ) -> Result<StaffComplaintAlert> {
        let env = env(ctx)?;
        let centre = env.actor.centre()?;
        let alert =
            crate::store::staff_alerts::find(env.db, key(&id, NodeType::StaffComplaintAlert)?)
                .await?
                .filter(|a| a.service_centre_id == centre)
                .ok_or(ApiError::NotFound("alert"))?;
        let done =
            crate::store::staff_alerts::acknowledge(env.db, alert, env.actor.user()?.id, env.now)
                .await?;
        Ok(done.into())
    }

    /// Proposes the solution the customer is to be told, with its compensation if any (R-ESC-5);
    /// a new proposal withdraws the approvals of the one before. Agents and supervisors of its
    /// centre, on an INVESTIGATING complaint. Errors: `NOT_FOUND`, `FORBIDDEN`, `CONFLICT`,
    /// `INVALID_TRANSITION`, `BAD_USER_INPUT` (no solution; compensation not positive, more than
    /// 2 decimals, too large).
    async fn propose_solution(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(desc = "The solution (1–4,000 characters).")] solution: String,
        #[graphql(
            desc = "Compensation it includes, a positive decimal string with at most 2 decimals."
        )]
        compensation: Option<Decimal>,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::Complaint)?;
        Ok(Complaint(
            service::propose_solution(&env, id, version, solution, compensation).await?,
        ))
    }

    /// Approves the proposed solution with its compensation before the customer is told
    /// (R-ESC-5): the top level (a top-level supervisor, the general manager); with
    /// `SOLUTION_APPROVAL_DELEGATED`, any supervisor for a complaint that was never more than
    /// GENERAL. Never the one who proposed it. On an INVESTIGATING complaint of the caller's
    /// centre. Errors: `NOT_FOUND`, `FORBIDDEN` (other roles, not the top level where needed, the
    /// proposer), `CONFLICT`, `INVALID_TRANSITION`, `BAD_USER_INPUT` (nothing proposed).
    #[graphql(guard = "RoleGuard(&[Role::Supervisor])")]
    async fn approve_solution(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::Complaint)?;
        Ok(Complaint(
            service::approve_solution(&env, id, version).await?,
        ))
    }

    /// Authorises goodwill compensation for a major client (a customer with a PREMIUM contract)
    /// (R-ESC-7): the top level only, on any open complaint, before liability is settled;
    /// recorded as `goodwillAmount`, apart from the resolution's compensation. Errors:
    /// `NOT_FOUND`, `FORBIDDEN` (not a top-level supervisor), `CONFLICT`, `INVALID_TRANSITION`,
    /// `BAD_USER_INPUT` (`id`: not a major client; `amount`; `reason`).
    #[graphql(guard = "RoleGuard(&[Role::Supervisor])")]
    async fn approve_goodwill_compensation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(
            desc = "The goodwill compensation, a positive decimal string with at most 2 decimals."
        )]
        amount: Decimal,
        #[graphql(desc = "Why (1–2,000 characters); internal.")] reason: String,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::Complaint)?;
        Ok(Complaint(
            service::approve_goodwill(&env, id, version, amount, reason).await?,
        ))
    }

    /// Signs a resolved complaint off for closure (R-ESC-4): every complaint needs a
    /// supervisor's approval, one that was ever SERIOUS or MAJOR also a top-level supervisor's.
    /// Supervisors of its centre, on a RESOLVED complaint; one signature per person. Errors:
    /// `NOT_FOUND`, `FORBIDDEN` (other roles), `CONFLICT` (stale `version`, or nothing left for
    /// the caller to approve), `INVALID_TRANSITION`.
    async fn approve_complaint_closure(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::Complaint)?;
        Ok(Complaint(
            service::approve_closure(&env, id, version).await?,
        ))
    }

    /// Closes a RESOLVED complaint once its approvals are given (R-ESC-4) and schedules the return
    /// visit after closure (R-SLA-7). Agents and supervisors of its centre. Errors: `NOT_FOUND`,
    /// `FORBIDDEN`, `CONFLICT`, `INVALID_TRANSITION`, `BAD_USER_INPUT` (an approval missing, or
    /// the customer rated the result in the lower two, R-CMP-13).
    async fn close_complaint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::Complaint)?;
        Ok(Complaint(service::close(&env, id, version).await?))
    }

    /// Escalates a complaint by hand one level up, with the reason it cannot be solved at this
    /// level (R-ESC-3).
    /// Agents and supervisors of its centre, on an open complaint. Errors: `NOT_FOUND`,
    /// `FORBIDDEN`, `CONFLICT`, `INVALID_TRANSITION`, `BAD_USER_INPUT` (already at level 3, or no
    /// reason).
    async fn escalate_complaint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(desc = "Why it cannot be solved at this level (1–2,000 characters).")]
        reason: String,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::Complaint)?;
        Ok(Complaint(
            service::escalate(&env, id, version, reason).await?,
        ))
    }

    /// A supervisor takes an escalation out of the inbox.
    /// Supervisors of the escalation's centre who read its inbox. Errors: `NOT_FOUND` (another
    /// centre's), `FORBIDDEN` (other roles, or a top-level escalation for a supervisor who is not
    /// top-level).
    #[graphql(guard = "RoleGuard(&[Role::Supervisor])")]
    async fn acknowledge_escalation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The escalation's id (from `escalationInbox`).")] id: ID,
    ) -> Result<Escalation> {
        let env = env(ctx)?;
        let user = crate::store::users::get(env.db, env.actor.user()?.id).await?;
        // Only escalations of the supervisor's centre, from an inbox they read.
        let escalation = crate::store::escalations::find(env.db, key(&id, NodeType::Escalation)?)
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

    /// Hands a SERIOUS or MAJOR complaint to the police or an insurer as a long-running
    /// external case (R-CMP-8; agents, supervisors). The resolution and solution clocks pause;
    /// the 24 h progress updates go on.
    /// Errors: `NOT_FOUND`, `FORBIDDEN`, `CONFLICT`, `INVALID_TRANSITION` (only from
    /// ACKNOWLEDGED, INVESTIGATING, REOPENED), `BAD_USER_INPUT` (a GENERAL complaint).
    async fn open_external_case(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(
            desc = "Who handles the case, e.g. the police station or insurer (1–200 characters)."
        )]
        authority: String,
        #[graphql(desc = "Their case reference (1–200 characters).")] reference: String,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::Complaint)?;
        Ok(Complaint(
            service::open_external_case(&env, id, version, authority, reference).await?,
        ))
    }

    /// The external case is over: back to INVESTIGATING, the paused clocks run again.
    /// Agents and supervisors of its centre, on an EXTERNAL_CASE complaint. Errors: `NOT_FOUND`,
    /// `FORBIDDEN`, `CONFLICT`, `INVALID_TRANSITION`, `BAD_USER_INPUT`.
    async fn close_external_case(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(desc = "How the case ended (1–4,000 characters); public on the timeline.")]
        outcome: String,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::Complaint)?;
        Ok(Complaint(
            service::close_external_case(&env, id, version, outcome).await?,
        ))
    }

    /// Supervisors hand a complaint to another agent or supervisor of the centre.
    /// Supervisors of its centre, on an open complaint. Errors: `NOT_FOUND`, `FORBIDDEN`,
    /// `CONFLICT`, `INVALID_TRANSITION`, `BAD_USER_INPUT` (not an active agent or supervisor of
    /// the centre).
    #[graphql(guard = "RoleGuard(&[Role::Supervisor])")]
    async fn reassign_complaint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(desc = "The agent or supervisor of the complaint's centre to hand it to.")]
        owner_id: ID,
    ) -> Result<Complaint> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::Complaint)?;
        let owner = key(&owner_id, NodeType::User)?;
        Ok(Complaint(
            service::reassign(&env, id, version, owner).await?,
        ))
    }
}
