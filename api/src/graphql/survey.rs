//! Satisfaction surveys and return visits over GraphQL. Survey results carry no data about
//! the customer who answered, so partners can read them (R-PRV-7).

use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveTime, Utc};
use entity::complaints::{ComplaintCategory, Severity};
use entity::return_visits::{self, VisitChannel, VisitOutcome, VisitPurpose, VisitSatisfaction};
use entity::surveys;
use entity::ticket_events::TicketKind;
use entity::users::Role;

use super::pagination::{KeysetConnection, PageRequest};
use super::scalars::{NodeType, id, key};
use super::{RoleGuard, env};
use crate::domain::return_visit::RestHours;
use crate::domain::survey::{self, AnsweredBy, Answers, SurveyState};
use crate::services::return_visits::{self as visits, RaisedComplaint, RecordVisit};
use crate::services::surveys as service;

/// Where a survey stands.
#[derive(Enum, Copy, Clone, PartialEq, Eq)]
pub enum SurveyStatus {
    /// Issued, waiting for the customer's answer.
    Pending,
    /// Answered.
    Submitted,
    /// Not answered within `SURVEY_EXPIRY_DAYS` (14 by default) of issue.
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
    pub(super) fn new(model: surveys::Model, now: DateTime<Utc>) -> Self {
        let status = survey::state(&model, now).into();
        Self { model, status }
    }
}

/// A satisfaction survey of one confirmed or closed repair order or resolved complaint
/// (R-SUR-1, R-CMP-4): the customer answers it once, before it expires. Results carry no
/// customer data, so partners read them too.
#[Object]
impl Survey {
    /// The survey's id (opaque global id, `Node`), for `submitSurvey`.
    pub(crate) async fn id(&self) -> ID {
        id(NodeType::Survey, self.model.id)
    }
    /// The kind of ticket surveyed.
    async fn ticket_kind(&self) -> TicketKind {
        self.model.ticket_kind
    }
    /// The surveyed repair order's or complaint's id.
    async fn ticket_id(&self) -> ID {
        id(
            NodeType::of_ticket(self.model.ticket_kind),
            self.model.ticket_id,
        )
    }
    /// Where the survey stands.
    async fn status(&self) -> SurveyStatus {
        self.status
    }
    /// When it was issued (RFC 3339, UTC).
    async fn issued_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }
    /// When it stops taking answers (RFC 3339, UTC).
    async fn expires_at(&self) -> DateTime<Utc> {
        self.model.expires_at
    }
    /// When it was answered; null before.
    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.model.submitted_at
    }
    /// Score for timeliness, 1–5 (5 best); null before the answer.
    async fn timeliness(&self) -> Option<i32> {
        self.model.timeliness.map(i32::from)
    }
    /// Score for the staff's attitude, 1–5; null before the answer.
    async fn attitude(&self) -> Option<i32> {
        self.model.attitude.map(i32::from)
    }
    /// Score for professionalism, 1–5; null before the answer.
    async fn professionalism(&self) -> Option<i32> {
        self.model.professionalism.map(i32::from)
    }
    /// Score for the result, 1–5; null before the answer.
    async fn result(&self) -> Option<i32> {
        self.model.result.map(i32::from)
    }
    /// Overall score, 1–5; 4 and 5 count as satisfied (R-SUR-1); null before the answer.
    async fn overall(&self) -> Option<i32> {
        self.model.overall.map(i32::from)
    }
    /// The customer's comment; null when none.
    async fn comment(&self) -> Option<&str> {
        self.model.comment.as_deref()
    }
    /// How likely the customer is to recommend the service, 0–10; null before the answer.
    async fn would_recommend(&self) -> Option<i32> {
        self.model.would_recommend.map(i32::from)
    }
    /// The staff member who entered the answers the customer gave by phone (R-SUR-5); null
    /// when the customer answered themselves, or before the answer.
    async fn entered_by_id(&self) -> Option<ID> {
        self.model.entered_by.map(|k| id(NodeType::User, k))
    }
    /// True when staff entered the answers on the customer's behalf (R-SUR-5).
    async fn entered_on_behalf(&self) -> bool {
        self.model.entered_by.is_some()
    }
    /// The complaint a low overall score opened (R-CMP-6).
    async fn follow_up_complaint_id(&self) -> Option<ID> {
        self.model
            .follow_up_complaint_id
            .map(|k| id(NodeType::Complaint, k))
    }
}

/// The satisfaction survey of a ticket, when it has one the caller may read: its customer
/// (to answer it), staff of its centre and partners of its organization once answered.
pub(super) async fn of_ticket(
    ctx: &Context<'_>,
    kind: TicketKind,
    ticket: i64,
) -> Result<Option<Survey>> {
    let survey = super::loaders::loaders(ctx)?
        .load_one(super::loaders::SurveyKey(kind, ticket))
        .await?;
    let now = env(ctx)?.now;
    Ok(survey
        .filter(|s| service::can_view(super::principal(ctx), s))
        .map(|s| Survey::new((*s).clone(), now)))
}

