//! Repair orders end to end: report, dispatch, field work, confirmation (R-SLA-1/2,
//! R-REP-1..3, R-PRV-1/2/7).

use chrono::{DateTime, Utc};
use entity::repair_lines::RepairLineKind;
use entity::repair_orders::{
    self, FaultCause, Priority, RepairChannel, RepairSolution, RepairStatus, RequestType,
    ReturnOutcome,
};
use entity::sla_policies::SlaMetric;
use entity::ticket_events::TicketKind;
use entity::users::Role;
use rust_decimal::Decimal;
use sea_orm::{ActiveEnum, DatabaseTransaction, Set};

use super::assets::acting_for_customer;
use super::sla::{self as clocks, ClockTicket};
use super::{Env, RuleSettings, required_text};
use crate::domain::identity::Principal;

use crate::domain::phone::Phone;
use crate::domain::reference::client_reference;
use crate::domain::repair::{self, OrderParties, RepairAction};
use crate::domain::sla::transitions::{self, ClockOps};
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::store::references::Referenced;
use crate::store::{self, events::NewEvent, repair_orders::Scope};

pub struct ReportFault {
    pub customer_id: Option<i64>,
    pub asset_id: i64,
    pub service_centre_id: Option<i64>,
    pub request_type: RequestType,
    pub fault_description: Option<String>,
    pub service_address: String,
    pub contact_phone: String,
    pub priority: Option<Priority>,
    pub channel: Option<RepairChannel>,
    /// The client's own id for the order; a repeat returns the first order (issue 13).
    pub external_reference: Option<String>,
}

/// Records a fault report and starts its clocks. They run by the stricter R-SLA-14 tier for an
/// URGENT order or a PREMIUM contract, else by the asset's warranty on the day of the report
/// (R-SLA-1/2), verified or not: a false claim gains only a faster visit, and a genuine
/// customer whose proof of purchase is not checked yet keeps the in-warranty limit. Only a
/// verified warranty makes the repair free (R-REP-1) and a return in the window reason-free
/// (R-REP-4).
pub async fn report_fault(env: &Env<'_>, input: ReportFault) -> ApiResult<repair_orders::Model> {
    let customer = acting_for_customer(env, input.customer_id).await?;
    let reference = client_reference(env.actor, input.external_reference.as_deref())?;
    if let Some(id) =
        super::created_before(env.db, Referenced::RepairOrder, reference.as_ref()).await?
    {
        return store::repair_orders::find(env.db, id)
            .await?
            .ok_or(ApiError::NotFound("repair order"));
    }
    // One transaction, so the whole use case holds one pooled connection.
    let txn = store::begin_write(env.db).await?;
    let order = report_in(&txn, env, &customer, input, reference).await?;
    txn.commit().await?;
    Ok(order)
}

