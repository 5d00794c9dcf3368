//! Return visits (回访): scheduled when a repair or a complaint closes, the intervals set by
//! policy (R-SLA-7, R-SLA-8), at callable times (R-SUR-2), recorded in full with unreachable
//! customers called again (R-SUR-3), a complaint raised from the call (R-CMP-6), reviewed by a
//! supervisor (R-SLA-9).

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use entity::complaints::{ComplaintCategory, ComplaintChannel, Severity};
use entity::return_visits::{self, Column, VisitChannel, VisitOutcome, VisitSatisfaction};
use entity::sla_policies::SlaMetric;
use entity::ticket_events::TicketKind;
use entity::users::Role;
use sea_orm::{ActiveEnum, DatabaseTransaction, Set};

use super::complaints::NewComplaint;
use super::sla::{self, Start};
use super::{Env, Ticket, required_text};
use crate::domain::identity::Principal;
use crate::domain::return_visit::{self, Finished, RestHours, VisitReport};
use crate::domain::sla::transitions::ClockOps;
use crate::error::{ApiError, ApiResult};
use crate::store::{self, events::NewEvent};

/// Who makes and records return visits.
const STAFF: &[Role] = &[Role::Agent, Role::Supervisor];

/// Recording an attempt meets the visit's clock (an unreachable customer's next attempt has a
/// clock of its own).
const MEET_VISIT: ClockOps = ClockOps {
    meet: &[SlaMetric::ReturnVisit],
    stop_all: false,
    start: &[],
};

/// A supervisor's review meets the review clock (R-SLA-9).
const MEET_REVIEW: ClockOps = ClockOps {
    meet: &[SlaMetric::Review],
    stop_all: false,
    start: &[],
};

/// The centre's time zone and its customers' rest hours.
async fn local_rules(txn: &DatabaseTransaction, centre_id: i64) -> ApiResult<(Tz, RestHours)> {
    let centre = store::directory::get_service_centre(txn, centre_id).await?;
    let rest = store::return_visits::rest_hours(txn, centre_id).await?;
    Ok((store::directory::time_zone(&centre)?, rest))
}

impl From<&return_visits::Model> for Ticket {
    fn from(visit: &return_visits::Model) -> Self {
        Self {
            kind: visit.ticket_kind,
            id: visit.ticket_id,
            customer_id: visit.customer_id,
            service_centre_id: visit.service_centre_id,
            organization_id: visit.organization_id,
        }
    }
}

fn pending_visit(
    ticket: &Ticket,
    purpose: return_visits::VisitPurpose,
    attempt: i16,
    due_at: DateTime<Utc>,
    customer_chose_time: bool,
    now: DateTime<Utc>,
) -> return_visits::ActiveModel {
    return_visits::ActiveModel {
        ticket_kind: Set(ticket.kind),
        ticket_id: Set(ticket.id),
        customer_id: Set(ticket.customer_id),
        service_centre_id: Set(ticket.service_centre_id),
        organization_id: Set(ticket.organization_id),
        purpose: Set(purpose),
        attempt: Set(attempt),
        due_at: Set(due_at),
        customer_chose_time: Set(customer_chose_time),
        created_at: Set(now),
        ..Default::default()
    }
}

/// Called inside the closing transaction of a ticket whose work was done at `completed_at` (a
/// repair's completion, a complaint's resolution): its visits (R-SLA-7, and R-SLA-8 for a
/// repair), each with its SLA clock running from the closure or the work for the interval its
/// policy sets at this moment, and planned for a callable time within it (R-SUR-2). Reading
/// the policy here lets an admin change the interval without a release.
pub async fn schedule_after_closure(
    txn: &DatabaseTransaction,
    actor: &Principal,
    ticket: Ticket,
    completed_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let (tz, rest) = local_rules(txn, ticket.service_centre_id).await?;
    let finished = Finished {
        completed_at: completed_at.unwrap_or(now),
        closed_at: now,
    };
    let policies = store::sla_policies::of_kind(txn, TicketKind::ReturnVisit).await?;
    for &purpose in return_visit::purposes(ticket.kind) {
        let scope = purpose.to_value();
        let policy = policies
            .iter()
            .find(|p| p.metric == SlaMetric::ReturnVisit && p.scope == scope)
            .ok_or_else(|| ApiError::Internal(format!("no return-visit policy for {scope}")))?;
        let interval = Duration::minutes(i64::from(policy.duration_minutes));
        let due_at = return_visit::due_at(purpose, interval, finished, &rest, tz);
        let visit = pending_visit(&ticket, purpose, 1, due_at, false, now);
        let visit = store::return_visits::insert(txn, visit).await?;
        let from = return_visit::counts_from(purpose, finished);
        let clock = Start {
            from,
            ..Start::now(SlaMetric::ReturnVisit, now)
        };
        let policies = Some(policies.clone());
        sla::start(txn, actor, &(&visit).into(), policies, vec![clock], now).await?;
        // Staff work: an internal entry on the visited ticket (and so in the staff's feed).
        let event = NewEvent {
            kind: ticket.kind,
            ticket_id: ticket.id,
            actor,
            action: "RETURN_VISIT_SCHEDULED",
            from_status: None,
            to_status: None,
            note: Some(format!("{scope} visit planned for {}", due_at.to_rfc3339())),
            public: false,
        };
        store::events::append(txn, event, now).await?;
    }
    Ok(())
}