/// The customer's answers to a survey.
#[derive(InputObject)]
pub struct SurveyAnswersInput {
    /// Timeliness, 1–5 (5 best); every score is 1–5 (`BAD_USER_INPUT` otherwise).
    timeliness: i32,
    /// The staff's attitude, 1–5.
    attitude: i32,
    /// Professionalism, 1–5.
    professionalism: i32,
    /// The result, 1–5; for a complaint it rates the resolution if not rated yet: 1–2 reopen
    /// it one level up (R-CMP-13).
    result: i32,
    /// Overall, 1–5; for a repair order, at or below `SURVEY_LOW_SCORE` (2) opens a SURVEY
    /// complaint (R-CMP-6).
    overall: i32,
    /// At most 2,000 characters.
    comment: Option<String>,
    /// How likely the customer is to recommend the service, 0–10.
    would_recommend: i32,
}

impl From<SurveyAnswersInput> for Answers {
    fn from(answers: SurveyAnswersInput) -> Self {
        Self {
            timeliness: answers.timeliness,
            attitude: answers.attitude,
            professionalism: answers.professionalism,
            result: answers.result,
            overall: answers.overall,
            comment: answers.comment,
            would_recommend: answers.would_recommend,
        }
    }
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
    /// The visit's id (opaque global id, `Node`), for `recordReturnVisit` and `reviewReturnVisit`.
    #[graphql(owned)]
    pub(crate) id: ID,
    /// The kind of ticket visited; `ticketId` is a repair order's or a complaint's id.
    ticket_kind: TicketKind,
    /// The visited ticket's id.
    ticket_id: ID,
    #[graphql(skip)]
    ticket_key: i64,
    #[graphql(skip)]
    customer_key: i64,
    /// After closure (R-SLA-7) or 30 days after the repair (R-SLA-8).
    purpose: VisitPurpose,
    /// 1, then +1 for each retry after the customer was unreachable.
    attempt: i32,
    /// When the call is planned: the last callable time within its interval, outside the
    /// customer's rest hours unless they chose it (R-SUR-2).
    due_at: DateTime<Utc>,
    /// The customer chose the time, so it may fall in their rest hours (R-SUR-2).
    customer_chose_time: bool,
    /// The agent who recorded the visit; null before.
    agent_id: Option<ID>,
    /// When the call or visit took place; null before.
    visited_at: Option<DateTime<Utc>>,
    /// How it was made; null before.
    channel: Option<VisitChannel>,
    /// SATISFIED only (AVERAGE is not, R-SUR-4); null before, or when unreachable.
    satisfied: Option<bool>,
    /// The answer to "are you satisfied with <service>?"; null before, or when unreachable.
    satisfaction: Option<VisitSatisfaction>,
    /// What the customer would improve, asked when not satisfied (R-SUR-4).
    improvement: Option<String>,
    /// What was asked and answered, in the agent's words; null before.
    answers: Option<String>,
    /// What came of it; null before.
    outcome: Option<VisitOutcome>,
    /// For UNREACHABLE: when to call again.
    retry_at: Option<DateTime<Utc>>,
    /// The complaint raised on the call (R-CMP-6), not the ticket visited.
    complaint_id: Option<ID>,
    /// When the report was filed: the visit recorded.
    recorded_at: Option<DateTime<Utc>>,
    /// The supervisor who reviewed the report; null before.
    reviewed_by: Option<ID>,
    /// When the report was reviewed; null before.
    reviewed_at: Option<DateTime<Utc>>,
    /// The reviewer's note; null when none.
    review_note: Option<String>,
}

