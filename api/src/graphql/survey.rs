//! Satisfaction surveys and return visits over GraphQL. Survey results carry no data about
//! the customer who answered, so partners can read them (R-PRV-7).

use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveTime, Utc};
use entity::complaints::{ComplaintCategory, Severity};
use entity::return_visits::{self, VisitChannel, VisitOutcome, VisitPurpose};
use entity::surveys;
use entity::ticket_events::TicketKind;
use entity::users::Role;

use super::pagination::{KeysetConnection, PageRequest};
use super::scalars::{id, key};
use super::{RoleGuard, env};
use crate::domain::return_visit::RestHours;
use crate::domain::survey::{self, Answers, SurveyState};
use crate::services::return_visits::{self as visits, RaisedComplaint, RecordVisit};
use crate::services::surveys as service;

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
pub enum SurveyStatus {
    Pending,
    Submitted,
    Expired,
}

impl From<SurveyState> for SurveyStatus {
    fn from(state: SurveyState) -> Self {
        match state {
            SurveyState::Pending => Self::Pending,
            SurveyState::Submitted => Self::Submitted,
            SurveyState::Expired => Self::Expired,
        }
    }
}

/// A satisfaction survey of one ticket and, once answered, its scores (1–5).
pub struct Survey {
    model: surveys::Model,
    status: SurveyStatus,
}

impl Survey {
    fn new(model: surveys::Model, now: DateTime<Utc>) -> Self {
        let status = survey::state(&model, now).into();
        Self { model, status }
    }
}

#[Object]
impl Survey {
    async fn id(&self) -> ID {
        id(self.model.id)
    }
    async fn ticket_kind(&self) -> TicketKind {
        self.model.ticket_kind
    }
    async fn ticket_id(&self) -> ID {
        id(self.model.ticket_id)
    }
    async fn status(&self) -> SurveyStatus {
        self.status
    }
    async fn issued_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }
    async fn expires_at(&self) -> DateTime<Utc> {
        self.model.expires_at
    }
    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.model.submitted_at
    }
    async fn timeliness(&self) -> Option<i32> {
        self.model.timeliness.map(i32::from)
    }
    async fn attitude(&self) -> Option<i32> {
        self.model.attitude.map(i32::from)
    }
    async fn professionalism(&self) -> Option<i32> {
        self.model.professionalism.map(i32::from)
    }
    async fn result(&self) -> Option<i32> {
        self.model.result.map(i32::from)
    }
    async fn overall(&self) -> Option<i32> {
        self.model.overall.map(i32::from)
    }
    async fn comment(&self) -> Option<&str> {
        self.model.comment.as_deref()
    }
    /// 0–10.
    async fn would_recommend(&self) -> Option<i32> {
        self.model.would_recommend.map(i32::from)
    }
    /// The complaint a low overall score opened (R-CMP-6).
    async fn follow_up_complaint_id(&self) -> Option<ID> {
        self.model.follow_up_complaint_id.map(id)
    }
}

#[derive(InputObject)]
pub struct SurveyAnswersInput {
    /// 1–5 each.
    timeliness: i32,
    attitude: i32,
    professionalism: i32,
    result: i32,
    overall: i32,
    /// At most 2,000 characters.
    comment: Option<String>,
    /// 0–10.
    would_recommend: i32,
}

/// One return visit (回访) of a repair order or a complaint: when it is planned and, once made,
/// everything recorded about it (R-SUR-3) and its review (R-SLA-9). Its time limits are
/// `slaClocks`: the visit (RETURN_VISIT), the report (REPORT) and the review (REVIEW).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ReturnVisit {
    #[graphql(skip)]
    key: i64,
    #[graphql(skip)]
    centre_id: i64,
    id: ID,
    /// The kind of ticket visited; `ticketId` is a repair order's or a complaint's id.
    ticket_kind: TicketKind,
    ticket_id: ID,
    customer_id: ID,
    purpose: VisitPurpose,
    /// 1, then +1 for each retry after the customer was unreachable.
    attempt: i32,
    due_at: DateTime<Utc>,
    /// The customer chose the time, so it may fall in their rest hours (R-SUR-2).
    customer_chose_time: bool,
    agent_id: Option<ID>,
    visited_at: Option<DateTime<Utc>>,
    channel: Option<VisitChannel>,
    satisfied: Option<bool>,
    answers: Option<String>,
    outcome: Option<VisitOutcome>,
    retry_at: Option<DateTime<Utc>>,
    /// The complaint raised on the call (R-CMP-6), not the ticket visited.
    complaint_id: Option<ID>,
    /// When the report was filed: the visit recorded.
    recorded_at: Option<DateTime<Utc>>,
    reviewed_by: Option<ID>,
    reviewed_at: Option<DateTime<Utc>>,
    review_note: Option<String>,
}