/// A visit of the caller's centre; other centres' visits do not exist for them
/// (`return_visit::can_view`).
pub(crate) async fn visit_of_centre(
    txn: &DatabaseTransaction,
    env: &Env<'_>,
    id: i64,
) -> ApiResult<return_visits::Model> {
    env.actor.user()?;
    store::return_visits::find(txn, id)
        .await?
        .filter(|visit| return_visit::can_view(env.actor, visit.service_centre_id))
        .ok_or(ApiError::NotFound("return visit"))
}

/// The complaint the customer raised during the call.
pub struct RaisedComplaint {
    pub category: ComplaintCategory,
    pub severity: Option<Severity>,
    pub description: String,
}

pub struct RecordVisit {
    pub visited_at: DateTime<Utc>,
    pub channel: VisitChannel,
    pub satisfaction: Option<VisitSatisfaction>,
    pub improvement: Option<String>,
    pub answers: String,
    pub outcome: VisitOutcome,
    pub retry_at: Option<DateTime<Utc>>,
    pub retry_customer_chosen: bool,
    pub complaint: Option<RaisedComplaint>,
}

/// R-SUR-3: records who called, when, how, the answers and the outcome; the attempt meets the
/// visit's clock. The report (this record) is due by the end of the next working day after the
/// call and its review by the end of the next working day after filing (R-SLA-9): clocks of
/// their own. An unreachable customer, and one short of satisfied after the apology (R-SUR-4),
/// gets the next attempt at the retry time, its clock running the visit interval again (or to
/// the time the customer chose); a complaint raised on the call is filed with channel
/// RETURN_VISIT (R-CMP-6).
pub async fn record(env: &Env<'_>, id: i64, input: RecordVisit) -> ApiResult<return_visits::Model> {
    env.actor.require(STAFF)?;
    let agent_id = env.actor.user()?.id;
    let txn = store::begin_write(env.db).await?;
    let visit = visit_of_centre(&txn, env, id).await?;
    // R-PRV-9: a visit follows the seal of the ticket it visits.
    super::ensure_ticket_unsealed(&txn, env, visit.ticket_kind, visit.ticket_id).await?;
    if visit.recorded_at.is_some() {
        return Err(ApiError::InvalidTransition {
            action: "record the return visit",
            current: "RECORDED".into(),
        });
    }
    let (tz, rest) = local_rules(&txn, visit.service_centre_id).await?;
    let improvement = input
        .improvement
        .as_deref()
        .map(|text| required_text("improvement", text, 2000))
        .transpose()?;
    return_visit::check_report(
        &VisitReport {
            visited_at: input.visited_at,
            satisfaction: input.satisfaction,
            improvement: improvement.clone(),
            outcome: input.outcome,
            retry_at: input.retry_at,
            retry_customer_chosen: input.retry_customer_chosen,
            raises_complaint: input.complaint.is_some(),
        },
        env.now,
        &rest,
        tz,
    )?;
    let answers = required_text("answers", &input.answers, 4000)?;
    let ticket = Ticket::from(&visit);
    let complaint = match input.complaint {
        Some(raised) => Some(
            super::complaints::insert(
                &txn,
                env,
                NewComplaint {
                    customer_id: ticket.customer_id,
                    organization_id: ticket.organization_id,
                    repair_order_id: super::number_and_order(&txn, &ticket).await?.1,
                    service_centre_id: ticket.service_centre_id,
                    channel: ComplaintChannel::ReturnVisit,
                    category: raised.category,
                    severity: raised.severity,
                    description: required_text("complaint.description", &raised.description, 4000)?,
                    reference: None,
                    // R-CLS-4: raised on a complaint's visit, it is about the same event.
                    details: super::complaints::ComplaintDetails {
                        repeat_of_id: (ticket.kind == TicketKind::Complaint).then_some(ticket.id),
                        ..Default::default()
                    },
                },
            )
            .await?,
        ),
        None => None,
    };
    let changes = return_visits::ActiveModel {
        agent_id: Set(Some(agent_id)),
        visited_at: Set(Some(input.visited_at)),
        channel: Set(Some(input.channel)),
        satisfied: Set(input.satisfaction.map(return_visit::is_satisfied)),
        satisfaction: Set(input.satisfaction),
        improvement: Set(improvement.clone()),
        answers: Set(Some(answers)),
        outcome: Set(Some(input.outcome)),
        retry_at: Set(input.retry_at),
        complaint_id: Set(complaint.as_ref().map(|c| c.id)),
        recorded_at: Set(Some(env.now)),
        ..Default::default()
    };
    let recorded = store::return_visits::update_if(&txn, id, Column::RecordedAt, changes).await?;
    let clocks = sla::ClockTicket::from(&recorded);
    sla::transition(&txn, env.actor, &clocks, MEET_VISIT, env.now).await?;
    let report = Start {
        from: input.visited_at,
        met_at: Some(env.now),
        ..Start::now(SlaMetric::Report, env.now)
    };
    let review = Start::now(SlaMetric::Review, env.now);
    sla::start(
        &txn,
        env.actor,
        &clocks,
        None,
        vec![report, review],
        env.now,
    )
    .await?;
    if let Some(retry_at) = input.retry_at {
        let next = pending_visit(
            &ticket,
            visit.purpose,
            visit.attempt.saturating_add(1),
            retry_at,
            input.retry_customer_chosen,
            env.now,
        );
        let next = store::return_visits::insert(&txn, next).await?;
        let clock = Start {
            asked: input.retry_customer_chosen.then_some(retry_at),
            ..Start::now(SlaMetric::ReturnVisit, env.now)
        };
        sla::start(&txn, env.actor, &(&next).into(), None, vec![clock], env.now).await?;
    }
    let mut note = format!(
        "return visit ({}) by {}: {}",
        visit.purpose.to_value(),
        input.channel.to_value(),
        input.outcome.to_value()
    );
    if let Some(answer) = input.satisfaction {
        note.push_str(&format!("; {}", answer.to_value()));
    }
    if let Some(improvement) = &improvement {
        note.push_str(&format!("; apologised, to improve: {improvement}"));
    }
    if let Some(complaint) = &complaint {
        note.push_str(&format!("; complaint {} filed", complaint.number));
    }
    append(&txn, env, &visit, "RETURN_VISIT_RECORDED", note).await?;
    txn.commit().await?;
    Ok(recorded)
}