#[ComplexObject]
impl ReturnVisit {
    /// The customer called; null on a visit of a complaint whose complainant asked for
    /// anonymity when the caller may not see them, as on the complaint (R-PRV-10).
    async fn customer_id(&self, ctx: &Context<'_>) -> Result<Option<ID>> {
        if self.ticket_kind == TicketKind::Complaint {
            let complaint = super::loaders::loaders(ctx)?
                .load_one(super::loaders::ComplaintKey(self.ticket_key))
                .await?;
            let hidden = complaint.is_none_or(|c| {
                !crate::domain::complaint::sees_complainant(super::principal(ctx), &c)
            });
            if hidden {
                return Ok(None);
            }
        }
        Ok(Some(id(NodeType::User, self.customer_key)))
    }

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
            id: id(NodeType::ReturnVisit, v.id),
            ticket_kind: v.ticket_kind,
            ticket_id: id(NodeType::of_ticket(v.ticket_kind), v.ticket_id),
            ticket_key: v.ticket_id,
            customer_key: v.customer_id,
            purpose: v.purpose,
            attempt: i32::from(v.attempt),
            due_at: v.due_at,
            customer_chose_time: v.customer_chose_time,
            agent_id: v.agent_id.map(|k| id(NodeType::User, k)),
            visited_at: v.visited_at,
            channel: v.channel,
            satisfied: v.satisfied,
            satisfaction: v.satisfaction,
            improvement: v.improvement,
            answers: v.answers,
            outcome: v.outcome,
            retry_at: v.retry_at,
            complaint_id: v.complaint_id.map(|k| id(NodeType::Complaint, k)),
            recorded_at: v.recorded_at,
            reviewed_by: v.reviewed_by.map(|k| id(NodeType::User, k)),
            reviewed_at: v.reviewed_at,
            review_note: v.review_note,
        }
    }
}

/// A complaint the customer raised during a return visit (R-CMP-6).
#[derive(InputObject)]
pub struct RaisedComplaintInput {
    /// What it is about; `PROPERTY_DAMAGE` and `INJURY` make it at least SERIOUS.
    category: ComplaintCategory,
    /// GENERAL by default (R-CLS-1..3).
    severity: Option<Severity>,
    /// The complaint in the customer's words (1–4,000 characters).
    description: String,
}

/// A return visit (call) as made, recorded in full (R-SUR-3).
#[derive(InputObject)]
pub struct RecordReturnVisitInput {
    /// When the call or visit took place; not in the future.
    visited_at: DateTime<Utc>,
    /// How it was made.
    channel: VisitChannel,
    /// "Are you satisfied with <service>?" (R-SUR-4); required unless the customer was
    /// unreachable. AVERAGE and DISSATISFIED need `improvement` and a follow-up call at
    /// `retryAt`.
    satisfaction: Option<VisitSatisfaction>,
    /// What the customer would improve (1–2,000 characters); required when not satisfied.
    improvement: Option<String>,
    /// What was asked and answered, in the agent's words.
    answers: String,
    /// What came of it.
    outcome: VisitOutcome,
    /// Required for UNREACHABLE and for a customer not satisfied (the follow-up call), and
    /// only then: when to call again, outside rest hours unless the customer chose it.
    retry_at: Option<DateTime<Utc>>,
    /// The customer chose `retryAt` (it may then fall in their rest hours). False by default.
    retry_customer_chosen: Option<bool>,
    /// Required for COMPLAINT_RAISED: filed with channel RETURN_VISIT.
    complaint: Option<RaisedComplaintInput>,
}

pub(super) fn visits_of(rows: Vec<return_visits::Model>) -> Vec<ReturnVisit> {
    rows.into_iter().map(ReturnVisit::from).collect()
}

#[derive(Default)]
pub struct SurveyQuery;

#[Object]
impl SurveyQuery {
    /// The customer's surveys still waiting for an answer, soonest expiry first.
    /// Customers only (`FORBIDDEN` otherwise).
    #[graphql(guard = "RoleGuard(&[Role::Customer])")]
    async fn my_surveys(&self, ctx: &Context<'_>) -> Result<Vec<Survey>> {
        let env = env(ctx)?;
        let rows = service::pending(&env).await?;
        Ok(rows.into_iter().map(|s| Survey::new(s, env.now)).collect())
    }