#[ComplexObject]
impl ReturnVisit {
    /// The visit's time limits: made within its interval (R-SLA-7/8), the report filed by the
    /// end of the next working day after the call and reviewed by the end of the next working
    /// day after filing (R-SLA-9).
    async fn sla_clocks(&self, ctx: &Context<'_>) -> Result<Vec<super::sla::SlaClock>> {
        super::sla::clocks_of(ctx, TicketKind::ReturnVisit, self.key).await
    }

    /// Photos and videos on the visit, oldest first, each with a short-lived download URL
    /// (`attachUploads` adds them). The centre's agents and supervisors see them.
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<super::attachments::Attachment>> {
        let viewed = crate::services::attachments::Viewed::ReturnVisit {
            id: self.key,
            centre_id: self.centre_id,
        };
        super::attachments::of_ticket(ctx, viewed).await
    }
}

impl From<return_visits::Model> for ReturnVisit {
    fn from(v: return_visits::Model) -> Self {
        Self {
            key: v.id,
            centre_id: v.service_centre_id,
            id: id(v.id),
            ticket_kind: v.ticket_kind,
            ticket_id: id(v.ticket_id),
            customer_id: id(v.customer_id),
            purpose: v.purpose,
            attempt: i32::from(v.attempt),
            due_at: v.due_at,
            customer_chose_time: v.customer_chose_time,
            agent_id: v.agent_id.map(id),
            visited_at: v.visited_at,
            channel: v.channel,
            satisfied: v.satisfied,
            answers: v.answers,
            outcome: v.outcome,
            retry_at: v.retry_at,
            complaint_id: v.complaint_id.map(id),
            recorded_at: v.recorded_at,
            reviewed_by: v.reviewed_by.map(id),
            reviewed_at: v.reviewed_at,
            review_note: v.review_note,
        }
    }
}

#[derive(InputObject)]
pub struct RaisedComplaintInput {
    category: ComplaintCategory,
    severity: Option<Severity>,
    description: String,
}

#[derive(InputObject)]
pub struct RecordReturnVisitInput {
    /// When the call or visit took place; not in the future.
    visited_at: DateTime<Utc>,
    channel: VisitChannel,
    /// Required unless the customer was unreachable.
    satisfied: Option<bool>,
    /// What was asked and answered, in the agent's words.
    answers: String,
    outcome: VisitOutcome,
    /// Required for UNREACHABLE: when to call again, outside rest hours unless the customer
    /// chose it.
    retry_at: Option<DateTime<Utc>>,
    retry_customer_chosen: Option<bool>,
    /// Required for COMPLAINT_RAISED: filed with channel RETURN_VISIT.
    complaint: Option<RaisedComplaintInput>,
}

fn visits_of(rows: Vec<return_visits::Model>) -> Vec<ReturnVisit> {
    rows.into_iter().map(ReturnVisit::from).collect()
}

#[derive(Default)]
pub struct SurveyQuery;

#[Object]
impl SurveyQuery {
    /// The customer's surveys still waiting for an answer, soonest expiry first.
    #[graphql(guard = "RoleGuard(&[Role::Customer])")]
    async fn my_surveys(&self, ctx: &Context<'_>) -> Result<Vec<Survey>> {
        let env = env(ctx)?;
        let rows = service::pending(&env).await?;
        Ok(rows.into_iter().map(|s| Survey::new(s, env.now)).collect())
    }

