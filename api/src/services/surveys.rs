//! Satisfaction surveys: issued when a ticket is done (R-SUR-1, R-CMP-4), answered by its
//! customer; a low score of a repair opens a follow-up complaint (R-CMP-6), the result score
//! of a complaint rates its resolution (R-CMP-13).

use entity::complaints::{self, ComplaintCategory, ComplaintChannel};
use entity::surveys;
use entity::ticket_events::TicketKind;
use entity::users::Role;
use sea_orm::{ActiveEnum, DatabaseTransaction, Set};

use super::complaints::NewComplaint;
use super::{Env, Ticket};
use crate::domain::identity::Principal;
use crate::domain::survey::{self, AnsweredBy, Answers};
use crate::error::{ApiError, ApiResult};
use crate::store::{self, complaints::Scope, events::NewEvent};

impl From<&surveys::Model> for Ticket {
    fn from(survey: &surveys::Model) -> Self {
        Self {
            kind: survey.ticket_kind,
            id: survey.ticket_id,
            customer_id: survey.customer_id,
            service_centre_id: survey.service_centre_id,
            organization_id: survey.organization_id,
        }
    }
}

/// Issues the ticket's survey inside the transition's transaction; a ticket that already has
/// one keeps it (a repair is both confirmed and closed, a complaint may be resolved twice).
/// The survey row is the record: the transition's own timeline entry stays the only one.
pub async fn issue(
    txn: &DatabaseTransaction,
    now: chrono::DateTime<chrono::Utc>,
    settings: &super::RuleSettings,
    ticket: Ticket,
) -> ApiResult<()> {
    let survey = surveys::ActiveModel {
        ticket_kind: Set(ticket.kind),
        ticket_id: Set(ticket.id),
        customer_id: Set(ticket.customer_id),
        service_centre_id: Set(ticket.service_centre_id),
        organization_id: Set(ticket.organization_id),
        expires_at: Set(now + settings.survey_expiry),
        submitted_at: Set(None),
        timeliness: Set(None),
        attitude: Set(None),
        professionalism: Set(None),
        result: Set(None),
        overall: Set(None),
        comment: Set(None),
        would_recommend: Set(None),
        follow_up_complaint_id: Set(None),
        created_at: Set(now),
        ..Default::default()
    };
    if store::surveys::insert_once(txn, survey).await? {
        // On the timeline, so the customer's app and the change feed learn of it.
        let event = NewEvent {
            kind: ticket.kind,
            ticket_id: ticket.id,
            actor: &Principal::Anonymous,
            action: "SURVEY_ISSUED",
            from_status: None,
            to_status: None,
            note: Some(format!(
                "a satisfaction survey awaits your answer until {}",
                (now + settings.survey_expiry).to_rfc3339()
            )),
            public: true,
        };
        store::events::append(txn, event, now).await?;
    }
    Ok(())
}

/// A timeline entry that records something beside the ticket's status, e.g. its survey or a
/// return visit.
pub(super) async fn append_note(
    txn: &DatabaseTransaction,
    env: &Env<'_>,
    (kind, ticket_id): (TicketKind, i64),
    action: &'static str,
    note: String,
    public: bool,
) -> ApiResult<()> {
    store::events::append(
        txn,
        NewEvent {
            kind,
            ticket_id,
            actor: env.actor,
            action,
            from_status: None,
            to_status: None,
            note: Some(note),
            public,
        },
        env.now,
    )
    .await
}

/// The customer answers their survey, once and before it expires, themselves or by phone
/// through an agent (`AnsweredBy::OnBehalf`, R-SUR-5, checked by `on_behalf_of`), in one
/// transaction with what the answers cause. For a repair, an overall score at or below the
/// configured threshold files a SURVEY complaint about it in its service centre (R-CMP-6). For
/// a complaint, the result score rates its resolution if not rated yet (R-CMP-13): a low one
/// reopens and escalates that complaint instead of opening another.
pub async fn submit(
    env: &Env<'_>,
    id: i64,
    answers: Answers,
    by: AnsweredBy,
) -> ApiResult<surveys::Model> {
    let mut txn = store::begin_write(env.db).await?;
    let found = store::surveys::find(&txn, id)
        .await?
        .ok_or(ApiError::NotFound("survey"))?;
    let (customer_id, entered_by) = match by {
        AnsweredBy::Customer(customer_id) => (customer_id, None),
        AnsweredBy::OnBehalf { staff_id } => (found.customer_id, Some(staff_id)),
    };
    survey::check_submittable(&found, customer_id, env.now)?;
    let answers = survey::validate(answers)?;
    let ticket = Ticket::from(&found);
    let complaint = ticket.kind == TicketKind::Complaint;
    let follow_up =
        if !complaint && survey::needs_follow_up(answers.overall, env.settings.survey_low_score) {
            Some(follow_up(&txn, env, &ticket, &answers).await?.id)
        } else {
            None
        };
    let (overall, result) = (answers.overall, answers.result);
    let submitted =
        store::surveys::submit(&txn, id, answers, follow_up, entered_by, env.now).await?;
    let mut note = format!("survey answered: overall {overall}/5");
    if entered_by.is_some() {
        note.push_str(", entered by staff on the customer's behalf");
    }
    append_note(
        &txn,
        env,
        (ticket.kind, ticket.id),
        "SURVEY_SUBMITTED",
        note,
        false,
    )
    .await?;
    if complaint {
        txn = super::complaints::rate_from_survey(txn, env, ticket.id, result).await?;
    }
    txn.commit().await?;
    Ok(submitted)
}