    /// Answered surveys of the centre's tickets (staff) or the organization's (partners),
    /// newest first. `FORBIDDEN` for other roles; `BAD_USER_INPUT` for a bad `first` or
    /// `after`.
    #[graphql(
        guard = "RoleGuard(&[Role::Agent, Role::Supervisor, Role::Partner])",
        complexity = "crate::graphql::pagination::page_cost(first, child_complexity)"
    )]
    async fn survey_results(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; omit for the first page.")]
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
    /// Agents and supervisors (their centre); `FORBIDDEN` otherwise.
    #[graphql(guard = "RoleGuard(&[Role::Agent, Role::Supervisor])")]
    async fn return_visits_due(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only visits due by then (RFC 3339); all when omitted.")] until: Option<
            DateTime<Utc>,
        >,
    ) -> Result<Vec<ReturnVisit>> {
        let env = env(ctx)?;
        Ok(visits_of(visits::due(&env, until).await?))
    }

    /// Filed return-visit reports of the centre a supervisor has not reviewed by their deadline,
    /// the end of the next working day after filing (R-SLA-9).
    /// Supervisors only (`FORBIDDEN` otherwise).
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
    /// Customers only (`FORBIDDEN` otherwise); `NOT_FOUND` for another customer's survey,
    /// `INVALID_TRANSITION` when already answered or expired, `BAD_USER_INPUT` for scores out of
    /// range. For a repair order, an overall score at or below `SURVEY_LOW_SCORE` (2) opens a
    /// SURVEY complaint in the ticket's centre (R-CMP-6); for a complaint, the result score rates
    /// its resolution (R-CMP-13: 1–2 reopen it one level up).
    #[graphql(guard = "RoleGuard(&[Role::Customer])")]
    async fn submit_survey(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The survey's id (from `mySurveys`).")] id: ID,
        #[graphql(desc = "The scores and comment.")] answers: SurveyAnswersInput,
    ) -> Result<Survey> {
        let env = env(ctx)?;
        let by = AnsweredBy::Customer(env.actor.user()?.id);
        let submitted =
            service::submit(&env, key(&id, NodeType::Survey)?, answers.into(), by).await?;
        Ok(Survey::new(submitted, env.now))
    }

    /// An agent or supervisor of the survey's centre enters the answers the customer gave on
    /// the phone; the survey shows them as entered by that staff member on the customer's
    /// behalf, and metrics count them apart (R-SUR-5). Nobody who worked on the ticket may:
    /// `FORBIDDEN`, and the attempt is recorded as a violation in the audit log. Technicians:
    /// `FORBIDDEN`; `NOT_FOUND` for another centre's survey; otherwise as `submitSurvey`.
    #[graphql(guard = "RoleGuard(&[Role::Agent, Role::Supervisor, Role::Technician])")]
    async fn enter_survey_answers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The survey's id (from the ticket's `survey`).")] id: ID,
        #[graphql(desc = "The customer's scores and comment, as they gave them.")]
        answers: SurveyAnswersInput,
    ) -> Result<Survey> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::Survey)?;
        let by = service::on_behalf_of(&env, id, super::client_ip(ctx)).await?;
        let submitted = service::submit(&env, id, answers.into(), by).await?;
        Ok(Survey::new(submitted, env.now))
    }

    /// Records a return visit in full: who, when, channel, answers, outcome (R-SUR-3).
    /// An unreachable customer, and one not satisfied (R-SUR-4), gets another call at `retryAt`;
    /// a complaint raised is filed with
    /// channel RETURN_VISIT. Agents and supervisors of the visit's centre; `NOT_FOUND` for another
    /// centre's visit, `INVALID_TRANSITION` when already recorded, `BAD_USER_INPUT` for missing or
    /// inconsistent fields.
    #[graphql(guard = "RoleGuard(&[Role::Agent, Role::Supervisor])")]
    async fn record_return_visit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The visit's id (from `returnVisitsDue`).")] id: ID,
        #[graphql(desc = "What happened.")] input: RecordReturnVisitInput,
    ) -> Result<ReturnVisit> {
        let env = env(ctx)?;
        let input = RecordVisit {
            visited_at: input.visited_at,
            channel: input.channel,
            satisfaction: input.satisfaction,
            improvement: input.improvement,
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
        let recorded = visits::record(&env, key(&id, NodeType::ReturnVisit)?, input).await?;
        Ok(recorded.into())
    }

    /// A supervisor of the centre reviews a filed return-visit report (R-SLA-9).
    /// Supervisors only (`FORBIDDEN` otherwise); `NOT_FOUND` for another centre's visit,
    /// `INVALID_TRANSITION` when not yet recorded or already reviewed.
    #[graphql(guard = "RoleGuard(&[Role::Supervisor])")]
    async fn review_return_visit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The visit's id.")] id: ID,
        #[graphql(desc = "The reviewer's note.")] note: Option<String>,
    ) -> Result<ReturnVisit> {
        let env = env(ctx)?;
        let reviewed = visits::review(&env, key(&id, NodeType::ReturnVisit)?, note).await?;
        Ok(reviewed.into())
    }

    /// Sets the rest hours of a centre's customers, local time (default 21:00–09:00), in which
    /// no return visit is planned unless the customer chose the time (R-SUR-2).
    /// Admins only (`FORBIDDEN` otherwise); `NOT_FOUND` for an unknown centre. Returns true. Visits
    /// planned from then on avoid these hours.
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn set_rest_hours(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The service centre.")] service_centre_id: ID,
        #[graphql(desc = "When rest begins, local time (`HH:MM:SS`), e.g. `21:00:00`.")]
        start: NaiveTime,
        #[graphql(desc = "When rest ends, local time, e.g. `09:00:00`.")] end: NaiveTime,
    ) -> Result<bool> {
        let env = env(ctx)?;
        let centre = key(&service_centre_id, NodeType::ServiceCentre)?;
        visits::set_rest_hours(&env, centre, RestHours { start, end }).await?;
        Ok(true)
    }
}