/// R-SLA-9: a supervisor of the centre reviews the filed report, once.
pub async fn review(
    env: &Env<'_>,
    id: i64,
    note: Option<String>,
) -> ApiResult<return_visits::Model> {
    env.actor.require(&[Role::Supervisor])?;
    let supervisor_id = env.actor.user()?.id;
    let txn = store::begin_write(env.db).await?;
    let visit = visit_of_centre(&txn, env, id).await?;
    super::ensure_ticket_unsealed(&txn, env, visit.ticket_kind, visit.ticket_id).await?;
    let current = match (visit.recorded_at, visit.reviewed_at) {
        (None, _) => Some("PENDING"),
        (_, Some(_)) => Some("REVIEWED"),
        _ => None,
    };
    if let Some(current) = current {
        return Err(ApiError::InvalidTransition {
            action: "review the return visit",
            current: current.into(),
        });
    }
    let note = note.map(|n| required_text("note", &n, 2000)).transpose()?;
    let changes = return_visits::ActiveModel {
        reviewed_by: Set(Some(supervisor_id)),
        reviewed_at: Set(Some(env.now)),
        review_note: Set(note),
        ..Default::default()
    };
    let reviewed = store::return_visits::update_if(&txn, id, Column::ReviewedAt, changes).await?;
    sla::transition(&txn, env.actor, &(&reviewed).into(), MEET_REVIEW, env.now).await?;
    let note = "return-visit report reviewed".into();
    append(&txn, env, &visit, "RETURN_VISIT_REVIEWED", note).await?;
    txn.commit().await?;
    Ok(reviewed)
}

/// Return visits are staff work: their entries on the visited ticket's timeline are internal.
async fn append(
    txn: &DatabaseTransaction,
    env: &Env<'_>,
    visit: &return_visits::Model,
    action: &'static str,
    note: String,
) -> ApiResult<()> {
    let ticket = (visit.ticket_kind, visit.ticket_id);
    super::surveys::append_note(txn, env, ticket, action, note, false).await
}

/// The caller's centre's visits not yet made, earliest due first.
pub async fn due(
    env: &Env<'_>,
    until: Option<DateTime<Utc>>,
) -> ApiResult<Vec<return_visits::Model>> {
    store::return_visits::due(env.db, centre_of(env, STAFF)?, until).await
}

/// R-SLA-9: the centre's filed reports whose review deadline has passed.
pub async fn reviews_overdue(env: &Env<'_>) -> ApiResult<Vec<return_visits::Model>> {
    store::return_visits::reviews_overdue(env.db, centre_of(env, &[Role::Supervisor])?, env.now)
        .await
}

/// The centre whose visits the caller works on.
fn centre_of(env: &Env<'_>, roles: &[Role]) -> ApiResult<i64> {
    env.actor.require(roles)?;
    env.actor.centre()
}

/// Sets a centre's rest hours (R-SUR-2); they apply to visits scheduled from now on.
pub async fn set_rest_hours(env: &Env<'_>, centre_id: i64, rest: RestHours) -> ApiResult<()> {
    env.actor.require(&[Role::Admin])?;
    let txn = store::begin_write(env.db).await?;
    store::directory::get_service_centre(&txn, centre_id).await?;
    store::return_visits::set_rest_hours(&txn, centre_id, rest).await?;
    txn.commit().await?;
    Ok(())
}