/// Writes a fault report for `customer` (whom the caller acts for) inside the caller's
/// transaction, so a use case that raises one (an inquiry converted into a repair order,
/// R-SLA-11) reports it the same way as `report_fault`: its checks, timeline entry and clocks.
pub async fn report_in(
    txn: &DatabaseTransaction,
    env: &Env<'_>,
    customer: &crate::domain::identity::UserPrincipal,
    input: ReportFault,
    reference: Option<crate::domain::reference::ClientReference>,
) -> ApiResult<repair_orders::Model> {
    let mut errors = FieldErrors::default();
    let channel = errors.check(channel_for(env.actor, input.channel))?;
    let address = errors.check(required_text("serviceAddress", &input.service_address, 500))?;
    let contact_phone = errors.check(
        Phone::parse(
            "contactPhone",
            &input.contact_phone,
            env.settings.phone_region,
        )
        .map(Phone::into_string),
    )?;
    let asset = store::assets::find(txn, input.asset_id)
        .await?
        .filter(|asset| asset.customer_id == customer.id)
        .ok_or(ApiError::NotFound("asset"))?;
    let centre_id = match env.actor {
        Principal::User(user) if user.role != Role::Customer => user.service_centre_id,
        _ => crate::domain::identity::own_centre(
            input.service_centre_id,
            customer.service_centre_id,
        )?,
    }
    .ok_or_else(|| ApiError::bad_input("serviceCentreId", "choose the service centre"))?;
    let centre = store::directory::get_service_centre(txn, centre_id)
        .await
        .map_err(|err| err.missing_as_bad_input("serviceCentreId", "no such service centre"))?;
    let tz = store::directory::time_zone(&centre)?;
    let today = env.now.with_timezone(&tz).date_naive();
    let verified = asset.warranty_verified_at.is_some();
    let claimed_in_warranty = repair::in_warranty(asset.warranty_ends_on, today);
    let free = repair::free_of_charge(verified, asset.warranty_ends_on, today);
    let policies = store::sla_policies::of_kind(txn, TicketKind::RepairOrder).await?;
    let policy_minutes = |metric: SlaMetric, scope: &str| {
        policies
            .iter()
            .find(|p| p.metric == metric && p.scope == scope)
            .map(|p| i64::from(p.duration_minutes))
            .ok_or_else(|| ApiError::Internal(format!("no repair policy {metric:?}/{scope}")))
    };
    let priority = input.priority.unwrap_or(Priority::Normal);
    let scope = repair::sla_scope(priority, customer.sla_tier.as_deref(), claimed_in_warranty);
    let window_days =
        u64::try_from(policy_minutes(SlaMetric::ReturnWindow, "ANY")? / (24 * 60)).unwrap_or(0);
    let description = errors.check(match input.fault_description.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => required_text("faultDescription", text, 2000),
        _ if repair::needs_reason(
            input.request_type,
            asset.purchase_date,
            verified,
            today,
            window_days,
        ) =>
        {
            Err(ApiError::bad_input(
                "faultDescription",
                "describe the fault (or, after the no-reason window, the reason)",
            ))
        }
        _ => Ok(String::new()),
    })?;
    // Every field error of the input at once.
    let (((channel, address), contact_phone), description) =
        errors.values(channel.zip(address).zip(contact_phone).zip(description))?;
    let order = repair_orders::ActiveModel {
        customer_id: Set(customer.id),
        asset_id: Set(asset.id),
        service_centre_id: Set(centre.id),
        organization_id: Set(customer.organization_id),
        request_type: Set(input.request_type),
        fault_description: Set(description),
        service_address: Set(address),
        contact_phone: Set(contact_phone),
        priority: Set(priority),
        channel: Set(channel),
        status: Set(RepairStatus::Submitted),
        technician_id: Set(None),
        appointment_start: Set(None),
        appointment_end: Set(None),
        in_warranty: Set(free),
        reported_at: Set(env.now),
        arrived_at: Set(None),
        completed_at: Set(None),
        closed_at: Set(None),
        cancel_reason: Set(None),
        total_amount: Set(Decimal::ZERO),
        version: Set(1),
        created_at: Set(env.now),
        updated_at: Set(env.now),
        escalation_level: Set(1),
        resume_status: Set(None),
        waiting_reason: Set(None),
        sla_scope: Set(scope.to_owned()),
        external_reference: Set(reference.as_ref().map(|r| r.reference.clone())),
        reference_owner: Set(reference.map(|r| r.owner)),
        ..Default::default()
    };
    let order = store::repair_orders::insert(txn, order, env.now).await?;
    let note = format!("reported via {}", repair_channel_name(channel));
    append(
        txn,
        env,
        order.id,
        "REPORTED",
        None,
        Some(RepairStatus::Submitted),
        Some(note),
        true,
    )
    .await?;
    let metrics = (
        transitions::on_creation(TicketKind::RepairOrder),
        transitions::met_on_report(channel),
    );
    clocks::start_new(
        txn,
        env.actor,
        &ClockTicket::from(&order),
        policies,
        metrics,
        env.now,
    )
    .await?;
    Ok(order)
}