    /// Answered surveys of the centre's tickets (staff) or the organization's (partners),
    /// newest first.
    #[graphql(
        guard = "RoleGuard(&[Role::Agent, Role::Supervisor, Role::Partner])",
        complexity = "crate::graphql::pagination::page_cost(first, child_complexity)"
    )]
    async fn survey_results(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<KeysetConnection<Survey>> {
        let env = env(ctx)?;
        let scope = service::scope_of(env.actor)?;
        let page = PageRequest::parse(first, after)?;
        let rows =
            crate::store::surveys::list_submitted(env.db, scope, page.after, page.limit()).await?;
        Ok(page.connection(
            rows,
            |row| (row.created_at, row.id),
            |row| Survey::new(row, env.now),
        ))
    }

    /// The centre's return visits not yet made, earliest due first; `until` limits the list
    /// to visits due by then.
    #[graphql(guard = "RoleGuard(&[Role::Agent, Role::Supervisor])")]
    async fn return_visits_due(
        &self,
        ctx: &Context<'_>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Vec<ReturnVisit>> {
        let env = env(ctx)?;
        Ok(visits_of(visits::due(&env, until).await?))
    }

    /// R-SLA-9: filed return-visit reports of the centre not reviewed by their deadline.
    #[graphql(guard = "RoleGuard(&[Role::Supervisor])")]
    async fn return_visit_reviews_overdue(&self, ctx: &Context<'_>) -> Result<Vec<ReturnVisit>> {
        let env = env(ctx)?;
        Ok(visits_of(visits::reviews_overdue(&env).await?))
    }
}

#[derive(Default)]
pub struct SurveyMutation;

#[Object]
impl SurveyMutation {
    /// The ticket's customer answers, once, before expiry.
    #[graphql(guard = "RoleGuard(&[Role::Customer])")]
    async fn submit_survey(
        &self,
        ctx: &Context<'_>,
        id: ID,
        answers: SurveyAnswersInput,
    ) -> Result<Survey> {
        let env = env(ctx)?;
        let answers = Answers {
            timeliness: answers.timeliness,
            attitude: answers.attitude,
            professionalism: answers.professionalism,
            result: answers.result,
            overall: answers.overall,
            comment: answers.comment,
            would_recommend: answers.would_recommend,
        };
        let submitted = service::submit(&env, key(&id, "survey")?, answers).await?;
        Ok(Survey::new(submitted, env.now))
    }

    /// R-SUR-3: the agent records the visit in full.
    #[graphql(guard = "RoleGuard(&[Role::Agent, Role::Supervisor])")]
    async fn record_return_visit(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: RecordReturnVisitInput,
    ) -> Result<ReturnVisit> {
        let env = env(ctx)?;
        let input = RecordVisit {
            visited_at: input.visited_at,
            channel: input.channel,
            satisfied: input.satisfied,
            answers: input.answers,
            outcome: input.outcome,
            retry_at: input.retry_at,
            retry_customer_chosen: input.retry_customer_chosen.unwrap_or(false),
            complaint: input.complaint.map(|c| RaisedComplaint {
                category: c.category,
                severity: c.severity,
                description: c.description,
            }),
        };
        let recorded = visits::record(&env, key(&id, "return visit")?, input).await?;
        Ok(recorded.into())
    }

    /// R-SLA-9: a supervisor of the centre reviews the report.
    #[graphql(guard = "RoleGuard(&[Role::Supervisor])")]
    async fn review_return_visit(
        &self,
        ctx: &Context<'_>,
        id: ID,
        note: Option<String>,
    ) -> Result<ReturnVisit> {
        let env = env(ctx)?;
        let reviewed = visits::review(&env, key(&id, "return visit")?, note).await?;
        Ok(reviewed.into())
    }

    /// R-SUR-2: a centre's customers' rest hours, local time (default 21:00–09:00).
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn set_rest_hours(
        &self,
        ctx: &Context<'_>,
        service_centre_id: ID,
        start: NaiveTime,
        end: NaiveTime,
    ) -> Result<bool> {
        let env = env(ctx)?;
        let centre = key(&service_centre_id, "service centre")?;
        visits::set_rest_hours(&env, centre, RestHours { start, end }).await?;
        Ok(true)
    }
}
