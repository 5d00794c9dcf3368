//! Complaints: receipt, acknowledgement, updates, investigation, compensation, resolution,
//! rejection, the customer's rating, verification, closure, escalation (R-CLS-1..4,
//! R-ESC-1..6, R-CMP-1..4, R-CMP-9, R-CMP-11..13, R-SLA-3..6, R-SLA-10, R-PRV-10).

use chrono::{DateTime, Utc};
use entity::complaints::{
    self, ComplaintCategory, ComplaintChannel, ComplaintStatus, ResultRating, Severity,
};
use entity::ticket_events::TicketKind;
use entity::users::Role;
use rust_decimal::Decimal;
use sea_orm::{ActiveEnum, DatabaseTransaction, Set};

use super::assets::acting_for_customer;
use super::sla::{self as clocks, ClockTicket};
use super::{Env, required_text};
use crate::domain::complaint::{
    self, ComplaintAction, ComplaintParties, Facts, RatingOutcome, Signature, TOP_LEVEL,
};
use crate::domain::identity::Principal;
use crate::domain::reference::{ClientReference, client_reference};
use crate::domain::repair::{self, OrderParties};
use crate::domain::sla::transitions::{self, ClockOps};
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::store::escalations::{EscalatedTicket, NewEscalation};
use crate::store::references::Referenced;
use crate::store::{self, events::NewEvent};

pub struct FileComplaint {
    pub customer_id: Option<i64>,
    pub repair_order_id: Option<i64>,
    pub service_centre_id: Option<i64>,
    pub channel: Option<ComplaintChannel>,
    pub category: ComplaintCategory,
    pub severity: Option<Severity>,
    pub description: String,
    pub external_reference: Option<String>,
    pub details: ComplaintDetails,
}

/// What a complaint records beside its text: the earlier complaint about the same event and
/// the facts that set its lowest severity (R-CLS-3/4), the staff member it is about (R-CMP-12)
/// and the complainant's wish for anonymity (R-PRV-10).
#[derive(Clone, Debug, Default)]
pub struct ComplaintDetails {
    /// An earlier complaint about the same event; without one, the customer's latest earlier
    /// complaint about the same repair order is taken.
    pub repeat_of_id: Option<i64>,
    pub regulator_complaint: bool,
    pub media_exposure: bool,
    pub government_penalty: bool,
    pub staff_member_id: Option<i64>,
    pub anonymous: bool,
    /// R-CMP-10: the order number and purchase date (from the repair order when omitted) and
    /// what the customer asks for.
    pub order_number: Option<String>,
    pub purchase_date: Option<chrono::NaiveDate>,
    pub customer_request: Option<String>,
    /// `Some(false)`: the case cannot be handled on the spot, so the three above are required
    /// (R-CMP-10).
    pub handled_on_the_spot: Option<bool>,
}