/// Customers report from the app and partners over the API; staff say how the customer
/// reached them.
fn channel_for(actor: &Principal, requested: Option<RepairChannel>) -> ApiResult<RepairChannel> {
    match actor.role() {
        Some(Role::Customer) => Ok(RepairChannel::App),
        Some(Role::Partner) => Ok(RepairChannel::Partner),
        _ => match requested.unwrap_or(RepairChannel::Phone) {
            channel @ (RepairChannel::Phone | RepairChannel::WalkIn) => Ok(channel),
            _ => Err(ApiError::bad_input(
                "channel",
                "staff record PHONE or WALK_IN reports",
            )),
        },
    }
}

fn repair_channel_name(channel: RepairChannel) -> String {
    use sea_orm::ActiveEnum;
    channel.to_value()
}

/// One order, if the caller may see it; otherwise `NOT_FOUND`.
pub async fn get(env: &Env<'_>, id: i64) -> ApiResult<repair_orders::Model> {
    env.actor.role().ok_or(ApiError::Unauthenticated)?;
    store::repair_orders::find(env.db, id)
        .await?
        .filter(|order| repair::can_view(env.actor, &OrderParties::from(order)))
        .ok_or(ApiError::NotFound("repair order"))
}

/// The orders the caller may list: their own (customer), assigned (technician), their centre's
/// (agent, supervisor) or their organization's (partner).
pub fn scope_of(actor: &Principal) -> ApiResult<Scope> {
    match actor {
        Principal::Anonymous => Err(ApiError::Unauthenticated),
        Principal::Partner {
            organization_id, ..
        } => Ok(Scope::Organization(*organization_id)),
        Principal::User(user) => match (user.role, user.service_centre_id) {
            (Role::Customer, _) => Ok(Scope::Customer(user.id)),
            (Role::Technician, _) => Ok(Scope::Technician(user.id)),
            (Role::Agent | Role::Supervisor, Some(centre)) => Ok(Scope::ServiceCentre(centre)),
            _ => Err(ApiError::Forbidden),
        },
    }
}

/// A state change in progress: the order as read, inside the transaction that will write it.
/// Use cases begin a step before checking their arguments, so callers who may not act learn
/// nothing from validation errors.
pub(super) struct Step {
    pub(super) txn: DatabaseTransaction,
    pub(super) order: repair_orders::Model,
    action: RepairAction,
    to: RepairStatus,
}

/// Extra timeline entry written with a step.
pub(super) struct Extra {
    pub(super) action: &'static str,
    pub(super) note: String,
    pub(super) public: bool,
}

impl Step {
    /// Checks, in this order: visibility and role, the caller's version, the state machine.
    async fn begin(env: &Env<'_>, id: i64, version: i32, action: RepairAction) -> ApiResult<Self> {
        let txn = store::begin_write(env.db).await?;
        let order = store::repair_orders::find_for_update(&txn, id)
            .await?
            .ok_or(ApiError::NotFound("repair order"))?;
        repair::authorize(env.actor, action, &OrderParties::from(&order))?;
        super::ensure_unsealed(env, "repair order", order.closed_at)?;
        if order.version != version {
            return Err(store::versioned::stale::<repair_orders::Entity>(
                order.version,
            ));
        }
        let to = repair::next_status(action, order.status, order.resume_status)?;
        repair::check_track(action, order.status, order.request_type, order.solution)?;
        Ok(Self {
            txn,
            order,
            action,
            to,
        })
    }

    /// A step on an order its caller already locked and checked (R-REP-5: a parts request's
    /// approval or arrival moves the order it belongs to).
    pub(super) fn locked(
        txn: DatabaseTransaction,
        order: repair_orders::Model,
        action: RepairAction,
    ) -> ApiResult<Self> {
        let to = repair::next_status(action, order.status, order.resume_status)?;
        repair::check_track(action, order.status, order.request_type, order.solution)?;
        Ok(Self {
            txn,
            order,
            action,
            to,
        })
    }