/// R-SUR-5: whether the caller may enter `id`'s answers for its customer. Agents and
/// supervisors of the survey's centre may, unless they worked on the ticket; a survey of
/// another centre does not exist for them. A self-rating attempt is refused (`FORBIDDEN`) and
/// recorded in the audit log as a violation, in a transaction of its own.
pub async fn on_behalf_of(
    env: &Env<'_>,
    id: i64,
    address: std::net::IpAddr,
) -> ApiResult<AnsweredBy> {
    let staff = env.actor.user()?;
    let found = store::surveys::find(env.db, id)
        .await?
        .filter(|s| staff.service_centre_id == Some(s.service_centre_id))
        .ok_or(ApiError::NotFound("survey"))?;
    let worked =
        store::events::acted_on(env.db, found.ticket_kind, found.ticket_id, staff.id).await?;
    match survey::may_enter_on_behalf(staff.role, worked) {
        Ok(()) => Ok(AnsweredBy::OnBehalf { staff_id: staff.id }),
        Err(survey::OnBehalfRefusal::Role) => Err(ApiError::Forbidden),
        Err(survey::OnBehalfRefusal::SelfRating) => {
            let entry = store::audit::Entry {
                action: "survey.self_rating_refused",
                subject_kind: "SURVEY",
                subject_id: Some(found.id),
                detail: serde_json::json!({
                    "ticketKind": found.ticket_kind.to_value(),
                    "ticketId": found.ticket_id,
                    "violation": "R-SUR-5",
                }),
                actor: env.actor,
                client_address: address,
            };
            store::audit::record(env.db, entry, env.now).await?;
            Err(ApiError::Forbidden)
        }
    }
}

/// R-CMP-6: the complaint a low score opens, linked to the ticket's repair order.
async fn follow_up(
    txn: &DatabaseTransaction,
    env: &Env<'_>,
    ticket: &Ticket,
    answers: &survey::ValidAnswers,
) -> ApiResult<complaints::Model> {
    let (number, repair_order_id) = super::number_and_order(txn, ticket).await?;
    let mut description = format!(
        "Satisfaction survey of {} {number}: overall score {}/5.",
        ticket.kind.to_value(),
        answers.overall
    );
    if let Some(comment) = &answers.comment {
        description.push(' ');
        description.push_str(comment);
    }
    super::complaints::insert(
        txn,
        env,
        NewComplaint {
            customer_id: ticket.customer_id,
            organization_id: ticket.organization_id,
            repair_order_id,
            service_centre_id: ticket.service_centre_id,
            channel: ComplaintChannel::Survey,
            category: ComplaintCategory::Other,
            severity: None,
            description,
            reference: None,
            details: Default::default(),
        },
    )
    .await
}

/// The customer's surveys still waiting for an answer.
pub async fn pending(env: &Env<'_>) -> ApiResult<Vec<surveys::Model>> {
    let customer_id = env.actor.user()?.id;
    store::surveys::pending_of_customer(env.db, customer_id, env.now).await
}

/// Whether the caller may read one survey: the customer their own, staff their centre's and
/// partners their organization's answered ones (as `surveyResults` lists them).
pub fn can_view(actor: &Principal, survey: &surveys::Model) -> bool {
    match (actor, scope_of(actor)) {
        (Principal::User(user), _) if user.role == Role::Customer => user.id == survey.customer_id,
        (_, Ok(Scope::ServiceCentre(centre))) => {
            survey.submitted_at.is_some() && survey.service_centre_id == centre
        }
        (_, Ok(Scope::Organization(organization))) => {
            survey.submitted_at.is_some() && survey.organization_id == Some(organization)
        }
        (_, Err(_)) => false,
    }
}

/// Staff read their centre's results, partners their organization's (R-PRV-7).
pub fn scope_of(actor: &Principal) -> ApiResult<Scope> {
    match actor {
        Principal::Anonymous => Err(ApiError::Unauthenticated),
        Principal::Partner {
            organization_id, ..
        } => Ok(Scope::Organization(*organization_id)),
        Principal::User(user) if matches!(user.role, Role::Agent | Role::Supervisor) => user
            .service_centre_id
            .map(Scope::ServiceCentre)
            .ok_or(ApiError::Forbidden),
        Principal::User(_) => Err(ApiError::Forbidden),
    }
}