/// R-CMP-1: records time, content, complainant, channel and related order (one the caller can
/// see). Severity follows the category (R-CLS-2) and, from staff, the severity asked for; from
/// customers and partners that is a recorded claim (R-CLS-3). SERIOUS starts at L2 and MAJOR at
/// L3 with the escalation recorded at once (R-ESC-1).
pub async fn file(env: &Env<'_>, input: FileComplaint) -> ApiResult<complaints::Model> {
    let customer = acting_for_customer(env, input.customer_id).await?;
    let reference = client_reference(env.actor, input.external_reference.as_deref())?;
    if let Some(id) =
        super::created_before(env.db, Referenced::Complaint, reference.as_ref()).await?
    {
        return store::complaints::find(env.db, id)
            .await?
            .ok_or(ApiError::NotFound("complaint"));
    }
    let mut errors = FieldErrors::default();
    let channel = errors.check(match (env.actor.role(), input.channel) {
        (Some(Role::Customer), _) => Ok(ComplaintChannel::App),
        (_, Some(ComplaintChannel::App)) | (_, None) => Err(ApiError::bad_input(
            "channel",
            "say how the customer complained",
        )),
        (_, Some(channel)) => Ok(channel),
    })?;
    let description = errors.check(required_text("description", &input.description, 4000))?;
    // Every field error of the input at once.
    let (channel, description) = errors.values(channel.zip(description))?;
    let repair_order: Option<entity::repair_orders::Model> = match input.repair_order_id {
        Some(id) => Some(
            store::repair_orders::find(env.db, id)
                .await?
                .filter(|order| {
                    order.customer_id == customer.id
                        && repair::can_view(env.actor, &OrderParties::from(order))
                })
                .ok_or(ApiError::NotFound("repair order"))?,
        ),
        None => None,
    };
    let centre_id = match env.actor {
        Principal::User(user) if user.role != Role::Customer => user.service_centre_id,
        _ => crate::domain::identity::own_centre(
            input.service_centre_id,
            repair_order
                .as_ref()
                .map(|o| o.service_centre_id)
                .or(customer.service_centre_id),
        )?,
    }
    .ok_or_else(|| ApiError::bad_input("serviceCentreId", "choose the service centre"))?;
    store::directory::get_service_centre(env.db, centre_id)
        .await
        .map_err(|err| err.missing_as_bad_input("serviceCentreId", "no such service centre"))?;
    let mut details = checked_details(env, input.details, customer.id, centre_id).await?;
    // R-CMP-10: the repair order names the order and, through its product, the purchase date.
    if let Some(order) = &repair_order {
        details
            .order_number
            .get_or_insert_with(|| order.number.clone());
        if details.purchase_date.is_none() {
            details.purchase_date = store::assets::find(env.db, order.asset_id)
                .await?
                .map(|asset| asset.purchase_date);
        }
    }
    if details.handled_on_the_spot == Some(false) {
        let missing = complaint::missing_case_details(
            details.order_number.is_some(),
            details.purchase_date.is_some(),
            details.customer_request.is_some(),
        );
        if !missing.is_empty() {
            return Err(ApiError::InvalidFields(missing));
        }
    }
    let txn = store::begin_write(env.db).await?;
    let created = insert(
        &txn,
        env,
        NewComplaint {
            customer_id: customer.id,
            organization_id: customer.organization_id,
            repair_order_id: repair_order.map(|o| o.id),
            service_centre_id: centre_id,
            channel,
            category: input.category,
            severity: input.severity,
            description,
            reference,
            details,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// R-CLS-3/4: only staff record the regulator, media and penalty facts (customers and
/// partners tell them in the description); an earlier complaint named as the same event is
/// one of this customer's that the caller sees. R-CMP-12: the named staff member works in the
/// complaint's centre.
async fn checked_details(
    env: &Env<'_>,
    details: ComplaintDetails,
    customer_id: i64,
    centre_id: i64,
) -> ApiResult<ComplaintDetails> {
    let staff = matches!(env.actor.role(), Some(Role::Agent | Role::Supervisor));
    for (field, set) in [
        ("regulatorComplaint", details.regulator_complaint),
        ("mediaExposure", details.media_exposure),
        ("governmentPenalty", details.government_penalty),
    ] {
        if set && !staff {
            return Err(ApiError::bad_input(field, "staff record this fact"));
        }
    }
    if let Some(id) = details.repeat_of_id {
        store::complaints::find(env.db, id)
            .await?
            .filter(|c| {
                c.customer_id == customer_id
                    && complaint::can_view(env.actor, &ComplaintParties::from(c))
            })
            .ok_or(ApiError::NotFound("complaint"))?;
    }
    if let Some(id) = details.staff_member_id {
        check_staff_member(env.db, id, centre_id).await?;
    }
    let text = |field, value: Option<String>, max| {
        value.map(|v| required_text(field, &v, max)).transpose()
    };
    Ok(ComplaintDetails {
        order_number: text("orderNumber", details.order_number, 64)?,
        customer_request: text("customerRequest", details.customer_request, 2000)?,
        ..details
    })
}

/// R-CMP-12: a complaint names an active technician, agent or supervisor of its centre.
async fn check_staff_member(
    db: &impl sea_orm::ConnectionTrait,
    id: i64,
    centre_id: i64,
) -> ApiResult<()> {
    store::users::find(db, id)
        .await?
        .filter(|u| {
            u.active
                && matches!(u.role, Role::Technician | Role::Agent | Role::Supervisor)
                && u.service_centre_id == Some(centre_id)
        })
        .map(|_| ())
        .ok_or_else(|| ApiError::bad_input("staffMemberId", "no such staff member in this centre"))
}

/// A complaint whose parties and text the caller has checked.
pub struct NewComplaint {
    pub customer_id: i64,
    pub organization_id: Option<i64>,
    pub repair_order_id: Option<i64>,
    pub service_centre_id: i64,
    pub channel: ComplaintChannel,
    pub category: ComplaintCategory,
    pub severity: Option<Severity>,
    pub description: String,
    /// The client's own id for it (`file` only).
    pub reference: Option<ClientReference>,
    pub details: ComplaintDetails,
}

/// Writes a complaint inside the caller's transaction, so use cases that raise one (a return
/// visit, a low survey score, R-CMP-6) file it the same way as `file`: its clocks from the
/// policies of its severity, the acting agent as holder, SERIOUS at L2 and MAJOR at L3 with
/// the escalation recorded at once (R-ESC-1).
pub async fn insert(
    txn: &DatabaseTransaction,
    env: &Env<'_>,
    new: NewComplaint,
) -> ApiResult<complaints::Model> {
    let (severity, claimed_severity) =
        complaint::filed_severity(env.actor.role(), new.category, new.severity);
    let details = new.details;
    let repeat_of_id = match (details.repeat_of_id, new.repair_order_id) {
        (Some(id), _) => Some(id),
        (None, Some(order)) => {
            store::complaints::earlier_about_order(txn, new.customer_id, order).await?
        }
        (None, None) => None,
    };
    let facts = Facts {
        repeat: repeat_of_id.is_some(),
        regulator_complaint: details.regulator_complaint,
        media_exposure: details.media_exposure,
        government_penalty: details.government_penalty,
    };
    // R-CLS-3/4: the recorded facts set the lowest severity, whoever files.
    let severity = severity.max(complaint::facts_minimum(facts));
    let level = complaint::starting_level(severity);
    let owner = match env.actor {
        Principal::User(user) if matches!(user.role, Role::Agent | Role::Supervisor) => {
            Some(user.id)
        }
        _ => None,
    };
    let model = complaints::Model {
        id: 0,
        number: String::new(),
        customer_id: new.customer_id,
        service_centre_id: new.service_centre_id,
        organization_id: new.organization_id,
        repair_order_id: new.repair_order_id,
        channel: new.channel,
        category: new.category,
        severity,
        status: ComplaintStatus::Received,
        description: new.description,
        owner_id: owner,
        escalation_level: level,
        acknowledged_at: None,
        promised_resolution_at: None,
        next_contact_at: None,
        last_update_at: None,
        cause: None,
        responsible_party: None,
        justified: None,
        investigated_at: None,
        resolution: None,
        compensation_amount: None,
        compensation_approved_by: None,
        resolved_at: None,
        supervisor_approved_by: None,
        top_approved_by: None,
        closed_at: None,
        version: 1,
        created_at: env.now,
        updated_at: env.now,
        max_severity: severity,
        claimed_severity,
        external_reference: new.reference.as_ref().map(|r| r.reference.clone()),
        reference_owner: new.reference.map(|r| r.owner),
        rejection_reason: None,
        rejected_at: None,
        result_rating: None,
        result_rated_at: None,
        repeat_of_id,
        regulator_complaint: details.regulator_complaint,
        media_exposure: details.media_exposure,
        government_penalty: details.government_penalty,
        staff_member_id: details.staff_member_id,
        valid: None,
        service_caused: None,
        verified_at: None,
        anonymous: details.anonymous,
        proposed_solution: None,
        solution_proposed_by: None,
        solution_approved_by: None,
        goodwill_amount: None,
        goodwill_approved_by: None,
        goodwill_at: None,
        order_number: details.order_number,
        purchase_date: details.purchase_date,
        customer_request: details.customer_request,
    };
    let mut active: complaints::ActiveModel = model.into();
    active.id = sea_orm::ActiveValue::NotSet;
    let created = store::complaints::insert(txn, active, env.now).await?;
    append(
        txn,
        env,
        created.id,
        "RECEIVED",
        None,
        Some(ComplaintStatus::Received),
        None,
        true,
    )
    .await?;
    let ticket = ClockTicket::from(&created);
    let policies = store::sla_policies::of_kind(txn, ticket.kind).await?;
    let metrics = (transitions::on_creation(TicketKind::Complaint), &[][..]);
    clocks::start_new(txn, env.actor, &ticket, policies, metrics, env.now).await?;
    if level > 1 {
        let reason = format!(
            "{} complaint: reported at once to level {level} (R-ESC-1)",
            severity.to_value()
        );
        store::escalations::insert(
            txn,
            escalated(&created),
            NewEscalation {
                from_level: 1,
                to_level: level,
                reason,
                missed: None,
                escalated_by: None,
                from_user_id: None,
            },
            env.now,
        )
        .await?;
        append(
            txn,
            env,
            created.id,
            "ESCALATED",
            None,
            None,
            Some(complaint::level_words(level).into()),
            true,
        )
        .await?;
    }
    Ok(created)
}

fn escalated(complaint: &complaints::Model) -> EscalatedTicket {
    EscalatedTicket {
        kind: TicketKind::Complaint,
        id: complaint.id,
        service_centre_id: complaint.service_centre_id,
        organization_id: complaint.organization_id,
    }
}

/// One complaint, if the caller may see it.
pub async fn get(env: &Env<'_>, id: i64) -> ApiResult<complaints::Model> {
    env.actor.role().ok_or(ApiError::Unauthenticated)?;
    store::complaints::find(env.db, id)
        .await?
        .filter(|c| complaint::can_view(env.actor, &ComplaintParties::from(c)))
        .ok_or(ApiError::NotFound("complaint"))
}

struct Step {
    txn: DatabaseTransaction,
    complaint: complaints::Model,
    action: ComplaintAction,
    to: ComplaintStatus,
    /// The severity changed: the clocks take the new severity's policies.
    rescope: bool,
}

impl Step {
    /// Checks visibility and role, the caller's version, then the state machine; use cases
    /// check their arguments after this, so callers who may not act learn nothing more.
    async fn begin(
        env: &Env<'_>,
        id: i64,
        version: i32,
        action: ComplaintAction,
    ) -> ApiResult<Self> {
        let txn = store::begin_write(env.db).await?;
        Self::load(txn, env, id, Some(version), action).await
    }

    /// `begin` inside a transaction the caller opened (a use case of another ticket that acts
    /// on a complaint, e.g. its survey); without a version the row as it is now.
    async fn load(
        txn: DatabaseTransaction,
        env: &Env<'_>,
        id: i64,
        version: Option<i32>,
        action: ComplaintAction,
    ) -> ApiResult<Self> {
        let complaint = store::complaints::find_for_update(&txn, id)
            .await?
            .ok_or(ApiError::NotFound("complaint"))?;
        complaint::authorize(env.actor, action, &ComplaintParties::from(&complaint))?;
        super::ensure_unsealed(env, "complaint", complaint.closed_at)?;
        if version.is_some_and(|v| v != complaint.version) {
            return Err(store::versioned::stale::<complaints::Entity>(
                complaint.version,
            ));
        }
        let to = complaint::next_status(action, complaint.status)?;
        Ok(Self {
            txn,
            complaint,
            action,
            to,
            rescope: false,
        })
    }

    /// Writes the change, its timeline entry and what it does to the clocks (`ops`; a
    /// status change may also pause or resume some), all in the step's transaction.
    async fn commit(
        self,
        env: &Env<'_>,
        changes: complaints::ActiveModel,
        note: Option<String>,
        public: bool,
        ops: ClockOps,
    ) -> ApiResult<complaints::Model> {
        let updated = self.write(env, changes, note, public, ops).await?;
        self.txn.commit().await?;
        Ok(updated)
    }

    /// `commit` without committing: the caller writes more in the same transaction.
    async fn write(
        &self,
        env: &Env<'_>,
        changes: complaints::ActiveModel,
        note: Option<String>,
        public: bool,
        ops: ClockOps,
    ) -> ApiResult<complaints::Model> {
        let mut changes = changes;
        changes.status = Set(self.to);
        let updated = store::versioned::update::<complaints::Entity>(
            &self.txn,
            self.complaint.id,
            self.complaint.version,
            changes,
            env.now,
        )
        .await?;
        let from = (self.complaint.status != self.to).then_some(self.complaint.status);
        let to = from.map(|_| self.to);
        append(
            &self.txn,
            env,
            updated.id,
            self.action.event(),
            from,
            to,
            note,
            public,
        )
        .await?;
        let ticket = ClockTicket::from(&updated);
        if self.rescope {
            clocks::rescope(&self.txn, env.actor, &ticket, env.now).await?;
        }
        if from.is_some() || ops != ClockOps::default() {
            clocks::transition(&self.txn, env.actor, &ticket, ops, env.now).await?;
        }
        Ok(updated)
    }
}

#[allow(clippy::too_many_arguments)]
async fn append(
    txn: &DatabaseTransaction,
    env: &Env<'_>,
    id: i64,
    action: &'static str,
    from: Option<ComplaintStatus>,
    to: Option<ComplaintStatus>,
    note: Option<String>,
    public: bool,
) -> ApiResult<()> {
    store::events::append(
        txn,
        NewEvent {
            kind: TicketKind::Complaint,
            ticket_id: id,
            actor: env.actor,
            action,
            from_status: from.map(complaint::status_name),
            to_status: to.map(complaint::status_name),
            note,
            public,
        },
        env.now,
    )
    .await
}

fn future(field: &'static str, at: DateTime<Utc>, now: DateTime<Utc>) -> ApiResult<DateTime<Utc>> {
    if at > now {
        Ok(at)
    } else {
        Err(ApiError::bad_input(
            field,
            format!("{field} must be in the future"),
        ))
    }
}

/// R-CMP-2: the customer is given a promised handling time and the next contact time. The
/// solution clock (1 working day, R-SLA-5) starts now; the acting agent holds the complaint if
/// nobody did.
pub async fn acknowledge(
    env: &Env<'_>,
    id: i64,
    version: i32,
    promised_resolution_at: DateTime<Utc>,
    next_contact_at: DateTime<Utc>,
    message: Option<String>,
) -> ApiResult<complaints::Model> {
    let step = Step::begin(env, id, version, ComplaintAction::Acknowledge).await?;
    let promised = future("promisedResolutionAt", promised_resolution_at, env.now)?;
    let next_contact = future("nextContactAt", next_contact_at, env.now)?;
    let message = message
        .map(|m| required_text("message", &m, 4000))
        .transpose()?;
    let actor = env.actor.user()?.id;
    let changes = complaints::ActiveModel {
        acknowledged_at: Set(Some(env.now)),
        promised_resolution_at: Set(Some(promised)),
        next_contact_at: Set(Some(next_contact)),
        last_update_at: Set(Some(env.now)),
        owner_id: Set(step.complaint.owner_id.or(Some(actor))),
        ..Default::default()
    };
    let note = message.unwrap_or_else(|| {
        format!(
            "We expect to resolve this by {}; we will contact you again by {}.",
            promised.to_rfc3339(),
            next_contact.to_rfc3339()
        )
    });
    let ops = transitions::complaint(ComplaintAction::Acknowledge);
    step.commit(env, changes, Some(note), true, ops).await
}

/// R-SLA-3: a public update restarts the update clock and states the next contact time.
pub async fn post_update(
    env: &Env<'_>,
    id: i64,
    version: i32,
    message: String,
    next_contact_at: DateTime<Utc>,
) -> ApiResult<complaints::Model> {
    let step = Step::begin(env, id, version, ComplaintAction::PostUpdate).await?;
    let message = required_text("message", &message, 4000)?;
    let next_contact = future("nextContactAt", next_contact_at, env.now)?;
    let changes = complaints::ActiveModel {
        next_contact_at: Set(Some(next_contact)),
        last_update_at: Set(Some(env.now)),
        ..Default::default()
    };
    let ops = transitions::complaint(ComplaintAction::PostUpdate);
    step.commit(env, changes, Some(message), true, ops).await
}

pub struct Investigation {
    pub cause: String,
    pub responsible_party: String,
    pub justified: bool,
}

/// R-CMP-3: cause, responsible party, whether justified; due within 1 working day (R-SLA-5).
pub async fn investigate(
    env: &Env<'_>,
    id: i64,
    version: i32,
    input: Investigation,
) -> ApiResult<complaints::Model> {
    let step = Step::begin(env, id, version, ComplaintAction::Investigate).await?;
    let cause = required_text("cause", &input.cause, 4000)?;
    let party = required_text("responsibleParty", &input.responsible_party, 200)?;
    let changes = complaints::ActiveModel {
        cause: Set(Some(cause.clone())),
        responsible_party: Set(Some(party.clone())),
        justified: Set(Some(input.justified)),
        investigated_at: Set(Some(env.now)),
        ..Default::default()
    };
    let note = format!(
        "cause: {cause}; responsible: {party}; justified: {}",
        input.justified
    );
    let ops = transitions::complaint(ComplaintAction::Investigate);
    step.commit(env, changes, Some(note), false, ops).await
}

/// Changes category or severity. The clocks not yet missed take the new severity's limits,
/// counted from their own start with their paused time; missed ones keep their breach and are
/// not escalated again. The level rises to the severity's starting level if it is below it.
/// Lowering the severity needs a supervisor, from MAJOR the top level (R-CLS-2/3); the highest
/// severity ever stays, for the closure sign-off (R-ESC-4).
pub async fn reclassify(
    env: &Env<'_>,
    id: i64,
    version: i32,
    category: Option<ComplaintCategory>,
    severity: Option<Severity>,
    facts: FactChanges,
) -> ApiResult<complaints::Model> {
    let step = Step::begin(env, id, version, ComplaintAction::Reclassify).await?;
    let category = category.unwrap_or(step.complaint.category);
    let was = Facts::from(&step.complaint);
    let facts = Facts {
        repeat: was.repeat,
        regulator_complaint: facts.regulator_complaint.unwrap_or(was.regulator_complaint),
        media_exposure: facts.media_exposure.unwrap_or(was.media_exposure),
        government_penalty: facts.government_penalty.unwrap_or(was.government_penalty),
    };
    // R-CLS-3/4: never below what the recorded facts make it.
    let severity = complaint::classify(category, Some(severity.unwrap_or(step.complaint.severity)))
        .max(complaint::facts_minimum(facts));
    if severity < step.complaint.severity {
        let actor = store::users::get(&step.txn, env.actor.user()?.id).await?;
        complaint::check_reclassification(
            actor.role,
            actor.top_level,
            step.complaint.severity,
            severity,
        )?;
    }
    let level = step
        .complaint
        .escalation_level
        .max(complaint::starting_level(severity));
    let changes = complaints::ActiveModel {
        category: Set(category),
        severity: Set(severity),
        regulator_complaint: Set(facts.regulator_complaint),
        media_exposure: Set(facts.media_exposure),
        government_penalty: Set(facts.government_penalty),
        max_severity: Set(step.complaint.max_severity.max(severity)),
        escalation_level: Set(level),
        ..Default::default()
    };
    if level > step.complaint.escalation_level {
        let reason = format!(
            "reclassified as {}: level {level} (R-ESC-1)",
            severity.to_value()
        );
        store::escalations::insert(
            &step.txn,
            escalated(&step.complaint),
            NewEscalation {
                from_level: step.complaint.escalation_level,
                to_level: level,
                reason,
                missed: None,
                escalated_by: Some(env.actor.user()?.id),
                from_user_id: step.complaint.owner_id,
            },
            env.now,
        )
        .await?;
    }
    let note = format!("{} / {}", category.to_value(), severity.to_value());
    let mut step = step;
    step.rescope = severity != step.complaint.severity;
    step.commit(env, changes, Some(note), false, ClockOps::default())
        .await
}

/// The facts a reclassification records (R-CLS-3/4); unchanged when `None`.
#[derive(Clone, Copy, Debug, Default)]
pub struct FactChanges {
    pub regulator_complaint: Option<bool>,
    pub media_exposure: Option<bool>,
    pub government_penalty: Option<bool>,
}

/// R-ESC-5: the proposed compensation, approved at exactly its amount: agents up to the limit,
/// supervisors above it; never by whoever proposed it.
pub async fn approve_compensation(
    env: &Env<'_>,
    id: i64,
    version: i32,
    amount: Decimal,
) -> ApiResult<complaints::Model> {
    let step = Step::begin(env, id, version, ComplaintAction::ApproveCompensation).await?;
    let role = env.actor.require(&[Role::Agent, Role::Supervisor])?;
    complaint::check_compensation_approval(role, amount, env.settings.compensation_agent_limit)?;
    let approver = env.actor.user()?.id;
    complaint::check_not_proposer(&step.complaint, approver)?;
    if step.complaint.compensation_amount != Some(amount) {
        return Err(ApiError::bad_input(
            "amount",
            "approve the compensation of the proposed solution (proposeSolution)",
        ));
    }
    let changes = complaints::ActiveModel {
        compensation_approved_by: Set(Some(approver)),
        ..Default::default()
    };
    step.commit(
        env,
        changes,
        Some(format!("compensation {amount} approved")),
        false,
        ClockOps::default(),
    )
    .await
}

/// R-ESC-5: the solution (and its compensation, if any) the customer is to be told, proposed
/// for approval; a new proposal withdraws the approvals of the one before.
pub async fn propose_solution(
    env: &Env<'_>,
    id: i64,
    version: i32,
    solution: String,
    compensation: Option<Decimal>,
) -> ApiResult<complaints::Model> {
    let step = Step::begin(env, id, version, ComplaintAction::ProposeSolution).await?;
    let solution = required_text("solution", &solution, 4000)?;
    let compensation = compensation
        .map(|amount| complaint::check_amount("compensation", amount))
        .transpose()?;
    let changes = complaints::ActiveModel {
        proposed_solution: Set(Some(solution.clone())),
        solution_proposed_by: Set(Some(env.actor.user()?.id)),
        solution_approved_by: Set(None),
        compensation_amount: Set(compensation),
        compensation_approved_by: Set(None),
        ..Default::default()
    };
    let note = match compensation {
        Some(amount) => format!("proposed: {solution} (compensation {amount})"),
        None => format!("proposed: {solution}"),
    };
    step.commit(env, changes, Some(note), false, ClockOps::default())
        .await
}

/// R-ESC-5: the top level approves the proposed solution with its compensation (the top level
/// is above every limit); where `SOLUTION_APPROVAL_DELEGATED`, any supervisor for a GENERAL
/// complaint. Never the one who proposed it.
pub async fn approve_solution(
    env: &Env<'_>,
    id: i64,
    version: i32,
) -> ApiResult<complaints::Model> {
    let step = Step::begin(env, id, version, ComplaintAction::ApproveSolution).await?;
    let approver = store::users::get(&step.txn, env.actor.user()?.id).await?;
    complaint::check_solution_approval(
        &step.complaint,
        approver.id,
        approver.top_level,
        env.settings.solution_approval_delegated,
    )?;
    let changes = complaints::ActiveModel {
        solution_approved_by: Set(Some(approver.id)),
        compensation_approved_by: Set(step.complaint.compensation_amount.map(|_| approver.id)),
        ..Default::default()
    };
    let by = if approver.top_level {
        "the top level"
    } else {
        "a supervisor (delegated)"
    };
    step.commit(
        env,
        changes,
        Some(format!("solution approved by {by}")),
        false,
        ClockOps::default(),
    )
    .await
}

/// R-ESC-7: the top level authorises goodwill compensation for a major client (a PREMIUM
/// contract) on any open complaint, before liability is settled (no investigation needed);
/// recorded as goodwill, apart from the resolution's compensation.
pub async fn approve_goodwill(
    env: &Env<'_>,
    id: i64,
    version: i32,
    amount: Decimal,
    reason: String,
) -> ApiResult<complaints::Model> {
    let step = Step::begin(env, id, version, ComplaintAction::ApproveGoodwill).await?;
    let approver = store::users::get(&step.txn, env.actor.user()?.id).await?;
    let customer = store::users::get(&step.txn, step.complaint.customer_id).await?;
    let amount =
        complaint::check_goodwill(approver.top_level, customer.sla_tier.as_deref(), amount)?;
    let reason = required_text("reason", &reason, 2000)?;
    let changes = complaints::ActiveModel {
        goodwill_amount: Set(Some(amount)),
        goodwill_approved_by: Set(Some(approver.id)),
        goodwill_at: Set(Some(env.now)),
        ..Default::default()
    };
    step.commit(
        env,
        changes,
        Some(format!(
            "goodwill compensation {amount} authorised by the top level: {reason}"
        )),
        false,
        ClockOps::default(),
    )
    .await
}

/// Tells the customer the result, once its solution is approved (R-ESC-5); asks how satisfied
/// they are with it (R-CMP-4).
pub async fn resolve(
    env: &Env<'_>,
    id: i64,
    version: i32,
    resolution: String,
    compensation: Option<Decimal>,
) -> ApiResult<complaints::Model> {
    let step = Step::begin(env, id, version, ComplaintAction::Resolve).await?;
    let resolution = required_text("resolution", &resolution, 4000)?;
    complaint::check_resolution(&step.complaint, compensation)?;
    let changes = complaints::ActiveModel {
        resolution: Set(Some(resolution.clone())),
        resolved_at: Set(Some(env.now)),
        compensation_amount: Set(compensation),
        // R-CMP-13: each resolution is rated anew.
        result_rating: Set(None),
        result_rated_at: Set(None),
        ..Default::default()
    };
    super::surveys::issue(&step.txn, env.now, env.settings, (&step.complaint).into()).await?;
    let note = format!("{resolution} — How satisfied are you with this result?");
    let ops = transitions::complaint(ComplaintAction::Resolve);
    step.commit(env, changes, Some(note), true, ops).await
}

/// The customer (or staff for them) is not satisfied: back to investigation.
pub async fn reopen(
    env: &Env<'_>,
    id: i64,
    version: i32,
    reason: String,
) -> ApiResult<complaints::Model> {
    let step = Step::begin(env, id, version, ComplaintAction::Reopen).await?;
    let reason = required_text("reason", &reason, 4000)?;
    let changes = complaints::ActiveModel {
        resolved_at: Set(None),
        supervisor_approved_by: Set(None),
        top_approved_by: Set(None),
        // R-ESC-5: the next resolution needs a solution approved anew.
        solution_approved_by: Set(None),
        ..Default::default()
    };
    let ops = transitions::complaint(ComplaintAction::Reopen);
    step.commit(env, changes, Some(reason), true, ops).await
}

/// R-ESC-4: a supervisor signs as the manager, a top-level supervisor as the top level.
pub async fn approve_closure(env: &Env<'_>, id: i64, version: i32) -> ApiResult<complaints::Model> {
    let step = Step::begin(env, id, version, ComplaintAction::ApproveClosure).await?;
    let approver = store::users::get(&step.txn, env.actor.user()?.id).await?;
    let mut changes = <complaints::ActiveModel as Default>::default();
    let note = match complaint::closure_signature(&step.complaint, approver.id, approver.top_level)?
    {
        Signature::TopLevel => {
            changes.top_approved_by = Set(Some(approver.id));
            "approved by the top level"
        }
        Signature::Manager => {
            changes.supervisor_approved_by = Set(Some(approver.id));
            "approved by the manager"
        }
    };
    step.commit(env, changes, Some(note.into()), false, ClockOps::default())
        .await
}

/// R-ESC-4 approvals given, the complaint is closed; the return visit after closure is
/// scheduled in the same transaction (R-SLA-7).
pub async fn close(env: &Env<'_>, id: i64, version: i32) -> ApiResult<complaints::Model> {
    let step = Step::begin(env, id, version, ComplaintAction::Close).await?;
    complaint::check_closure(&step.complaint)?;
    complaint::check_rating_allows_closure(&step.complaint)?;
    let changes = complaints::ActiveModel {
        closed_at: Set(Some(env.now)),
        ..Default::default()
    };
    let (ticket, resolved_at) = ((&step.complaint).into(), step.complaint.resolved_at);
    super::return_visits::schedule_after_closure(
        &step.txn,
        env.actor,
        ticket,
        resolved_at,
        env.now,
    )
    .await?;
    let ops = transitions::complaint(ComplaintAction::Close);
    step.commit(env, changes, None, true, ops).await
}

/// R-CMP-11: a complaint the investigation found not justified ends as REJECTED; the written
/// reason is public on the timeline, so the customer reads why at once. Its clocks stop.
pub async fn reject(
    env: &Env<'_>,
    id: i64,
    version: i32,
    reason: String,
) -> ApiResult<complaints::Model> {
    let step = Step::begin(env, id, version, ComplaintAction::Reject).await?;
    complaint::check_rejection(&step.complaint)?;
    let reason = required_text("reason", &reason, 4000)?;
    let changes = complaints::ActiveModel {
        rejection_reason: Set(Some(reason.clone())),
        rejected_at: Set(Some(env.now)),
        ..Default::default()
    };
    let ops = transitions::complaint(ComplaintAction::Reject);
    step.commit(env, changes, Some(reason), true, ops).await
}

/// R-CMP-13: the customer rates the result of the resolution.
pub async fn rate_result(
    env: &Env<'_>,
    id: i64,
    version: i32,
    rating: ResultRating,
) -> ApiResult<complaints::Model> {
    let step = Step::begin(env, id, version, ComplaintAction::RateResult).await?;
    let (txn, rated) = apply_rating(step, env, rating).await?;
    txn.commit().await?;
    Ok(rated)
}

/// R-CMP-13: the complaint's survey answers the rating question too: its result score
/// (1–5) counts as the rating of a resolution not rated yet, inside the survey's transaction.
pub async fn rate_from_survey(
    txn: DatabaseTransaction,
    env: &Env<'_>,
    id: i64,
    score: i16,
) -> ApiResult<DatabaseTransaction> {
    let current = store::complaints::find(&txn, id)
        .await?
        .ok_or(ApiError::NotFound("complaint"))?;
    if current.status != ComplaintStatus::Resolved || current.result_rating.is_some() {
        return Ok(txn);
    }
    let step = Step::load(txn, env, id, None, ComplaintAction::RateResult).await?;
    let rating = complaint::rating_of_score(score);
    Ok(apply_rating(step, env, rating).await?.0)
}

/// The upper three ratings leave the complaint RESOLVED for closure; the lower two reopen it
/// and escalate it one level (recorded, automatic), or at the top level put it in the top
/// level's inbox for review.
async fn apply_rating(
    mut step: Step,
    env: &Env<'_>,
    rating: ResultRating,
) -> ApiResult<(DatabaseTransaction, complaints::Model)> {
    if step.complaint.result_rating.is_some() {
        return Err(ApiError::Conflict(
            "the customer already rated this resolution".into(),
        ));
    }
    let from = step.complaint.escalation_level;
    let outcome = complaint::after_rating(rating, from);
    let mut changes = complaints::ActiveModel {
        result_rating: Set(Some(rating)),
        result_rated_at: Set(Some(env.now)),
        ..Default::default()
    };
    let words = rating.to_value().to_lowercase().replace('_', " ");
    let escalation = match outcome {
        RatingOutcome::MayClose => None,
        RatingOutcome::Escalate(to) => Some((
            to,
            format!("the customer is {words} with the result: reopened at level {to} (R-CMP-13)"),
        )),
        RatingOutcome::TopLevelReview => Some((
            TOP_LEVEL,
            format!(
                "the customer is still {words} with the result at the top level: top-level review (R-CMP-13)"
            ),
        )),
    };
    let mut ops = ClockOps::default();
    if let Some((to, _)) = &escalation {
        changes.escalation_level = Set(*to);
        changes.resolved_at = Set(None);
        changes.supervisor_approved_by = Set(None);
        changes.top_approved_by = Set(None);
        changes.solution_approved_by = Set(None);
        step.to = ComplaintStatus::Reopened;
        ops = transitions::complaint(ComplaintAction::Reopen);
    }
    let note = format!("result rated: {words}");
    let rated = step.write(env, changes, Some(note), true, ops).await?;
    if let Some((to, reason)) = escalation {
        store::escalations::insert(
            &step.txn,
            escalated(&step.complaint),
            NewEscalation {
                from_level: from,
                to_level: to,
                reason: reason.clone(),
                missed: None,
                escalated_by: None,
                from_user_id: step.complaint.owner_id,
            },
            env.now,
        )
        .await?;
        append(
            &step.txn,
            env,
            rated.id,
            "ESCALATED",
            None,
            None,
            Some(reason),
            false,
        )
        .await?;
    }
    Ok((step.txn, rated))
}

/// R-CMP-9: a supervisor verifies the complaint: valid or not, caused by the service or not,
/// optionally naming (or correcting) the staff member it is about (R-CMP-12). Nobody verifies
/// a complaint about themselves. The staff member's valid, service-caused complaints received
/// in the centre's calendar month are counted; reaching `STAFF_COMPLAINT_ALERT` (3) writes the
/// month's alert to the centre supervisors' inbox and an internal timeline entry (an event for
/// subscriptions and webhooks), once per staff member and month.
pub async fn verify(
    env: &Env<'_>,
    id: i64,
    version: i32,
    valid: bool,
    service_caused: bool,
    staff_member_id: Option<i64>,
) -> ApiResult<complaints::Model> {
    let mut step = Step::begin(env, id, version, ComplaintAction::Verify).await?;
    if let Some(staff) = staff_member_id {
        check_staff_member(&step.txn, staff, step.complaint.service_centre_id).await?;
        step.complaint.staff_member_id = Some(staff);
    }
    let verifier = env.actor.user()?.id;
    complaint::check_verifier(&step.complaint, verifier)?;
    let changes = complaints::ActiveModel {
        staff_member_id: Set(step.complaint.staff_member_id),
        valid: Set(Some(valid)),
        service_caused: Set(Some(service_caused)),
        verified_at: Set(Some(env.now)),
        ..Default::default()
    };
    let note = format!("verified: valid {valid}, caused by the service {service_caused}");
    let verified = step
        .write(env, changes, Some(note), false, ClockOps::default())
        .await?;
    if let (true, Some(staff)) = (
        complaint::counts_against_staff(&verified),
        verified.staff_member_id,
    ) {
        let centre =
            store::directory::get_service_centre(&step.txn, verified.service_centre_id).await?;
        let tz = store::directory::time_zone(&centre)?;
        let (month, from, to) = crate::domain::calendar::local_month(tz, verified.created_at);
        let count = store::complaints::valid_against_staff(&step.txn, staff, from, to).await?;
        if complaint::alert_due(count, env.settings.staff_complaint_alert)
            && store::staff_alerts::insert_once(
                &step.txn,
                entity::staff_complaint_alerts::ActiveModel {
                    service_centre_id: Set(verified.service_centre_id),
                    staff_member_id: Set(staff),
                    month: Set(month.clone()),
                    complaint_count: Set(i32::try_from(count).unwrap_or(i32::MAX)),
                    complaint_id: Set(verified.id),
                    created_at: Set(env.now),
                    acknowledged_at: Set(None),
                    acknowledged_by: Set(None),
                    ..Default::default()
                },
            )
            .await?
        {
            let note = format!(
                "{count} valid service-caused complaints about the same staff member in {month}: the supervisors are alerted (R-CMP-9)"
            );
            append(
                &step.txn,
                env,
                verified.id,
                "STAFF_COMPLAINT_ALERT",
                None,
                None,
                Some(note),
                false,
            )
            .await?;
        }
    }
    step.txn.commit().await?;
    Ok(verified)
}

/// R-ESC-3: escalation by hand, with a reason, one level up.
pub async fn escalate(
    env: &Env<'_>,
    id: i64,
    version: i32,
    reason: String,
) -> ApiResult<complaints::Model> {
    let step = Step::begin(env, id, version, ComplaintAction::Escalate).await?;
    let reason = required_text("reason", &reason, 2000)?;
    let from = step.complaint.escalation_level;
    if from >= TOP_LEVEL {
        return Err(ApiError::bad_input(
            "id",
            "the complaint is already at the top level",
        ));
    }
    store::escalations::insert(
        &step.txn,
        escalated(&step.complaint),
        NewEscalation {
            from_level: from,
            to_level: from + 1,
            reason: reason.clone(),
            missed: None,
            escalated_by: Some(env.actor.user()?.id),
            from_user_id: step.complaint.owner_id,
        },
        env.now,
    )
    .await?;
    let changes = complaints::ActiveModel {
        escalation_level: Set(from + 1),
        ..Default::default()
    };
    step.commit(env, changes, Some(reason), false, ClockOps::default())
        .await
}

/// Reassigns the complaint to another agent or supervisor of its centre (recorded).
pub async fn reassign(
    env: &Env<'_>,
    id: i64,
    version: i32,
    owner_id: i64,
) -> ApiResult<complaints::Model> {
    let step = Step::begin(env, id, version, ComplaintAction::Reassign).await?;
    let owner = store::users::find(&step.txn, owner_id)
        .await?
        .filter(|u| {
            u.active
                && matches!(u.role, Role::Agent | Role::Supervisor)
                && u.service_centre_id == Some(step.complaint.service_centre_id)
        })
        .ok_or_else(|| {
            ApiError::bad_input("ownerId", "no such agent or supervisor in this centre")
        })?;
    let changes = complaints::ActiveModel {
        owner_id: Set(Some(owner.id)),
        ..Default::default()
    };
    step.commit(
        env,
        changes,
        Some(format!("reassigned to {}", owner.name)),
        false,
        ClockOps::default(),
    )
    .await
}

/// R-CMP-8: a SERIOUS or MAJOR complaint handed to the police or an insurer. Its progress is
/// logged on the timeline; the resolution and solution clocks pause (policy `pauseStates`),
/// the 24 h update clock keeps running (R-SLA-3).
pub async fn open_external_case(
    env: &Env<'_>,
    id: i64,
    version: i32,
    authority: String,
    reference: String,
) -> ApiResult<complaints::Model> {
    let step = Step::begin(env, id, version, ComplaintAction::OpenExternalCase).await?;
    complaint::check_external_case(step.complaint.severity)?;
    let authority = required_text("authority", &authority, 200)?;
    let reference = required_text("reference", &reference, 200)?;
    let note = format!("handed to {authority} (reference {reference})");
    step.commit(
        env,
        complaints::ActiveModel::default(),
        Some(note),
        true,
        ClockOps::default(),
    )
    .await
}

/// The external case is over: back to investigation, the paused clocks run again from where
/// they stood.
pub async fn close_external_case(
    env: &Env<'_>,
    id: i64,
    version: i32,
    outcome: String,
) -> ApiResult<complaints::Model> {
    let step = Step::begin(env, id, version, ComplaintAction::CloseExternalCase).await?;
    let outcome = required_text("outcome", &outcome, 4000)?;
    step.commit(
        env,
        complaints::ActiveModel::default(),
        Some(outcome),
        true,
        ClockOps::default(),
    )
    .await
}

/// The principal a complaint's customer is.
pub fn is_owner_customer(actor: &Principal, complaint: &complaints::Model) -> bool {
    matches!(actor, Principal::User(u) if u.role == Role::Customer && u.id == complaint.customer_id)
}