    /// Writes the change, its timeline entries and what it does to the clocks (the action's
    /// `transitions::repair` ops; a status change may pause or resume some).
    pub(super) async fn commit(
        self,
        env: &Env<'_>,
        mut changes: repair_orders::ActiveModel,
        note: Option<String>,
        extra: Option<Extra>,
    ) -> ApiResult<repair_orders::Model> {
        changes.status = Set(self.to);
        let updated = store::versioned::update::<repair_orders::Entity>(
            &self.txn,
            self.order.id,
            self.order.version,
            changes,
            env.now,
        )
        .await?;
        append(
            &self.txn,
            env,
            self.order.id,
            self.action.event(),
            Some(self.order.status),
            Some(self.to),
            note,
            true,
        )
        .await?;
        if let Some(extra) = extra {
            append(
                &self.txn,
                env,
                self.order.id,
                extra.action,
                None,
                None,
                Some(extra.note),
                extra.public,
            )
            .await?;
        }
        let ops = transitions::repair(self.action);
        if self.order.status != self.to || ops != ClockOps::default() {
            clocks::transition(
                &self.txn,
                env.actor,
                &ClockTicket::from(&updated),
                ops,
                env.now,
            )
            .await?;
        }
        self.txn.commit().await?;
        Ok(updated)
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn append(
    txn: &DatabaseTransaction,
    env: &Env<'_>,
    order_id: i64,
    action: &'static str,
    from: Option<RepairStatus>,
    to: Option<RepairStatus>,
    note: Option<String>,
    public: bool,
) -> ApiResult<()> {
    store::events::append(
        txn,
        NewEvent {
            kind: TicketKind::RepairOrder,
            ticket_id: order_id,
            actor: env.actor,
            action,
            from_status: from.map(repair::status_name),
            to_status: to.map(repair::status_name),
            note,
            public,
        },
        env.now,
    )
    .await
}

fn optional_text(
    field: &'static str,
    value: Option<String>,
    max: usize,
) -> ApiResult<Option<String>> {
    value.map(|v| required_text(field, &v, max)).transpose()
}

/// Dispatches (or re-dispatches) a technician of the order's service centre. The note goes on
/// the public status entry, or, when `note_internal`, on an entry of its own for staff only,
/// while the customer's entry names the technician.
pub async fn assign_technician(
    env: &Env<'_>,
    id: i64,
    version: i32,
    technician_id: i64,
    note: Option<String>,
    note_internal: bool,
) -> ApiResult<repair_orders::Model> {
    let step = Step::begin(env, id, version, RepairAction::Assign).await?;
    let technician = store::users::find(&step.txn, technician_id)
        .await?
        .filter(|user| {
            user.role == Role::Technician
                && user.active
                && user.service_centre_id == Some(step.order.service_centre_id)
        })
        .ok_or_else(|| {
            ApiError::bad_input("technicianId", "no such technician in this service centre")
        })?;
    let changes = repair_orders::ActiveModel {
        technician_id: Set(Some(technician.id)),
        ..Default::default()
    };
    let named = format!("technician {}", technician.name);
    let (note, extra) = match optional_text("note", note, 2000)? {
        Some(note) if note_internal => (
            named,
            Some(Extra {
                action: RepairAction::AddNote.event(),
                note,
                public: false,
            }),
        ),
        Some(note) => (note, None),
        None => (named, None),
    };
    step.commit(env, changes, Some(note), extra).await
}

/// Steps that carry no data of their own: accept, start travel, confirm, close.
pub async fn advance(
    env: &Env<'_>,
    id: i64,
    version: i32,
    action: RepairAction,
    note: Option<String>,
) -> ApiResult<repair_orders::Model> {
    let step = Step::begin(env, id, version, action).await?;
    let note = optional_text("note", note, 2000)?;
    let unreachable = step.order.status == RepairStatus::WaitingForCustomer;
    if action == RepairAction::Close && unreachable && note.is_none() {
        return Err(ApiError::bad_input(
            "reason",
            "say why the order of an unreachable customer is closed",
        ));
    }
    let mut changes = repair_orders::ActiveModel::default();
    match action {
        RepairAction::Confirm => {}
        RepairAction::Close => changes.closed_at = Set(Some(env.now)),
        RepairAction::Accept | RepairAction::StartTravel => {}
        other => {
            return Err(ApiError::Internal(format!("{other:?} is not a plain step")));
        }
    }
    // R-SUR-1: a confirmed or closed repair gets its one survey; closure schedules the return
    // visits (R-SLA-7, R-SLA-8). Both in the transition's transaction.
    if matches!(action, RepairAction::Confirm | RepairAction::Close) {
        super::surveys::issue(&step.txn, env.now, env.settings, (&step.order).into()).await?;
    }
    if action == RepairAction::Close {
        let (ticket, completed_at) = ((&step.order).into(), step.order.completed_at);
        super::return_visits::schedule_after_closure(
            &step.txn,
            env.actor,
            ticket,
            completed_at,
            env.now,
        )
        .await?;
    }
    step.commit(env, changes, note, None).await
}

/// R-SLA-1/2: the arrival clock is met; arriving after its deadline is its breach.
pub async fn mark_arrived(env: &Env<'_>, id: i64, version: i32) -> ApiResult<repair_orders::Model> {
    let step = Step::begin(env, id, version, RepairAction::MarkArrived).await?;
    let changes = repair_orders::ActiveModel {
        arrived_at: Set(Some(env.now)),
        ..Default::default()
    };
    step.commit(env, changes, None, None).await
}

pub struct NewLine {
    pub kind: RepairLineKind,
    pub description: String,
    pub part_code: Option<String>,
    pub quantity: Decimal,
    pub unit_price: Decimal,
}

/// Records a part or labour line on site; the payable total follows (R-REP-1, R-REP-3).
pub async fn add_line(
    env: &Env<'_>,
    id: i64,
    version: i32,
    line: NewLine,
) -> ApiResult<repair_orders::Model> {
    let step = Step::begin(env, id, version, RepairAction::AddLine).await?;
    let description = required_text("description", &line.description, 500)?;
    let part_code = optional_text("partCode", line.part_code, 64)?;
    let amount = repair::line_amount(line.quantity, line.unit_price)?;
    let technician_id = env.actor.user()?.id;
    let existing = store::repair_lines::for_orders(&step.txn, &[id]).await?;
    store::repair_lines::insert(
        &step.txn,
        store::repair_lines::NewLine {
            repair_order_id: id,
            kind: line.kind,
            description: description.clone(),
            part_code,
            quantity: line.quantity,
            unit_price: line.unit_price,
            amount,
            created_by: technician_id,
        },
        env.now,
    )
    .await?;
    let total = repair::chargeable_total(
        repair::free_repair(step.order.in_warranty, step.order.fault_cause),
        existing.iter().map(|l| l.amount).chain([amount]),
    )?;
    let changes = repair_orders::ActiveModel {
        total_amount: Set(total),
        ..Default::default()
    };
    let note = format!("{} × {description}: {amount}", line.quantity);
    step.commit(env, changes, Some(note), None).await
}

/// What the technician found on site (R-REP-2).
pub struct Diagnosis {
    pub findings: String,
    pub cause: FaultCause,
    /// Required for a fault the customer caused, and only then.
    pub cause_reason: Option<String>,
    pub solution: RepairSolution,
}

/// R-REP-2: the assigned technician records on site what they found, the fault's cause and
/// the solution chosen. A fault the customer caused, with the reason, makes the repair paid
/// even within the warranty (R-REP-1): the total is recomputed from the lines. Recorded again,
/// the latest diagnosis counts; each is on the public timeline.
pub async fn diagnose(
    env: &Env<'_>,
    id: i64,
    version: i32,
    diagnosis: Diagnosis,
) -> ApiResult<repair_orders::Model> {
    let step = Step::begin(env, id, version, RepairAction::Diagnose).await?;
    let mut errors = FieldErrors::default();
    let findings = errors.check(required_text("diagnosis", &diagnosis.findings, 2000))?;
    let reason = errors.check(match (diagnosis.cause, diagnosis.cause_reason.as_deref()) {
        (FaultCause::CustomerCaused, Some(reason)) => {
            required_text("causeReason", reason, 1000).map(Some)
        }
        (FaultCause::CustomerCaused, None) => Err(ApiError::bad_input(
            "causeReason",
            "say why the fault is the customer's",
        )),
        (FaultCause::Quality, Some(_)) => Err(ApiError::bad_input(
            "causeReason",
            "only a fault the customer caused has a reason",
        )),
        (FaultCause::Quality, None) => Ok(None),
    })?;
    let (findings, reason) = errors.values(findings.zip(reason))?;
    let lines = store::repair_lines::for_orders(&step.txn, &[id]).await?;
    let free = repair::free_repair(step.order.in_warranty, Some(diagnosis.cause));
    let total = repair::chargeable_total(free, lines.iter().map(|l| l.amount))?;
    let mut note = format!(
        "{findings} (cause {}, solution {})",
        diagnosis.cause.to_value(),
        diagnosis.solution.to_value()
    );
    if let Some(reason) = &reason {
        note.push_str(&format!(
            "; caused by the customer: {reason}; charged even in warranty"
        ));
    }
    let changes = repair_orders::ActiveModel {
        diagnosis: Set(Some(findings)),
        fault_cause: Set(Some(diagnosis.cause)),
        fault_cause_reason: Set(reason),
        solution: Set(Some(diagnosis.solution)),
        total_amount: Set(total),
        ..Default::default()
    };
    step.commit(env, changes, Some(note), None).await
}

/// R-REP-2: a return, exchange or refund (asked for by the customer, or the solution chosen in
/// the diagnosis) ends with its outcome instead of a completed repair: the order closes at
/// once, its clocks are resolved, the survey is issued and the return visits are scheduled
/// as for any closed order (R-SUR-1, R-SLA-7/8). The note is public.
pub async fn record_outcome(
    env: &Env<'_>,
    id: i64,
    version: i32,
    outcome: ReturnOutcome,
    note: String,
) -> ApiResult<repair_orders::Model> {
    let step = Step::begin(env, id, version, RepairAction::RecordOutcome).await?;
    let mut errors = FieldErrors::default();
    let fits = errors.check(repair::check_outcome(
        step.order.request_type,
        step.order.solution,
        outcome,
    ))?;
    let note = errors.check(required_text("note", &note, 2000))?;
    let ((), note) = errors.values(fits.zip(note))?;
    let completed_at = step.order.completed_at.unwrap_or(env.now);
    super::surveys::issue(&step.txn, env.now, env.settings, (&step.order).into()).await?;
    super::return_visits::schedule_after_closure(
        &step.txn,
        env.actor,
        (&step.order).into(),
        Some(completed_at),
        env.now,
    )
    .await?;
    let changes = repair_orders::ActiveModel {
        return_outcome: Set(Some(outcome)),
        completed_at: Set(Some(completed_at)),
        closed_at: Set(Some(env.now)),
        ..Default::default()
    };
    let note = format!("{}: {note}", outcome.to_value());
    step.commit(env, changes, Some(note), None).await
}

/// The technician finishes; what was done is part of the repair record (R-REP-3).
pub async fn complete(
    env: &Env<'_>,
    id: i64,
    version: i32,
    work_done: String,
) -> ApiResult<repair_orders::Model> {
    let step = Step::begin(env, id, version, RepairAction::Complete).await?;
    let work_done = required_text("workDone", &work_done, 4000)?;
    let changes = repair_orders::ActiveModel {
        completed_at: Set(Some(env.now)),
        ..Default::default()
    };
    step.commit(env, changes, Some(work_done), None).await
}

/// The customer is not satisfied with the result: the order is reopened for a new visit.
pub async fn reject(
    env: &Env<'_>,
    id: i64,
    version: i32,
    reason: String,
) -> ApiResult<repair_orders::Model> {
    let step = Step::begin(env, id, version, RepairAction::Reject).await?;
    let reason = required_text("reason", &reason, 2000)?;
    step.commit(
        env,
        repair_orders::ActiveModel::default(),
        Some(reason),
        None,
    )
    .await
}

pub async fn cancel(
    env: &Env<'_>,
    id: i64,
    version: i32,
    reason: String,
) -> ApiResult<repair_orders::Model> {
    let step = Step::begin(env, id, version, RepairAction::Cancel).await?;
    let reason = required_text("reason", &reason, 2000)?;
    let changes = repair_orders::ActiveModel {
        cancel_reason: Set(Some(reason.clone())),
        ..Default::default()
    };
    step.commit(env, changes, Some(reason), None).await
}

/// Books the visit. A customer's window after the arrival limit moves the limit to the window's
/// end and says so on the timeline; staff record such a wish with `customer_requested`.
pub async fn schedule_appointment(
    env: &Env<'_>,
    id: i64,
    version: i32,
    window: (DateTime<Utc>, DateTime<Utc>),
    customer_requested: bool,
) -> ApiResult<repair_orders::Model> {
    let step = Step::begin(env, id, version, RepairAction::ScheduleAppointment).await?;
    repair::check_window(window.0, window.1, env.now)?;
    let by_customer = env.actor.role() == Some(Role::Customer) || customer_requested;
    let ticket = ClockTicket::from(&step.order);
    let moved =
        clocks::book_arrival(&step.txn, env.actor, &ticket, window, by_customer, env.now).await?;
    let changes = repair_orders::ActiveModel {
        appointment_start: Set(Some(window.0)),
        appointment_end: Set(Some(window.1)),
        ..Default::default()
    };
    let note = format!(
        "visit booked {} – {}",
        window.0.to_rfc3339(),
        window.1.to_rfc3339()
    );
    let extra = moved.map(|(due, asked)| Extra {
        action: if asked {
            "DEADLINE_MOVED_BY_CUSTOMER"
        } else {
            "DEADLINE_RESTORED"
        },
        note: format!("arrival deadline is now {}", due.to_rfc3339()),
        public: true,
    });
    step.commit(env, changes, Some(note), extra).await
}

/// A note on the timeline without a state change; internal notes are staff-only.
pub async fn add_note(
    env: &Env<'_>,
    id: i64,
    note: String,
    public: bool,
) -> ApiResult<repair_orders::Model> {
    let txn = store::begin_write(env.db).await?;
    let order = store::repair_orders::find_for_update(&txn, id)
        .await?
        .ok_or(ApiError::NotFound("repair order"))?;
    repair::authorize(
        env.actor,
        RepairAction::AddNote,
        &OrderParties::from(&order),
    )?;
    super::ensure_unsealed(env, "repair order", order.closed_at)?;
    repair::next_status(RepairAction::AddNote, order.status, None)?;
    let note = required_text("note", &note, 4000)?;
    append(
        &txn,
        env,
        id,
        RepairAction::AddNote.event(),
        None,
        None,
        Some(note),
        public,
    )
    .await?;
    if public {
        let ticket = ClockTicket::from(&order);
        clocks::transition(&txn, env.actor, &ticket, transitions::PUBLIC_NOTE, env.now).await?;
    }
    txn.commit().await?;
    Ok(order)
}

/// Longest note a customer adds to their order.
pub const CUSTOMER_NOTE_CHARS: usize = 1000;

/// The customer adds a public note to their own open order (a gate code, a better time to
/// call): a `CUSTOMER_NOTE` timeline entry everyone on the order reads. It changes nothing
/// else and meets no clock. `version`, when given, must be the current one.
pub async fn add_customer_note(
    env: &Env<'_>,
    id: i64,
    version: Option<i32>,
    note: String,
) -> ApiResult<repair_orders::Model> {
    let txn = store::begin_write(env.db).await?;
    let order = store::repair_orders::find_for_update(&txn, id)
        .await?
        .ok_or(ApiError::NotFound("repair order"))?;
    let action = RepairAction::CustomerNote;
    repair::authorize(env.actor, action, &OrderParties::from(&order))?;
    super::ensure_unsealed(env, "repair order", order.closed_at)?;
    if version.is_some_and(|v| v != order.version) {
        return Err(store::versioned::stale::<repair_orders::Entity>(
            order.version,
        ));
    }
    repair::next_status(action, order.status, None)?;
    let note = required_text("note", &note, CUSTOMER_NOTE_CHARS)?;
    append(&txn, env, id, action.event(), None, None, Some(note), true).await?;
    txn.commit().await?;
    Ok(order)
}

/// What the order waits for (waiting for parts comes from an approved parts request,
/// `services::parts_requests`).
pub enum Wait {
    /// The customer cannot be reached, and why.
    Customer { reason: String },
}

/// Puts the order in WAITING_FOR_CUSTOMER, remembering where it was: the clocks whose policies
/// name that state pause (contact and resolution, never arrival). The reason stays internal.
pub async fn wait(
    env: &Env<'_>,
    id: i64,
    version: i32,
    wait: Wait,
) -> ApiResult<repair_orders::Model> {
    let action = match wait {
        Wait::Customer { .. } => RepairAction::MarkUnreachable,
    };
    let step = Step::begin(env, id, version, action).await?;
    let (reason, public_note) = match wait {
        Wait::Customer { reason } => (
            required_text("reason", &reason, 2000)?,
            "we could not reach you; please call us back",
        ),
    };
    let changes = repair_orders::ActiveModel {
        resume_status: Set(Some(step.order.status)),
        waiting_reason: Set(Some(reason.clone())),
        ..Default::default()
    };
    let extra = Some(Extra {
        action: RepairAction::AddNote.event(),
        note: reason,
        public: false,
    });
    step.commit(env, changes, Some(public_note.into()), extra)
        .await
}

/// The wait is over (parts arrived, customer reached): back to the status the order waited in;
/// paused clocks run again, their deadlines moved on by the wait.
pub async fn end_wait(
    env: &Env<'_>,
    id: i64,
    version: i32,
    action: RepairAction,
    note: Option<String>,
) -> ApiResult<repair_orders::Model> {
    let step = Step::begin(env, id, version, action).await?;
    let note = optional_text("note", note, 2000)?;
    let changes = repair_orders::ActiveModel {
        resume_status: Set(None),
        waiting_reason: Set(None),
        ..Default::default()
    };
    step.commit(env, changes, note, None).await
}

/// The customer neither confirmed nor rejected the completed repair within the confirmation
/// period: the sweeper confirms it for them, says so on the timeline and issues the survey
/// (R-SUR-1), so return visits and surveys still happen.
pub async fn confirm_for_silent_customer(
    txn: &DatabaseTransaction,
    settings: &RuleSettings,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let system = Principal::Anonymous;
    let Some(order) = store::repair_orders::find(txn, id).await? else {
        return Ok(());
    };
    if order.status != RepairStatus::Completed {
        return Ok(());
    }
    let changes = repair_orders::ActiveModel {
        status: Set(RepairStatus::Confirmed),
        ..Default::default()
    };
    let updated = store::versioned::update::<repair_orders::Entity>(
        txn,
        order.id,
        order.version,
        changes,
        now,
    )
    .await?;
    store::events::append(
        txn,
        NewEvent {
            kind: TicketKind::RepairOrder,
            ticket_id: order.id,
            actor: &system,
            action: "AUTO_CONFIRMED",
            from_status: Some(repair::status_name(order.status)),
            to_status: Some(repair::status_name(RepairStatus::Confirmed)),
            note: Some("confirmed for you: we heard nothing within the confirmation period".into()),
            public: true,
        },
        now,
    )
    .await?;
    super::surveys::issue(txn, now, settings, (&order).into()).await?;
    let ops = transitions::repair(RepairAction::Confirm);
    clocks::transition(txn, &system, &ClockTicket::from(&updated), ops, now).await
}
