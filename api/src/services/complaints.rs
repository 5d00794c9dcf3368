//! Complaints: receipt, acknowledgement, updates, investigation, compensation, resolution,
//! closure, escalation (R-CLS-1..3, R-ESC-1..6, R-CMP-1..4, R-SLA-3..6, R-SLA-10).

use chrono::{DateTime, Utc};
use entity::complaints::{self, ComplaintCategory, ComplaintChannel, ComplaintStatus, Severity};
use entity::ticket_events::TicketKind;
use entity::users::Role;
use rust_decimal::Decimal;
use sea_orm::{ActiveEnum, DatabaseTransaction, Set};

use super::assets::acting_for_customer;
use super::sla::{self as clocks, ClockTicket};
use super::{Env, required_text};
use crate::domain::complaint::{self, ComplaintAction, ComplaintParties, Signature, TOP_LEVEL};
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
    let repair_order = match input.repair_order_id {
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
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
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
        let complaint = store::complaints::find_for_update(&txn, id)
            .await?
            .ok_or(ApiError::NotFound("complaint"))?;
        complaint::authorize(env.actor, action, &ComplaintParties::from(&complaint))?;
        super::ensure_unsealed(env, "complaint", complaint.closed_at)?;
        if complaint.version != version {
            return Err(store::complaints::stale(complaint.version));
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
        let mut changes = changes;
        changes.status = Set(self.to);
        let updated = store::complaints::update_versioned(
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
        self.txn.commit().await?;
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
) -> ApiResult<complaints::Model> {
    let step = Step::begin(env, id, version, ComplaintAction::Reclassify).await?;
    let category = category.unwrap_or(step.complaint.category);
    let severity = complaint::classify(category, Some(severity.unwrap_or(step.complaint.severity)));
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

/// R-ESC-5: agents approve up to the limit, supervisors above it.
pub async fn approve_compensation(
    env: &Env<'_>,
    id: i64,
    version: i32,
    amount: Decimal,
) -> ApiResult<complaints::Model> {
    let step = Step::begin(env, id, version, ComplaintAction::ApproveCompensation).await?;
    let role = env.actor.require(&[Role::Agent, Role::Supervisor])?;
    complaint::check_compensation_approval(role, amount, env.settings.compensation_agent_limit)?;
    let changes = complaints::ActiveModel {
        compensation_amount: Set(Some(amount)),
        compensation_approved_by: Set(Some(env.actor.user()?.id)),
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

/// Tells the customer the result; asks how satisfied they are with it (R-CMP-4).
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
